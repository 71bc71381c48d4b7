"""MLD705 unpinned-dependency: a machine-learning package declared without a pinned version in a
requirements file or conda environment (found by parse/requirements.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, data


class UnpinnedDependency(FileRule):
    id = "MLD705"
    name = "unpinned-dependency"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"lower-bounds": (bool, False)}

    def accept(self, smell: Smell) -> bool:
        return data(smell, "spec") != "lower" or bool(self.options["lower-bounds"])
