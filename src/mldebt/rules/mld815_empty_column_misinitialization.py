"""MLD815 empty-column-misinitialization: a new column created with 0 or "" as a placeholder and filled in part by part (found by parse/detectors/pandas_numpy.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class EmptyColumnMisinitialization(FileRule):
    id = "MLD815"
    name = "empty-column-misinitialization"
