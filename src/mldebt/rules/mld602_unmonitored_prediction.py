"""MLD602 unmonitored-prediction: a serving entry point that returns predictions with no logging,
metrics, input validation or bounds (found by parse/detectors/external.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class UnmonitoredPrediction(FileRule):
    id = "MLD602"
    name = "unmonitored-prediction"
