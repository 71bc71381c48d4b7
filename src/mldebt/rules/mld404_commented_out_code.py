"""MLD404 commented-out-code: runs of comment lines that are Python statements (found by
parse/detectors/antipatterns.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, data


class CommentedOutCode(FileRule):
    id = "MLD404"
    name = "commented-out-code"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"min-lines": (int, 3)}

    def accept(self, smell: Smell) -> bool:
        return int(data(smell, "lines", "0")) >= max(2, int(self.options["min-lines"]))
