"""MLD827 forward-called-directly: `module.forward(x)` instead of `module(x)` (found by parse/detectors/frameworks.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class ForwardCalledDirectly(FileRule):
    id = "MLD827"
    name = "forward-called-directly"
