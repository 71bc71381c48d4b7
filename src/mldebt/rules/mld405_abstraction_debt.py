"""MLD405 abstraction-debt: training scripts with no functions, and god functions that load,
fit, evaluate and save (found by parse/detectors/antipatterns.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, data


class AbstractionDebt(FileRule):
    id = "MLD405"
    name = "abstraction-debt"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {
        "min-script-statements": (int, 25),  # a training script with no function, over this many statements
        "max-statements": (int, 50),  # a function doing all four phases, over this many statements
    }

    def accept(self, smell: Smell) -> bool:
        statements = int(data(smell, "statements", "0"))
        if data(smell, "kind") == "script":
            return statements > int(self.options["min-script-statements"])
        return statements > int(self.options["max-statements"])
