"""MLD104 shared-feature-builder: one feature artifact or feature-building function feeds many models.

The second face of CACE: a change to the builder changes every model trained on its output.
Counted are distinct models (copies saved and loaded again count once) fit with a learning fit,
outside tests. To stay clear of raw inputs and of model comparisons in one notebook, an artifact
counts only when project code writes it from other data (a `derives` edge: a built feature table)
and the models are trained in at least two files; a function counts only when its name says it
builds features (`build_features`, `featurize`) and its output is passed straight to the fits.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from mldebt.graph.build import Built
from mldebt.graph.facade import Site
from mldebt.parse.facts import call_token
from mldebt.rules.base import Hit, Rule, is_test_path
from mldebt.rules.mld102_correction_cascade import Models, model_var, short

_FEATURE_NAME = re.compile(r"feat", re.I)


class SharedFeatureBuilder(Rule):
    id = "MLD104"
    name = "shared-feature-builder"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"min-models": (int, 3)}

    def check(self, built: Built) -> Iterator[Hit]:
        limit = max(2, int(self.options["min-models"]))
        models = Models(built)
        yield from _artifacts(built, models, limit)
        yield from _functions(built, models, limit)


def _distinct(models: Models, fits: dict[str, Site]) -> dict[str, Site]:
    """One fit per distinct model: a model loaded from another's file is that model again."""
    out: dict[str, Site] = {}
    for model in sorted(fits, key=lambda m: (fits[m], m)):
        if not any(models.same_model(model, kept) for kept in out):
            out[model] = fits[model]
    return out


def _message(what: str, fits: dict[str, Site], models: Models) -> str:
    g = models.g
    names = sorted({f"{short(g, m)} in {model_var(m)[0]}" for m in fits})
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return (
        f"{what} feeds {len(fits)} models ({shown}); a change to it changes all of them at once, "
        "and no one of them can be evaluated against it alone"
    )


def _artifacts(built: Built, models: Models, limit: int) -> Iterator[Hit]:
    g = built.graph
    for art in g.nodes("artifact"):
        node = g.node(art)
        if node.get("pattern") or node.get("unresolved") or node.get("declared"):
            continue
        built_from = [e for e in g.in_edges(art, ["derives"]) if e.sites and not is_test_path(min(e.sites).path)]
        if not built_from:
            continue  # raw input data: sharing it is not a feature builder's entanglement
        fits: dict[str, Site] = {}
        for e in g.out_edges(art, ["trains-on"]):
            for s in sorted(e.sites):
                if not is_test_path(s.path) and models.fit_at(e.target, s) is not None:
                    fits.setdefault(e.target, s)
        fits = _distinct(models, fits)
        if len(fits) < limit or len({s.path for s in fits.values()}) < 2:
            continue
        write = min(s for e in built_from for s in e.sites)
        related = tuple(
            Site(s.path, s.line, s.column, note=f"{short(g, m)} is fit on `{g.label(art)}`")
            for m, s in sorted(fits.items(), key=lambda kv: kv[1])
        )
        yield Hit(
            site=Site(write.path, write.line, write.column, write.end_line, write.end_column),
            message=_message(f"the feature table `{g.label(art)}`", fits, models),
            related=related,
            key=f"artifact|{art}",
        )


def _functions(built: Built, models: Models, limit: int) -> Iterator[Hit]:
    project = built.project
    fits_by_fn: dict[tuple[str, str], dict[str, Site]] = defaultdict(dict)
    for f in project.files.values():
        if is_test_path(f.path):
            continue
        for ev in f.models:
            if ev.event != "fit" or ev not in models.learning_fits(f"model:{f.path}::{ev.var}"):
                continue
            site = Site(f.path, ev.span.line, ev.span.column, ev.span.end_line, ev.span.end_column)
            for token in sorted(ev.lineage):
                found = call_token(token)
                ref = project.callees.get((f.path, found[0])) if found is not None else None
                if ref is not None and _FEATURE_NAME.search(ref.qualname.rpartition(".")[2]):
                    fits_by_fn[(ref.path, ref.qualname)].setdefault(f"model:{f.path}::{ev.var}", site)
    for (path, qualname), raw in sorted(fits_by_fn.items()):
        fits = _distinct(models, raw)
        fn = project.functions.get((path, qualname))
        if fn is None or len(fits) < limit or len({s.path for s in fits.values()}) < 2 or is_test_path(path):
            continue
        related = tuple(
            Site(s.path, s.line, s.column, note=f"{short(models.g, m)} is fit on what `{qualname}` returns")
            for m, s in sorted(fits.items(), key=lambda kv: kv[1])
        )
        yield Hit(
            site=Site(path, fn.span.line, fn.span.column),
            message=_message(f"the feature builder `{qualname}`", fits, models),
            related=related,
            key=f"function|{path}|{qualname}",
        )
