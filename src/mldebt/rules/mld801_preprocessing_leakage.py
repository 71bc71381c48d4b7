"""MLD801 preprocessing-leakage: found by the data-flow analysis of parse/detectors/leakage.py."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class PreprocessingLeakage(FileRule):
    id = "MLD801"
    name = "preprocessing-leakage"
    skips_tests = True
