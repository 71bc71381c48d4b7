"""MLD409 scratch-code-import: production code importing notebooks or scratch modules (found by
parse/detectors/habits.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class ScratchCodeImport(FileRule):
    id = "MLD409"
    name = "scratch-code-import"
