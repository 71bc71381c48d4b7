"""MLD828 gradients-not-cleared: a training loop that never clears gradients (found by parse/detectors/frameworks.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class GradientsNotCleared(FileRule):
    id = "MLD828"
    name = "gradients-not-cleared"
