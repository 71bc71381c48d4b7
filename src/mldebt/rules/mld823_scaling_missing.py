"""MLD823 scaling-missing: missing scaling before a scaling-sensitive estimator (found by parse/detectors/frameworks.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class ScalingMissing(FileRule):
    id = "MLD823"
    name = "scaling-missing"
