"""MLD812 unnecessary-iteration: a DataFrame walked row by row where a column expression does it (found by parse/detectors/pandas_numpy.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class UnnecessaryIteration(FileRule):
    id = "MLD812"
    name = "unnecessary-iteration"
