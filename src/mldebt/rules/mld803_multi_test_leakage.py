"""MLD803 multi-test-leakage: found by the data-flow analysis of parse/detectors/leakage.py."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class MultiTestLeakage(FileRule):
    id = "MLD803"
    name = "multi-test-leakage"
    skips_tests = True
