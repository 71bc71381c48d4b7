"""MLD830 threshold-dependent-validation: a probabilistic classifier validated only with threshold-dependent metrics (found by parse/detectors/frameworks.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class ThresholdDependentValidation(FileRule):
    id = "MLD830"
    name = "threshold-dependent-validation"
