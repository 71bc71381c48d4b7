"""MLD804 evaluation-on-training-data: a model scored only on the rows it was fit on (asked of
the leakage data flow of parse/detectors/leakflow.py)."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.leakflow import (
    CallSite,
    Eval,
    Fit,
    ScopeFlow,
    Tokens,
    bound_params,
    flow_of,
    param_of,
    rows_of,
    shown,
    signature,
    site_spec,
    spec_slots,
    summary_named,
)
from mldebt.parse.facts import Evidence, FileFacts, LeakEvent, LeakSummary, Smell, Span
from mldebt.rules.base import FileRule, data

if TYPE_CHECKING:
    from mldebt.graph.build import Built


class EvaluationOnTrainingData(FileRule):
    id = "MLD804"
    name = "evaluation-on-training-data"
    skips_tests = True

    def complete(self, built: Built, path: str, smell: Smell) -> Smell | None:
        return complete(built, path, smell)


# detection ------------------------------------------------------------------------------

# clustering and density models are scored on the data they describe
_UNSUPERVISED = (
    "sklearn.cluster.",
    "sklearn.mixture.",
    "sklearn.decomposition.",
    "sklearn.manifold.",
    "sklearn.neighbors.NearestNeighbors",
    "sklearn.neighbors.KernelDensity",
    "sklearn.neighbors.LocalOutlierFactor",
    "sklearn.ensemble.IsolationForest",
    "sklearn.svm.OneClassSVM",
    "sklearn.covariance.",
)


def detect(ctx: FileContext) -> Iterator[Smell]:
    """Every evaluation of a model scores the rows of the fit it scores (a model handed to code
    we do not see, or cross-validated, may be evaluated elsewhere). A model passed to a helper is
    judged by the helper's summary: evaluated there only on the rows it was fit on, or else
    (evaluated on other rows, handed on, not seen) no finding."""
    flow = flow_of(ctx)
    if flow is None:
        return
    for at in flow.scopes:
        by_model: dict[str, list[Eval]] = {}
        for ev in at.s.evals:
            by_model.setdefault(ev.model, []).append(ev)
        passed: dict[str, list[tuple[CallSite, str]]] = {}
        for site in at.s.sites:
            for slot, (ident, _) in sorted(site.models.items()):
                passed.setdefault(ident, []).append((site, slot))
        for name in sorted(set(by_model) | set(passed)):
            evals = by_model.get(name, [])
            fits = at.s.model_fits.get(name, [])
            if name in at.s.escaped or name in at.s.cv_evaluated or not (fits or passed.get(name)):
                continue
            cls = fits[-1].cls if fits else next(s.models[slot][1] for s, slot in passed[name])
            if cls.startswith(_UNSUPERVISED) or cls.startswith("@"):
                continue  # a parameter's model: its caller knows the class and judges the call
            if evals:
                if not fits:
                    continue
                scored = [fits[e.fit_no - 1] if 1 <= e.fit_no <= len(fits) else fits[-1] for e in evals]
                sigs = [signature(f.data) for f in scored]
                if any(not sig or any(t.startswith("test:") for t in sig) for sig in sigs):
                    continue  # fit on test rows: MLD802's finding
                if not all(signature(e.data) == sig for e, sig in zip(evals, sigs, strict=True)):
                    continue
            through = _through_helpers(at.s.model_fits.get(name, []), name, passed.get(name, []))
            if through is None:
                continue
            judged, pending = through
            places: list[tuple[int, int, Smell]] = []
            if evals:
                ev = evals[0]
                fit = fits[ev.fit_no - 1] if 1 <= ev.fit_no <= len(fits) else fits[-1]
                smell = ctx.smell(
                    "MLD804",
                    ev.node,
                    f"`{shown(name)}` is evaluated only on the data it was fit on: "
                    "the score measures memory, not generalisation",
                    key=f"train-eval:{shown(name)}",
                    related=((fit.node, "fit on this data"),),
                )
                places.append((ev.node.lineno, ev.node.col_offset, smell))
            for site, found in judged:
                smell = _helper_smell(ctx, name, site, found, "", fits)
                places.append((site.node.lineno, site.node.col_offset, smell))
            for site, _spec in pending:
                smell = _helper_smell(ctx, name, site, None, "", fits)
                places.append((site.node.lineno, site.node.col_offset, smell))
            if not places:
                continue
            first = min(places, key=lambda p: (p[0], p[1]))[2]
            if pending:
                specs = json.dumps([json.loads(spec) for _, spec in pending], sort_keys=True)
                first = replace(first, data=(("pending", "helper"), ("sites", specs), ("model", shown(name))))
            yield first
        yield from _returned_models(ctx, at)


def _returned_models(ctx: FileContext, at: ScopeFlow) -> Iterator[Smell]:
    """`model = train_model(X, y)` of another module, then only handed to helpers
    (`evaluate_model(model, X, y)`): the project phase asks the first helper's summary on which
    rows it fit the model it returns, and the others' whether they score it only on those."""
    uses: dict[int, list[tuple[CallSite, str]]] = {}
    for site in at.s.sites:
        for slot, producer in sorted(site.made.items()):
            uses.setdefault(producer, []).append((site, slot))
    if not uses:
        return
    mentions: dict[str, list[ast.Name]] = {}
    for node in ctx.walk_scope(at.scope):
        if isinstance(node, ast.Name):
            mentions.setdefault(node.id, []).append(node)
    for producer, consumers in sorted(uses.items()):
        args = [_arg(site.node, slot) for site, slot in consumers]
        names = {a.id for a in args if isinstance(a, ast.Name)}
        if len(names) != 1:
            continue
        name = next(iter(names))
        seen = {id(a) for a in args}
        found = mentions.get(name, [])
        # used otherwise (`model.predict(X_test)`, returned) or bound twice: not judged
        loads = sum(1 for n in found if isinstance(n.ctx, ast.Load) and id(n) not in seen)
        stores = sum(1 for n in found if isinstance(n.ctx, ast.Store))
        if loads or stores != 1:
            continue
        made = at.s.sites[producer]
        specs = [json.loads(site_spec(site, slot=slot, fit=None, line=site.node.lineno)) for site, slot in consumers]
        first = consumers[0][0]
        smell = ctx.smell(
            "MLD804",
            first.node,
            _message(name, first.callee, None, ""),
            key=f"train-eval:{name}:{first.callee}",
            related=((made.node, "fit on this data, inside the helper called here"),),
            data=(
                ("pending", "helper"),
                ("sites", json.dumps(specs, sort_keys=True)),
                ("model", name),
                ("producer", site_spec(made)),
            ),
        )
        yield smell


def _arg(call: ast.Call, slot: str) -> ast.expr | None:
    if slot.isdigit():
        return call.args[int(slot)] if int(slot) < len(call.args) else None
    return next((k.value for k in call.keywords if k.arg == slot), None)


def _through_helpers(
    fits: list[Fit], name: str, passed: list[tuple[CallSite, str]]
) -> tuple[list[tuple[CallSite, LeakEvent]], list[tuple[CallSite, str]]] | None:
    """The helpers `name` is passed to: each must score it only on the rows it was fit on (this
    file's, judged now), or be another module's (judged in the project phase: `pending`, one
    JSON spec per call). None: some helper may evaluate it on other rows."""
    judged: list[tuple[CallSite, LeakEvent]] = []
    pending: list[tuple[CallSite, str]] = []
    for site, slot in passed:
        n = site.fits.get(name, 0)
        fit_sig = signature(fits[n - 1].data) if 1 <= n <= len(fits) else None
        if fit_sig is not None and (not fit_sig or any(t.startswith("test:") for t in fit_sig)):
            return None
        if site.summary is None:
            fit_rows = sorted(fit_sig) if fit_sig is not None else None
            pending.append((site, site_spec(site, slot=slot, fit=fit_rows, line=site.node.lineno)))
            continue
        found = train_scores(site.summary, site.offset, slot, site.slots, fit_sig)
        if found is None:
            return None
        judged.append((site, found))
    return judged, pending


def train_scores(
    summary: LeakSummary, offset: int, slot: str, slots: Mapping[str, Tokens], fit_sig: Tokens | None
) -> LeakEvent | None:
    """The helper's evaluation of the model passed in `slot` when every evaluation of it there
    scores the rows it was last fit on (by the caller, `fit_sig`, or by the helper itself), and
    the helper never hands it on; else None."""
    param = param_of(summary, offset, slot)
    if param is None:
        return None
    bound = bound_params(summary, offset, slots)
    ref = "@" + param
    current = fit_sig
    found: LeakEvent | None = None
    for ev in summary.events:
        if ev.obj != ref:
            continue
        if ev.op == "hand":
            return None
        rows = rows_of(ev.data, bound)
        if ev.op == "mfit":
            current = signature(rows) if rows is not None else None
            if current is not None and (not current or any(t.startswith("test:") for t in current)):
                return None
        elif ev.op == "eval":
            if rows is None or current is None or signature(rows) != current:
                return None
            found = found or ev
    return found


def _helper_smell(
    ctx: FileContext, name: str, site: CallSite, found: LeakEvent | None, path: str, fits: list[Fit]
) -> Smell:
    n = site.fits.get(name, 0)
    related: list[tuple[ast.AST | Span, str]] = []
    if 1 <= n <= len(fits):
        related.append((fits[n - 1].node, "fit on this data"))
    smell = ctx.smell(
        "MLD804",
        site.node,
        _message(shown(name), site.callee, found, path),
        key=f"train-eval:{shown(name)}:{site.callee}",
        related=tuple(related),
    )
    if found is not None:
        smell = replace(smell, related=(*smell.related, _evidence(site.callee, found, path)))
    return smell


def _message(model: str, callee: str, found: LeakEvent | None, path: str) -> str:
    where = f" in `{path}`" if path else ""
    inside = f", line {found.span.line}: `{found.text}`" if found is not None else ""
    return (
        f"`{model}` is evaluated only on the data it was fit on, inside `{callee}()`{where}{inside}: "
        "the score measures memory, not generalisation"
    )


def _evidence(callee: str, found: LeakEvent, path: str) -> Evidence:
    return Evidence(found.span, f"scored on the rows it was fit on here, inside `{callee}()`", path)


def complete(built: Built, path: str, smell: Smell) -> Smell | None:
    """A finding that waits on helpers of other modules: each must score the model only on the
    rows it was fit on (and never hand it on)."""
    if data(smell, "pending") != "helper":
        return smell
    facts = built.project.files.get(path)
    if facts is None:
        return None
    returned: Tokens | None = None
    if data(smell, "producer"):  # the model another module's helper fit and returned
        returned = _returned_fit(built, facts, json.loads(data(smell, "producer")))
        if returned is None:
            return None
    first: tuple[dict[str, object], LeakEvent, str] | None = None
    for spec in json.loads(data(smell, "sites")):
        callee = str(spec["callee"])
        ref = built.project.resolve_callee(facts, "<module>", callee)
        if ref is None or (ref.path == path and returned is None):
            return None
        summary = summary_named(built.project.files.get(ref.path), ref.qualname)
        if summary is None:
            return None
        fit = spec.get("fit")
        fit_sig = frozenset(str(t) for t in fit) if isinstance(fit, list) else returned
        found = train_scores(summary, int(spec["offset"]), str(spec["slot"]), spec_slots(spec), fit_sig)
        if found is None:
            return None
        if first is None:
            first = (spec, found, ref.path)
    assert first is not None
    spec, found, where = first
    related = (*smell.related, _evidence(str(spec["callee"]).rsplit(".", 1)[-1], found, where))
    if spec.get("line") != smell.span.line:  # the finding is at the caller's own evaluation
        return replace(smell, related=related, data=())
    message = _message(data(smell, "model"), str(spec["callee"]).rsplit(".", 1)[-1], found, where)
    return replace(smell, message=message, related=related, data=())


def _returned_fit(built: Built, facts: FileFacts, spec: Mapping[str, object]) -> Tokens | None:
    """The rows (as the caller sees them) another module's helper fit the model it returns on."""
    ref = built.project.resolve_callee(facts, "<module>", str(spec["callee"]))
    if ref is None or ref.path == facts.path:
        return None
    summary = summary_named(built.project.files.get(ref.path), ref.qualname)
    if summary is None or len(summary.returns) != 1:
        return None
    fits = [t for t in summary.returns[0] if t.startswith("model:#")]
    if len(fits) != 1:
        return None
    k = int(fits[0].removeprefix("model:#"))
    if k >= len(summary.events) or summary.events[k].op != "mfit" or summary.events[k].cls.startswith(_UNSUPERVISED):
        return None
    offset = spec.get("offset")
    rows = rows_of(
        summary.events[k].data, bound_params(summary, int(offset) if isinstance(offset, int) else 0, spec_slots(spec))
    )
    if rows is None:
        return None
    fit_sig = signature(rows)
    return fit_sig if fit_sig and not any(t.startswith("test:") for t in fit_sig) else None
