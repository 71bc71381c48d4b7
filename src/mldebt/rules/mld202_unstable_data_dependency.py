"""MLD202 unstable-data-dependency: reads of sources that change under the reader (found by
parse/detectors/datadeps.py): unversioned URLs, `latest` paths, bucket prefixes and globs, SQL
tables with no snapshot, hub datasets and models with no pinned revision.

A source the file does not show, built from a name another module defines, is pending in the
detector; it is judged here on the text the project's resolver gives the read's `Value` (the
extractor's I/O fact at the same place), with the detector's own judges."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from mldebt.graph.build import Built, IOSite, artifact_id
from mldebt.graph.project import Resolved
from mldebt.model import Confidence, Resolution
from mldebt.parse.detectors.datadeps import judge_resolved
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, Hit, _site, data


class UnstableDataDependency(FileRule):
    id = "MLD202"
    name = "unstable-data-dependency"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"hub-revisions": (bool, True), "globs": (bool, True)}

    def accept(self, smell: Smell) -> bool:
        kind = data(smell, "kind")
        if kind == "hub" and not self.options["hub-revisions"]:
            return False
        return not (kind == "glob" and not self.options["globs"])

    def check(self, built: Built) -> Iterator[Hit]:
        sites = {(s.path, s.fact.span.line, s.fact.span.column): s for s in built.io_sites if s.fact.op == "read"}
        for path in sorted(built.project.files):
            for smell in built.project.files[path].smells:
                if smell.rule != self.id:
                    continue
                category = data(smell, "pending")
                if not category:
                    if self.accept(smell):
                        yield Hit(
                            site=_site(path, smell.span),
                            message=smell.message,
                            related=tuple(_site(path, e.span, e.note) for e in smell.related),
                            key=smell.key,
                            confidence=Confidence(smell.confidence) if smell.confidence else None,
                        )
                    continue
                site = sites.get((path, smell.span.line, smell.span.column))
                hit = self._judge(built, site, category, data(smell, "api")) if site is not None else None
                if hit is not None:
                    yield hit

    def _judge(self, built: Built, site: IOSite, category: str, api: str) -> Hit | None:
        for r in site.resolved:
            origin = _origin(r)
            if origin is None:
                continue
            judged = judge_resolved(category, r.artifact, _written_by(built, site.path, r.artifact), api, origin)
            if judged is None:
                continue
            message, confidence, kind = judged
            if (kind == "hub" and not self.options["hub-revisions"]) or (kind == "glob" and not self.options["globs"]):
                return None
            return Hit(
                site=_site(site.path, site.fact.span),
                message=message,
                key=f"{kind}|{r.artifact}",
                confidence=Confidence(confidence),
            )
        return None


def _origin(r: Resolved) -> str | None:
    """Where another module defines the source, as a phrase; None unless it came from there."""
    if r.how not in (Resolution.EXACT, Resolution.IMPORTED):
        return None
    constants = [v for v in r.via if v.kind == "constant"]
    if not constants or len(constants) != len(r.via):
        return None
    names = ", ".join(f"`{v.name}` of `{v.path}`" for v in constants[:2])
    return f"from {names}"


def _written_by(built: Built, path: str, artifact: str) -> bool:
    """Does the reading file write this artifact too (a training loop's own `latest` checkpoint)?"""
    node = artifact_id(artifact)
    if node not in built.graph:
        return False
    return any(e.source.startswith(f"function:{path}::") for e in built.graph.in_edges(node, ["writes"]))
