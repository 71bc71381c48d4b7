"""MLD804 evaluation-on-training-data: found by the data-flow analysis of parse/detectors/leakage.py."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class EvaluationOnTrainingData(FileRule):
    id = "MLD804"
    name = "evaluation-on-training-data"
    skips_tests = True
