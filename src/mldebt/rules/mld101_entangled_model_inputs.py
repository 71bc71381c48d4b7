"""MLD101 entangled-model-inputs: one model fit on data mixed from many separate sources."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from mldebt.graph.build import Built, model_id
from mldebt.graph.facade import Edge, ProjectGraph, Site
from mldebt.parse.facts import ModelEvent
from mldebt.rules.base import Hit, Rule, is_test_path

# Libraries whose `fit` goes on training the same weights (Keras): their fits accumulate sources.
_CONTINUES = ("keras.", "tensorflow.", "tf_keras.")


class EntangledModelInputs(Rule):
    id = "MLD101"
    name = "entangled-model-inputs"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"max-sources": (int, 4)}

    def check(self, built: Built) -> Iterator[Hit]:
        g = built.graph
        limit = max(2, int(self.options["max-sources"]))
        for model in g.nodes("model"):
            edges = g.in_edges(model, ["trains-on"])  # a glob or an unresolved read is one source each
            if len({e.source for e in edges}) < limit:
                continue
            for fit, sources, event in _fitted_states(built, model, edges):
                if len(sources) < limit or is_test_path(fit.path):
                    continue
                sources, call = _one_caller(built, fit.path, event, sources)
                if len(sources) < limit:
                    continue
                yield _hit(g, model, fit, sorted(sources), [e for e in edges if e.source in sources], call)


def _one_caller(
    built: Built, path: str, event: ModelEvent | None, sources: frozenset[str]
) -> tuple[frozenset[str], Site | None]:
    """A model fit inside a helper trains, at each call, on what that call passes: the sources
    of its most mixed call, not the union over every script that calls the helper (a library's
    `encode(df)` called by five example scripts, each with its own file, is five models)."""
    if event is None:
        return sources, None
    contexts = built.reads_per_caller(path, event.function, event.lineage)
    if not contexts:
        return sources, None
    call, reads = max(((c, r & sources) for c, r in contexts), key=lambda cr: (len(cr[1]), sorted(cr[1]), cr[0]))
    return reads, call


def _fitted_states(
    built: Built, model: str, edges: list[Edge]
) -> Iterator[tuple[Site, frozenset[str], ModelEvent | None]]:
    """Per model object, in statement order: the first fit at which it holds data from the most sources.

    A model variable is one graph node, but `le = LabelEncoder()` in a loop, or a second
    `fit`, starts from scratch: only the reads that reach a fit (or, for a model that keeps
    training, the fits since it was built) count, never a read further down the script.
    """
    by_site: dict[Site, set[str]] = defaultdict(set)
    for e in edges:
        for s in e.sites:
            by_site[s].add(e.source)
    path = next(iter(by_site)).path if by_site else ""
    facts = built.project.files.get(path)
    events = sorted(
        (ev for ev in facts.models if model_id(path, ev.var) == model) if facts is not None else (),
        key=lambda ev: (ev.span.line, ev.span.column),
    )
    if not any(ev.event == "fit" for ev in events):  # no facts behind the graph: one state
        yield min(by_site), frozenset(e.source for e in edges), None
        return
    best: tuple[Site, frozenset[str], ModelEvent | None] | None = None
    state: frozenset[str] = frozenset()
    ctor = ""
    for ev in events:
        if ev.event == "construct":
            if best is not None:
                yield best
            best, state, ctor = None, frozenset(), ev.api
            continue
        if ev.event != "fit":
            continue
        sp = ev.span
        site = Site(path, sp.line, sp.column, sp.end_line, sp.end_column)
        fed = frozenset(by_site.get(site, ()))
        keeps = ev.api == "partial_fit" or ctor.startswith(_CONTINUES)
        state = state | fed if keeps else fed
        if best is None or len(state) > len(best[1]):
            best = (site, state, None if keeps else ev)  # a fit that keeps training: all its fits
    if best is not None:
        yield best


def _hit(g: ProjectGraph, model: str, fit: Site, sources: list[str], edges: list[Edge], call: Site | None) -> Hit:
    names = [g.label(s) for s in sources]
    shown = ", ".join(f"`{n}`" for n in names[:6]) + (", ..." if len(names) > 6 else "")
    related = []
    for e in edges:
        where = str(e.attrs.get("read_at", ""))
        path, line, col = _split(where)
        related.append(Site(path, line, col, note=f"reads `{g.label(e.source)}`"))
    via = ""
    if call is not None:
        via = f" when called from `{call.path}` (line {call.line})"
        related.append(Site(call.path, call.line, call.column, note="the call that passes the mixed data"))
    return Hit(
        site=fit,
        message=(
            f"{g.label(model)} is fit{via} on data mixed from {len(sources)} separate sources ({shown}); "
            "a change in any of them changes the whole model"
        ),
        related=tuple(sorted(set(related))),
        key=f"{model}|{'|'.join(sources)}",
        edges=tuple((source, model, "trains-on") for source in sources),
    )


def _split(where: str) -> tuple[str, int, int]:
    path, line, col = where.rsplit(":", 2)
    return path, int(line), int(col)
