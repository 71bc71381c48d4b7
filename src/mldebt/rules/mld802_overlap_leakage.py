"""MLD802 overlap-leakage: found by the data-flow analysis of parse/detectors/leakage.py."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class OverlapLeakage(FileRule):
    id = "MLD802"
    name = "overlap-leakage"
    skips_tests = True
