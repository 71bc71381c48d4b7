"""MLD818 dataframe-conversion-api-misused: `.values` on a provable DataFrame or Series (found by parse/detectors/pandas_numpy.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class DataframeConversionApiMisused(FileRule):
    id = "MLD818"
    name = "dataframe-conversion-api-misused"
