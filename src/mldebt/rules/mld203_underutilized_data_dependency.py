"""MLD203 underutilized-data-dependency: data loaded and never used, columns engineered and never
read (found by parse/detectors/datadeps.py). A module-level load in a module that other project
files import may be what they import: those are dropped here, where the import graph is known."""

from __future__ import annotations

from collections.abc import Iterator

from mldebt.graph.build import Built, module_id
from mldebt.rules.base import FileRule, Hit


class UnderutilizedDataDependency(FileRule):
    id = "MLD203"
    name = "underutilized-data-dependency"

    def check(self, built: Built) -> Iterator[Hit]:
        imported = {
            path
            for path in built.project.files
            if module_id(path) in built.graph and built.graph.in_edges(module_id(path), ["imports"])
        }
        module_level = {
            (path, s.span.line)
            for path, facts in built.project.files.items()
            if path in imported
            for s in facts.smells
            if s.rule == self.id and dict(s.data).get("scope") == "module"
        }
        for hit in super().check(built):
            if (hit.site.path, hit.site.line) not in module_level:
                yield hit
