"""MLD301 feedback-loop: a model's outputs flow back into its own training data."""

from __future__ import annotations

from collections.abc import Iterator

from mldebt.graph.build import Built
from mldebt.graph.facade import Edge, ProjectGraph, Site
from mldebt.model import Confidence
from mldebt.rules.base import Hit, Rule, is_test_path

_LOOP_EDGES = ("trains-on", "predicts-into", "saves", "loads", "feeds", "derives", "matches")
_STEP = {
    "trains-on": "{t} is fit on `{s}`",
    "predicts-into": "{s} writes its predictions to `{t}`",
    "saves": "{s} is saved to `{t}`",
    "loads": "{t} is loaded from `{s}`",
    "feeds": "{s} feeds {t}",
    "derives": "`{t}` is written from data read from `{s}`",
    "matches": "`{s}` matches the glob `{t}`",
}


class FeedbackLoop(Rule):
    id = "MLD301"
    name = "feedback-loop"

    def check(self, built: Built) -> Iterator[Hit]:
        g = built.graph
        # One finding per fit, with the loop that makes the clearest evidence.
        best: dict[tuple[str, Site], tuple[tuple[int, int], list[str], list[Edge], Edge]] = {}
        for cycle in g.cycles(_LOOP_EDGES, "model"):
            edges = _edges(g, cycle)
            kinds = {e.kind for e in edges}
            if "trains-on" not in kinds or not kinds & {"predicts-into", "feeds"}:
                continue
            fit_edge = next(e for e in edges if e.kind == "trains-on")
            fit = min(fit_edge.sites)
            if is_test_path(fit.path):
                continue
            key = (fit_edge.target, fit)
            # prefer the loop through the most trained models (hidden loops), then the shortest
            rank = (-len({e.target for e in edges if e.kind == "trains-on"}), len(cycle))
            if key not in best or (rank, cycle) < (best[key][0], best[key][1]):
                best[key] = (rank, cycle, edges, fit_edge)
        # A loop through two models often has a shortcut: data of one model's outputs written on
        # into the other model's inputs (`derives`) closes a smaller cycle over the same nodes.
        # The smaller cycle is the same loop seen partly: one finding, with the whole cycle.
        node_sets = {key: frozenset(entry[1]) for key, entry in best.items()}
        for key, nodes in list(node_sets.items()):
            if any(nodes < other for k, other in node_sets.items() if k != key):
                del best[key]
        for (model, fit), (_, cycle, edges, fit_edge) in sorted(best.items(), key=lambda kv: kv[0][1]):
            trained = sorted({e.target for e in edges if e.kind == "trains-on"})
            related = tuple(_step(g, e) for e in _from(edges, fit_edge))
            path_text = " -> ".join(_short(g, n) for n in _order(cycle, model))
            yield Hit(
                site=fit,
                message=(
                    f"feedback loop: {g.label(model)} is trained on data that its own outputs flow back into "
                    f"({path_text})" + (f"; {len(trained)} models are trained in the loop" if len(trained) > 1 else "")
                ),
                related=related,
                key="|".join(sorted(set(cycle))),
                confidence=_confidence(edges),
                edges=tuple((e.source, e.target, e.kind) for e in edges),
            )


def _edges(g: ProjectGraph, cycle: list[str]) -> list[Edge]:
    out = []
    for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=False):
        choices = [g.edge(a, b, k) for k in _LOOP_EDGES]
        out.append(next(e for e in choices if e is not None))
    return out


def _from(edges: list[Edge], first: Edge) -> list[Edge]:
    i = edges.index(first)
    return edges[i + 1 :] + edges[: i + 1]


def _order(cycle: list[str], start: str) -> list[str]:
    i = cycle.index(start)
    return cycle[i:] + cycle[:i] + [start]


def _short(g: ProjectGraph, node: str) -> str:
    label = g.label(node)
    return label if g.kind(node) == "model" else f"`{label}`"


def _step(g: ProjectGraph, e: Edge) -> Site:
    site = min(e.sites) if e.sites else (g.site(e.target) or g.site(e.source) or Site("", 1, 1))
    note = _STEP[e.kind].format(s=g.label(e.source), t=g.label(e.target)).replace("``", "`")
    return Site(site.path, site.line, site.column, site.end_line, site.end_column, note)


def _confidence(edges: list[Edge]) -> Confidence:
    hows = {str(e.attrs.get("resolution", "")) for e in edges}
    kinds = {e.kind for e in edges}
    if "matches" in kinds or "pattern" in hows:
        return Confidence.LOW
    if hows & {"config", "parameter"}:
        return Confidence.MEDIUM
    return Confidence.HIGH
