"""MLD829 tensorarray-not-used: lists or concatenation grown in a loop inside `@tf.function` (found by parse/detectors/frameworks.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class TensorarrayNotUsed(FileRule):
    id = "MLD829"
    name = "tensorarray-not-used"
