"""MLD817 inplace-api-misused: a pandas/NumPy call returning a new object used as a statement (found by parse/detectors/pandas_numpy.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class InplaceApiMisused(FileRule):
    id = "MLD817"
    name = "inplace-api-misused"
