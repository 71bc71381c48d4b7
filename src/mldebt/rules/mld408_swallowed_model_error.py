"""MLD408 swallowed-model-error: `except: pass` around fit, predict, load or save (found by
parse/detectors/habits.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class SwallowedModelError(FileRule):
    id = "MLD408"
    name = "swallowed-model-error"
