"""The rules: `REGISTRY` (rules/registry.py), an explicit tuple in id order, and `Rule`/`Hit`.

They load on first use: the parse phase imports a file rule's module for its `detect` without
loading every rule and the graph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mldebt.rules.base import Hit, Rule
    from mldebt.rules.registry import REGISTRY


def __getattr__(name: str) -> object:
    if name == "REGISTRY":
        from mldebt.rules.registry import REGISTRY

        return REGISTRY
    if name in ("Hit", "Rule"):
        from mldebt.rules import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["REGISTRY", "Hit", "Rule"]
