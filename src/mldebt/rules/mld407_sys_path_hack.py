"""MLD407 sys-path-hack: `sys.path` changed by a module other project modules import (`detect`,
below, finds the changes; the import graph decides which modules are library code). Tests,
notebooks, docs and setup scripts are skipped: that is where prototype habits belong."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from mldebt.parse.detectors.context import FileContext, prototype_scope
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, Hit

if TYPE_CHECKING:
    from mldebt.graph.build import Built


class SysPathHack(FileRule):
    id = "MLD407"
    name = "sys-path-hack"

    def check(self, built: Built) -> Iterator[Hit]:
        from mldebt.graph.build import module_id

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


# detection ------------------------------------------------------------------------------


def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD407: `sys.path` changed in code (the rule keeps modules other project modules import)."""
    if "sys" not in ctx.imported_roots and "site" not in ctx.imported_roots:
        return
    if prototype_scope(ctx):
        return
    for node in ctx.walk():
        target: ast.AST | None = None
        what = ""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = ctx.qualify(node.func) or ""
            if name in ("sys.path.append", "sys.path.insert", "sys.path.extend", "site.addsitedir"):
                target, what = node, f"`{ctx.source(node)}`"
        elif isinstance(node, ast.AugAssign) and ctx.qualify(node.target) == "sys.path":
            target, what = node, "`sys.path +=`"
        elif isinstance(node, ast.Assign) and any(ctx.qualify(t) == "sys.path" for t in node.targets):
            target, what = node, "`sys.path = ...`"
        if target is None:
            continue
        if not isinstance(ctx.scope_of(target), ast.Module) or _under_main_guard(ctx, target):
            # in a function it is most often a mechanism (a plugin loader, a cache of dynamic
            # modules); under `if __name__ == "__main__"` the script's own business
            continue
        yield ctx.smell(
            "MLD407", target, f"{what} changes the import path when the module is imported", key=f"syspath|{what}"
        )


def _under_main_guard(ctx: FileContext, node: ast.AST) -> bool:
    for a in ctx.ancestors(node):
        if isinstance(a, ast.If) and "__main__" in ast.unparse(a.test) and "__name__" in ast.unparse(a.test):
            return True
    return False
