"""MLD602 unmonitored-prediction: a serving entry point that returns predictions with no logging,
metrics, input validation or bounds (found by parse/detectors/external.py).

A handler that serves what another module's function returns is pending in the detector
(`Smell.data` "callee"); it is reported here only when that function's summary says it returns a
model output (MLD601's `returned_output`), and no module on the way imports logging or a
monitoring library (the helper may log what it predicts)."""

from __future__ import annotations

from collections.abc import Iterator

from mldebt.graph.build import Built
from mldebt.graph.facade import Site
from mldebt.model import Confidence
from mldebt.parse.detectors.external import MONITORING_ROOTS
from mldebt.rules.base import FileRule, Hit, _site, data
from mldebt.rules.mld601_fixed_threshold import returned_outputs


class UnmonitoredPrediction(FileRule):
    id = "MLD602"
    name = "unmonitored-prediction"

    def check(self, built: Built) -> Iterator[Hit]:
        for path in sorted(built.project.files):
            served: set[str] = set()  # handlers reported: one finding each, at the first predictor
            for smell in built.project.files[path].smells:
                if smell.rule != self.id or smell.key in served:
                    continue
                evidence: tuple[Site, ...] = ()
                callee = data(smell, "callee")
                if callee:
                    chain = returned_outputs(built, path, callee)
                    if not chain or any(_monitors(built, p) for p, _ in chain):
                        continue
                    where, summary = chain[-1]
                    note = f"`{summary.function}` returns {summary.what} output"
                    evidence = (Site(where, summary.span.line, summary.span.column, note=note),)
                served.add(smell.key)
                yield Hit(
                    site=_site(path, smell.span),
                    message=smell.message,
                    related=(*(_site(path, e.span, e.note) for e in smell.related), *evidence),
                    key=smell.key,
                    confidence=Confidence(smell.confidence) if smell.confidence else None,
                )


def _monitors(built: Built, path: str) -> bool:
    """Does the module import logging or a monitoring library?"""
    facts = built.project.files.get(path)
    return facts is not None and any(i.module.split(".")[0] in MONITORING_ROOTS for i in facts.imports)
