"""MLD706 self-admitted-debt: TODO/FIXME/HACK/XXX comments in ML code (found by
parse/detectors/external.py, which reports every tag it knows; `tags` picks the ones reported)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, data


class SelfAdmittedDebt(FileRule):
    id = "MLD706"
    name = "self-admitted-debt"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {
        "tags": (list, ["TODO", "FIXME", "HACK", "XXX", "workaround", "temporary"])
    }

    def accept(self, smell: Smell) -> bool:
        wanted = {str(t).lower() for t in self.options["tags"]}
        return data(smell, "tag").lower() in wanted
