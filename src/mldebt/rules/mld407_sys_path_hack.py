"""MLD407 sys-path-hack: `sys.path` changed by a module other project modules import (found by
parse/detectors/habits.py; the import graph decides which modules are library code)."""

from __future__ import annotations

from collections.abc import Iterator

from mldebt.graph.build import Built, module_id
from mldebt.rules.base import FileRule, Hit


class SysPathHack(FileRule):
    id = "MLD407"
    name = "sys-path-hack"

    def check(self, built: Built) -> Iterator[Hit]:
        g = built.graph
        for hit in super().check(built):
            path = hit.site.path
            node = module_id(path)
            importers = sorted({e.source for e in g.in_edges(node, ["imports"])}) if node in g else []
            if not importers:
                continue  # an entry-point script: its own business how it finds its imports
            first = g.label(importers[0])
            who = f"`{first}` imports" if len(importers) == 1 else f"`{first}` and {len(importers) - 1} more import"
            yield Hit(
                hit.site,
                f"{hit.message}, in a module that {who}: every importer inherits the hack",
                related=hit.related,
                key=hit.key,
                confidence=hit.confidence,
            )
