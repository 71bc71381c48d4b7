"""MLD703 missing-random-state: a random scikit-learn estimator, splitter or function called
without `random_state` (found by parse/detectors/repro.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, data


class MissingRandomState(FileRule):
    id = "MLD703"
    name = "missing-random-state"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"unseeded-files": (bool, False)}

    def accept(self, smell: Smell) -> bool:
        return data(smell, "seeds-elsewhere") == "yes" or bool(self.options["unseeded-files"])
