"""MLD821 missing-mask-of-invalid-value: the log of a softmax/sigmoid/predict_proba output with no clip or epsilon (found by parse/detectors/pandas_numpy.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class MissingMaskOfInvalidValue(FileRule):
    id = "MLD821"
    name = "missing-mask-of-invalid-value"
