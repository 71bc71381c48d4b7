"""MLD707 unused-suppression: `# mldebt: ignore[...]` comments that suppress nothing, name no
rule, or lack a reason under `require-reason`. Its findings come from `mldebt.suppressions`,
which applies every comment after the other rules have run: this class only registers the rule."""

from __future__ import annotations

from collections.abc import Iterator

from mldebt.graph.build import Built
from mldebt.rules.base import Hit, Rule


class UnusedSuppression(Rule):
    id = "MLD707"
    name = "unused-suppression"

    def check(self, built: Built) -> Iterator[Hit]:
        return iter(())
