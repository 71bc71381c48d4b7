"""MLD813 chain-indexing: a DataFrame indexed twice in a row, above all when assigned through (found by parse/detectors/pandas_numpy.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, data


class ChainIndexing(FileRule):
    id = "MLD813"
    name = "chain-indexing"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"reads": (bool, False)}

    def accept(self, smell: Smell) -> bool:
        return bool(self.options["reads"]) or data(smell, "access") == "write"
