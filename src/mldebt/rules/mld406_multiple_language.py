"""MLD406 multiple-language: SQL, shell, R and other languages embedded in the data path (found by
parse/detectors/habits.py). SQL is kept from `min-sql-lines` lines and `min-sql-clauses` joins,
subqueries, unions or CTEs: a one-line `SELECT * FROM t` is no glue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, data


class MultipleLanguage(FileRule):
    id = "MLD406"
    name = "multiple-language"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"min-sql-lines": (int, 5), "min-sql-clauses": (int, 2)}

    def accept(self, smell: Smell) -> bool:
        if data(smell, "kind") != "sql":
            return True
        return int(data(smell, "lines", "0")) >= int(self.options["min-sql-lines"]) and int(
            data(smell, "clauses", "0")
        ) >= int(self.options["min-sql-clauses"])
