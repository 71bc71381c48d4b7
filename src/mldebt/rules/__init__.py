"""The rules: `REGISTRY` (rules/registry.py), an explicit tuple in id order, and `Rule`/`Hit`.

They load on first use: the parse phase imports a file rule's module for its `detect` without
loading every rule and the graph, and validating settings (`rule_ids`, `option_types`) loads
none unless the configuration sets a rule's options.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mldebt.rules.base import Hit, Rule
    from mldebt.rules.registry import REGISTRY


def rule_ids() -> list[str]:
    """The registry's rule ids in id order, without importing a rule: rule `MLDnnn` lives in
    `rules/mldnnn_name.py` (tests/test_file_rules.py checks this against `REGISTRY`)."""
    return sorted(p.name[:6].upper() for p in Path(__file__).parent.glob("mld[0-9][0-9][0-9]_*.py"))


class _OptionTypes(Mapping[str, Mapping[str, type]]):
    """`engine.known_options()` on first use: only settings with rule options need the classes."""

    def __init__(self) -> None:
        self._table: dict[str, dict[str, type]] | None = None

    def _get(self) -> dict[str, dict[str, type]]:
        if self._table is None:
            from mldebt.rules.engine import known_options

            self._table = known_options()
        return self._table

    def __getitem__(self, code: str) -> Mapping[str, type]:
        return self._get()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __bool__(self) -> bool:  # never empty: `options or {}` must not load the rules
        return True


def option_types() -> Mapping[str, Mapping[str, type]]:
    """Each rule's option names and types, for validating settings (loads the rules on first use)."""
    return _OptionTypes()


def __getattr__(name: str) -> object:
    if name == "REGISTRY":
        from mldebt.rules.registry import REGISTRY

        return REGISTRY
    if name in ("Hit", "Rule"):
        from mldebt.rules import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["REGISTRY", "Hit", "Rule", "option_types", "rule_ids"]
