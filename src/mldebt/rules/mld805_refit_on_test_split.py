"""MLD805 refit-on-test-split: found by the data-flow analysis of parse/detectors/leakage.py."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class RefitOnTestSplit(FileRule):
    id = "MLD805"
    name = "refit-on-test-split"
    skips_tests = True
