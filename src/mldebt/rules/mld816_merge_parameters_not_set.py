"""MLD816 merge-parameters-not-set: `merge` without explicit join keys (and optionally `how`, `validate`) (found by parse/detectors/pandas_numpy.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, data


class MergeParametersNotSet(FileRule):
    id = "MLD816"
    name = "merge-parameters-not-set"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {
        "require-how": (bool, False),
        "require-validate": (bool, False),
    }

    def accept(self, smell: Smell) -> bool:
        missing = set(data(smell, "missing").split(","))
        return (
            "keys" in missing
            or ("how" in missing and bool(self.options["require-how"]))
            or ("validate" in missing and bool(self.options["require-validate"]))
        )
