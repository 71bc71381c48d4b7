"""MLD410 plain-old-data: a bare tuple of several values returned across a module boundary.

`detect` (below) reports every public top-level function returning a tuple; this rule keeps
those with at least `min-elements` values that another file of the project calls, with the
calls as evidence.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from mldebt.parse.detectors.context import FUNCTIONS, FileContext
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, Hit, data, is_test_path

if TYPE_CHECKING:
    from mldebt.graph.build import Built


class PlainOldData(FileRule):
    id = "MLD410"
    name = "plain-old-data"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"min-elements": (int, 4)}

    def check(self, built: Built) -> Iterator[Hit]:
        from mldebt.graph.facade import Site

        minimum = int(self.options["min-elements"])
        for path in sorted(built.project.files):
            if is_test_path(path):
                continue
            for smell in built.project.files[path].smells:
                if smell.rule != self.id or int(data(smell, "size", "0")) < minimum:
                    continue
                function = data(smell, "function")
                calls = sorted(
                    (
                        (caller, call.span.line, call.span.column)
                        for caller, call in built.project.callers.get((path, function), [])
                        if caller != path and not is_test_path(caller)
                    ),
                )
                if not calls:
                    continue
                span = smell.span
                yield Hit(
                    site=Site(path, span.line, span.column, span.end_line, span.end_column),
                    message=smell.message,
                    related=tuple(
                        Site(caller, line, column, note=f"`{function}`'s tuple is unpacked by position here")
                        for caller, line, column in calls[:5]
                    ),
                    key=smell.key,
                )


# detection ------------------------------------------------------------------------------


def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD410 candidates: public top-level functions that return a bare tuple of several values.

    Whether the tuple crosses a module boundary is the graph's question: the rule keeps only
    functions that another file calls. `data` carries the function and the largest tuple size.
    """
    if ctx.notebook or "return" not in ctx.text:
        return
    for fn in ctx.tree.body:
        if not isinstance(fn, FUNCTIONS) or fn.name.startswith("_"):
            continue
        sizes = [
            len(r.value.elts)
            for r in ctx.walk_scope(fn)
            if isinstance(r, ast.Return)
            and isinstance(r.value, ast.Tuple)
            and not any(isinstance(e, ast.Starred) for e in r.value.elts)
        ]
        if not sizes:
            continue
        size = max(sizes)
        yield ctx.smell(
            "MLD410",
            fn,
            f"`{fn.name}` returns a bare tuple of {size} values: callers in other modules unpack them "
            "by position, with nothing to say which is which",
            key=f"tuple:{fn.name}",
            data=(("function", fn.name), ("size", str(size))),
        )
