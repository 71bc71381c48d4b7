"""MLD601 fixed-threshold: a hand-set constant compared with model scores or probabilities
(found by parse/detectors/external.py).

The detector decides what one file shows. A comparison with what another module's function
returns, or with data read from a file, is pending there (`Smell.data` "callee" / "read"); it is
decided here, with the whole project in view: the callee's summary (`FileFacts.summaries`,
followed through functions that return what another function returns, bounded) must say it
returns a model output, or the file read must be one the project writes predictions into (a
`predicts-into` edge of the graph)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from mldebt.graph.build import Built, artifact_id
from mldebt.graph.facade import Site
from mldebt.model import Confidence
from mldebt.parse.facts import Smell, Summary
from mldebt.rules.base import FileRule, Hit, _site, data

_MAX_HOPS = 4  # a function returning what a function of another module returns, and so on


class FixedThreshold(FileRule):
    id = "MLD601"
    name = "fixed-threshold"
    # 0.5 on a probability is the default decision rule (what `predict` does), not a tuned value
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"ignore-values": (list, [0.5])}

    def accept(self, smell: Smell) -> bool:
        try:
            value = float(data(smell, "value", "nan"))
            ignored = {float(v) for v in self.options["ignore-values"]}
        except (TypeError, ValueError):
            return True
        return value not in ignored

    def check(self, built: Built) -> Iterator[Hit]:
        for path in sorted(built.project.files):
            for smell in built.project.files[path].smells:
                if smell.rule != self.id or not self.accept(smell):
                    continue
                evidence = self.pending(built, path, smell)
                if evidence is None:
                    continue
                yield Hit(
                    site=_site(path, smell.span),
                    message=smell.message,
                    related=(*(_site(path, e.span, e.note) for e in smell.related), *evidence),
                    key=smell.key,
                    confidence=Confidence(smell.confidence) if smell.confidence else None,
                )

    def pending(self, built: Built, path: str, smell: Smell) -> tuple[Site, ...] | None:
        """Evidence that a pending comparison is on a model output; None when it is not."""
        value = float(data(smell, "value", "nan"))
        callee = data(smell, "callee")
        if callee:
            found = returned_output(built, path, callee)
            if found is None:
                return None
            where, summary = found
            if summary.scale == "prob" and not 0 < value < 1:
                return None
            note = f"`{summary.function}` returns {summary.what} output"
            return (Site(where, summary.span.line, summary.span.column, note=note),)
        read = data(smell, "read")
        if read:
            return _predictions_read(built, path, read)
        return ()


def returned_output(built: Built, path: str, callee: str) -> tuple[str, Summary] | None:
    """The summary of the project function `callee` (dotted, as the file at `path` names it)
    when it returns a model output, following `via` steps through other modules."""
    chain = returned_outputs(built, path, callee)
    return chain[-1] if chain else None


def returned_outputs(built: Built, path: str, callee: str) -> list[tuple[str, Summary]]:
    """Each step's (file, summary) from `callee` to the function that computes the model
    output; empty when it does not return one."""
    project = built.project
    chain: list[tuple[str, Summary]] = []
    for _ in range(_MAX_HOPS):
        facts = project.files.get(path)
        ref = project.resolve_callee(facts, "<module>", callee) if facts is not None else None
        if ref is None:
            return []
        summary = next(
            (s for s in project.files[ref.path].summaries if s.function == ref.qualname and s.kind == "output"), None
        )
        if summary is None:
            return []
        chain.append((ref.path, summary))
        if not summary.via:
            return chain
        path, callee = ref.path, summary.via
    return []


def _predictions_read(built: Built, path: str, read: str) -> tuple[Site, ...] | None:
    """Where a model's predictions are written into the file read at `read` ("line:column")."""
    line, _, column = read.partition(":")
    for site in built.io_sites:
        fact = site.fact
        if site.path != path or fact.op != "read" or (str(fact.span.line), str(fact.span.column)) != (line, column):
            continue
        for r in site.resolved:
            node = artifact_id(r.artifact)
            if node not in built.graph:
                continue
            for edge in built.graph.in_edges(node, ["predicts-into"]):
                written = edge.sites[0] if edge.sites else None
                label = built.graph.label(edge.source)
                if written is not None:
                    note = f"`{r.artifact}` is written from the predictions of {label}"
                    return (Site(written.path, written.line, written.column, note=note),)
    return None
