"""MLD811 nan-equivalence: comparing with NaN by `==` / `!=` (found by parse/detectors/pandas_numpy.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class NanEquivalence(FileRule):
    id = "MLD811"
    name = "nan-equivalence"
