"""MLD410 plain-old-data: a bare tuple of several values returned across a module boundary.

The detector (parse/detectors/antipatterns.py `tuple_returns`) reports every public top-level
function returning a tuple; this rule keeps those with at least `min-elements` values that
another file of the project calls, with the calls as evidence.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from mldebt.graph.build import Built
from mldebt.graph.facade import Site
from mldebt.rules.base import FileRule, Hit, data, is_test_path


class PlainOldData(FileRule):
    id = "MLD410"
    name = "plain-old-data"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"min-elements": (int, 4)}

    def check(self, built: Built) -> Iterator[Hit]:
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
