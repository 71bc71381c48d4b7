"""MLD702 unseeded-randomness: a program that draws from a global random generator it never
seeds (found by parse/detectors/repro.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, data


class UnseededRandomness(FileRule):
    id = "MLD702"
    name = "unseeded-randomness"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"unseeded-training": (bool, False)}

    def accept(self, smell: Smell) -> bool:
        return data(smell, "explicit-or-seeded") != "no" or bool(self.options["unseeded-training"])
