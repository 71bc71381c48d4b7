"""MLD102 correction-cascade: a model fit on another model's predictions (feature, target or residual).

Two ways predictions reach a fit: in memory (a `feeds` edge that carries predictions, made at the
fit), or through files (`predicts-into` an artifact, `derives`/`matches` steps, then `trains-on`).
A cycle back to the producing model is MLD301's finding, not this one; and a model fit on
predictions of itself (or of a copy saved and loaded again) is self-training, not a cascade.
The helpers for model identity and predict sites are shared with MLD103 and MLD104.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from mldebt.graph.build import Built
from mldebt.graph.facade import Edge, ProjectGraph, Site
from mldebt.model import Confidence
from mldebt.parse.facts import ModelEvent
from mldebt.rules.base import Hit, Rule, fmt_site, is_test_path

# Fit methods that learn from a target; a scaler's `fit_transform` on predictions is no cascade.
_LEARNING_FITS = frozenset({"fit", "partial_fit", "fit_predict", "train"})
# Edges a model's data and identity travel along (MLD301's loop edges): reaching back means a cycle.
LOOP_EDGES = ("trains-on", "predicts-into", "saves", "loads", "feeds", "derives", "matches")
_MAX_FILE_HOPS = 4  # predicts-into, then at most this many derives/matches steps, then trains-on


def model_var(model: str) -> tuple[str, str]:
    """`model:<path>::<scope>::<var>` -> (path, `<scope>::<var>`), the ModelEvent.var spelling."""
    path, _, var = model.removeprefix("model:").partition("::")
    return path, var


def where(built: Built, site: Site, here: str = "") -> str:
    """`path:line` for a message, with a notebook's line given in its cell as reports show it;
    without the path when it is `here`, the file the finding is in."""
    facts = built.project.files.get(site.path)
    if facts is not None and facts.line_map and 1 <= site.line <= len(facts.line_map):
        cell, line, _ = facts.line_map[site.line - 1]
        return f"cell {cell}:{line}" if site.path == here else f"{site.path}:cell {cell}:{line}"
    return f"line {site.line}" if site.path == here else fmt_site(site)


class Models:
    """Model identity and events, from the graph and the facts, computed once per check."""

    def __init__(self, built: Built) -> None:
        self.built = built
        self.g = built.graph
        self.events: dict[str, list[ModelEvent]] = defaultdict(list)  # model node -> its events
        for f in built.project.files.values():
            for ev in f.models:
                self.events[f"model:{f.path}::{ev.var}"].append(ev)
        self._origins: dict[str, frozenset[str]] = {}

    def origins(self, model: str) -> frozenset[str]:
        """The model and every model it is a copy of: passed on as an object, or saved and loaded back."""
        if model in self._origins:
            return self._origins[model]
        seen = {model}
        frontier = [model]
        while frontier:
            node = frontier.pop()
            parents: list[str] = []
            for e in self.g.in_edges(node, ["feeds", "loads"]):
                if e.kind == "feeds" and e.attrs.get("carries") != "predictions":
                    parents.append(e.source)
                elif e.kind == "loads":
                    parents.extend(s.source for s in self.g.in_edges(e.source, ["saves"]))
            for p in parents:
                if p not in seen:
                    seen.add(p)
                    frontier.append(p)
        self._origins[model] = frozenset(seen)
        return self._origins[model]

    def same_model(self, a: str, b: str) -> bool:
        return a == b or bool(self.origins(a) & self.origins(b))

    def learning_fits(self, model: str) -> list[ModelEvent]:
        return [ev for ev in self.events.get(model, []) if ev.event == "fit" and ev.api in _LEARNING_FITS]

    def trained_here(self, model: str) -> bool:
        """Fit somewhere in the project (itself or what it was copied from): not a pretrained extractor."""
        return any(self.learning_fits(m) for m in self.origins(model))

    def named(self, model: str) -> str:
        """The model to name for `model`: a helper's parameter stands for the one trained model passed in."""
        if self.learning_fits(model):
            return model
        trained = [m for m in self.origins(model) if m != model and self.learning_fits(m)]
        return trained[0] if len(trained) == 1 else model

    def fit_at(self, model: str, site: Site) -> ModelEvent | None:
        for ev in self.learning_fits(model):
            if (ev.span.line, ev.span.column) == (site.line, site.column):
                return ev
        return None

    def predict_site(self, model: str, before: Site | None = None) -> Site | None:
        """Where `model` predicts (the note is the call, `base.predict_proba`): the last predict before
        `before` in the same file, else the first."""
        path, _ = model_var(model)
        var = model_var(model)[1].rpartition("::")[2]
        sites = sorted(
            Site(path, ev.span.line, ev.span.column, ev.span.end_line, ev.span.end_column, f"{var}.{ev.api}")
            for ev in self.events.get(model, [])
            if ev.event == "predict"
        )
        if not sites:
            return None
        if before is not None and before.path == path:
            earlier = [s for s in sites if (s.line, s.column) <= (before.line, before.column)]
            if earlier:
                return earlier[-1]
        return sites[0]


def reaches(g: ProjectGraph, start: str, goal: str, limit: int = 5000) -> bool:
    """Whether `goal` is reachable from `start` along the loop edges (bounded search)."""
    seen = {start}
    frontier = [start]
    while frontier and limit > 0:
        node = frontier.pop()
        for e in g.out_edges(node, LOOP_EDGES):
            limit -= 1
            if e.target == goal:
                return True
            if e.target not in seen:
                seen.add(e.target)
                frontier.append(e.target)
    return False


def short(g: ProjectGraph, node: str) -> str:
    """A model's label up to ` in <file>`: `base` (LinearRegression)."""
    return g.label(node).split(" in ", 1)[0]


@dataclass(frozen=True, slots=True)
class _Cascade:
    producer: str
    call: str  # the predict call, `base.predict`
    related: tuple[Site, ...]  # the predict first
    via: str  # for the message: "" in memory, else "read from `x` written at p:12"
    confidence: Confidence


class CorrectionCascade(Rule):
    id = "MLD102"
    name = "correction-cascade"

    def check(self, built: Built) -> Iterator[Hit]:
        g = built.graph
        models = Models(built)
        found: dict[tuple[str, Site], dict[str, _Cascade]] = defaultdict(dict)  # (fit model, fit) -> producer
        for consumer, fit, cascade in [*_in_memory(g, models), *_through_files(g, models)]:
            if is_test_path(fit.path) or models.same_model(cascade.producer, consumer):
                continue
            if not models.trained_here(cascade.producer):
                continue  # a pretrained extractor's outputs are features, not a learned correction
            if reaches(g, consumer, cascade.producer):
                continue  # the flow comes back: a feedback loop, reported by MLD301
            old = found[(consumer, fit)].get(cascade.producer)
            if old is None or (old.via and not cascade.via):  # in memory is the shorter evidence
                found[(consumer, fit)][cascade.producer] = cascade
        for (consumer, fit), by_producer in sorted(found.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            cascades = [by_producer[p] for p in sorted(by_producer)]
            parts = []
            for c in cascades:
                pred = c.related[0] if c.related else None
                at = f" ({where(built, pred, fit.path)} `{c.call}`)" if pred else ""
                named = models.named(c.producer)
                elsewhere = f" in {model_var(named)[0]}" if model_var(named)[0] != fit.path else ""
                parts.append(f"{short(g, named)}{elsewhere}{at}{c.via}")
            confidence = min((c.confidence for c in cascades), key=_RANK.__getitem__)
            yield Hit(
                site=fit,
                message=(
                    f"correction cascade: {g.label(consumer)} is fit on predictions of {'; and of '.join(parts)}; "
                    "a change to that model silently changes what this one learns"
                ),
                related=tuple(sorted({s for c in cascades for s in c.related})),
                key=f"{consumer}|{'|'.join(sorted(by_producer))}",
                confidence=confidence,
            )


_RANK = {Confidence.LOW: 0, Confidence.MEDIUM: 1, Confidence.HIGH: 2}


def _in_memory(g: ProjectGraph, models: Models) -> Iterator[tuple[str, Site, _Cascade]]:
    """`stage2.fit(X, y - base.predict(X))`: predictions reach a fit inside the program."""
    for e in g.edges(["feeds"]):
        for site in e.sites:
            if e.attrs.get("carries") != "predictions" and not _direct(models, e, site):
                continue  # the object itself passed on, not its predictions
            if models.fit_at(e.target, site) is None:
                continue
            pred = models.predict_site(e.source, before=site)
            note = f"{short(g, e.source)} predicts here"
            related = (Site(pred.path, pred.line, pred.column, note=note),) if pred else ()
            call = pred.note if pred else ""
            yield e.target, site, _Cascade(e.source, call, related, "", Confidence.MEDIUM)


def _direct(models: Models, e: Edge, site: Site) -> bool:
    """A feeds edge first made for an object hand-over keeps that attribute; the fit's own tokens tell."""
    fit = models.fit_at(e.target, site)
    path, var = model_var(e.source)
    return fit is not None and path == model_var(e.target)[0] and f"pred:{var}" in fit.lineage


def _through_files(g: ProjectGraph, models: Models) -> Iterator[tuple[str, Site, _Cascade]]:
    """Predictions written to a file or table (maybe transformed into others) that a fit reads."""
    for write in g.edges(["predicts-into"]):
        producer = write.source
        wsite = min(write.sites) if write.sites else None
        # breadth-first over derives/matches, keeping the path of edges to each artifact
        paths: dict[str, list[Edge]] = {write.target: []}
        frontier = [write.target]
        for _ in range(_MAX_FILE_HOPS + 1):
            nxt: list[str] = []
            for art in frontier:
                for e in g.out_edges(art, ["trains-on", "derives", "matches"]):
                    if e.kind == "trains-on":
                        for fit in e.sites:
                            yield e.target, fit, _file_cascade(models, producer, wsite, paths[art], e)
                    elif e.target not in paths:
                        paths[e.target] = [*paths[art], e]
                        nxt.append(e.target)
            frontier = nxt


def _file_cascade(models: Models, producer: str, wsite: Site | None, steps: list[Edge], train: Edge) -> _Cascade:
    g = models.g
    related: list[Site] = []
    pred = models.predict_site(producer, before=wsite)
    if pred is not None:
        related.append(Site(pred.path, pred.line, pred.column, note=f"{short(g, producer)} predicts here"))
    first = steps[0].source if steps else train.source
    if wsite is not None:
        related.append(
            Site(wsite.path, wsite.line, wsite.column, note=f"the predictions are written to `{g.label(first)}`")
        )
    for e in steps:
        s = min(e.sites) if e.sites else Site("", 1, 1)
        if e.kind == "derives":
            note = f"`{g.label(e.target)}` is written from `{g.label(e.source)}`"
        else:
            note = f"`{g.label(e.source)}` matches the glob `{g.label(e.target)}`"
        related.append(Site(s.path, s.line, s.column, note=note))
    read = _split(str(train.attrs.get("read_at", "")))
    if read is not None:
        related.append(Site(*read, note=f"`{g.label(train.source)}` is read for the fit"))
    hows = {str(e.attrs.get("resolution", "")) for e in [*steps, train]}
    glob = any(e.kind == "matches" for e in steps) or "pattern" in hows or "*" in g.label(train.source)
    written = f" written at {where(models.built, wsite)}" if wsite is not None else ""
    via = f" read from `{g.label(train.source)}`{written}"
    call = pred.note if pred is not None else ""
    return _Cascade(producer, call, tuple(related), via, Confidence.LOW if glob else Confidence.MEDIUM)


def _split(where: str) -> tuple[str, int, int] | None:
    path, _, rest = where.rpartition(":")
    path, _, line = path.rpartition(":")
    if not path or not line.isdigit() or not rest.isdigit():
        return None
    return path, int(line), int(rest)
