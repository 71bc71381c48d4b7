"""MLD825 memory-not-freed: loss tensors accumulated across iterations; Keras models built in a loop (found by parse/detectors/frameworks.py)."""

from __future__ import annotations

from mldebt.rules.base import FileRule


class MemoryNotFreed(FileRule):
    id = "MLD825"
    name = "memory-not-freed"
