"""MLD601 fixed-threshold: a hand-set constant compared with model scores or probabilities
(found by parse/detectors/external.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, data


class FixedThreshold(FileRule):
    id = "MLD601"
    name = "fixed-threshold"
    # 0.5 on a probability is the default decision rule (what `predict` does), not a tuned value
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"ignore-values": (list, [0.5])}

    def accept(self, smell: Smell) -> bool:
        try:
            value = float(data(smell, "value", "nan"))
            ignored = {float(v) for v in self.options["ignore-values"]}
        except (TypeError, ValueError):
            return True
        return value not in ignored
