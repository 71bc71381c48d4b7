"""MLD814 columns-and-dtype-not-set: a text file read without `dtype=` whose columns are cast after the read (found by parse/detectors/pandas_numpy.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class ColumnsAndDtypeNotSet(FileRule):
    id = "MLD814"
    name = "columns-and-dtype-not-set"
