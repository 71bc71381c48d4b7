"""MLD803 multi-test-leakage: one test set used to choose among models (asked of the leakage
data flow of parse/detectors/leakflow.py)."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.leakflow import (
    ScopeFlow,
    Tokens,
    bound_params,
    flow_of,
    has_test,
    is_split_side,
    param_of,
    rows_of,
    score_tokens,
    shown,
    site_spec,
    spec_slots,
    summary_named,
    within,
)
from mldebt.parse.facts import Evidence, LeakEvent, LeakSummary, Smell, Span
from mldebt.rules.base import FileRule, data

if TYPE_CHECKING:
    from mldebt.graph.build import Built


class MultiTestLeakage(FileRule):
    id = "MLD803"
    name = "multi-test-leakage"
    skips_tests = True

    def complete(self, built: Built, path: str, smell: Smell) -> Smell | None:
        return complete(built, path, smell)


# detection ------------------------------------------------------------------------------


def detect(ctx: FileContext) -> Iterator[Smell]:
    flow = flow_of(ctx)
    if flow is None:
        return
    for at in flow.scopes:
        selected: set[str] = set()  # splits whose test set is reported already
        yield from _model_selection_on_test(ctx, at, selected)
        yield from _selection_by_test_score(ctx, at, selected)
        yield from _selection_through_helpers(ctx, at, selected)


def _model_selection_on_test(ctx: FileContext, at: ScopeFlow, selected: set[str]) -> Iterator[Smell]:
    """Evaluations on one test set inside a loop that also fits: choosing by the test score.

    A held-out set used only inside the loop is a validation set (early stopping, tuning):
    the smell is the same set also giving the final estimate after the loop, or a set the
    code itself calls a test set.
    """
    loops: set[int] = set()
    for ev in at.s.evals:
        if ev.loop is None or id(ev.loop) in loops:
            continue
        tests = sorted(t for t in ev.data if t.startswith("test:"))
        if not tests:
            continue
        sid = tests[0].removeprefix("test:")
        split = at.s.splits.get(sid)
        if split is None or within(split.node, ev.loop):
            continue  # a fresh split per iteration (repeated hold-out): not one reused test set
        fits_in_loop = [
            f for fits in at.s.model_fits.values() for f in fits if f.in_loop is not None and within(f.node, ev.loop)
        ]
        if not fits_in_loop:
            continue
        final = [
            e
            for e in at.s.evals
            if e.loop is None and f"test:{sid}" in e.data and e.node.lineno > (ev.loop.end_lineno or 0)  # type: ignore[attr-defined]
        ]
        hint = ctx.source(ev.node).lower()
        if "val" in hint and "test" not in hint:
            continue  # the code calls it a validation set: selecting on it is its purpose
        if not final and "test" not in hint:
            continue
        loops.add(id(ev.loop))
        selected.add(sid)
        related: list[tuple[ast.AST, str]] = [
            (fits_in_loop[0].node, "a candidate is fit in the loop here"),
            (split.node, "the test set is split off here"),
        ]
        if final:
            related.append((final[0].node, "and the same test set gives the final estimate here"))
        yield ctx.smell(
            "MLD803",
            ev.node,
            f"one test set scores every candidate fit in this loop (`{ctx.source(ev.node)}`): "
            "choosing among them by it leaves no untouched data for the final estimate",
            key=f"multi-test:{ctx.source(ev.node)}",
            related=tuple(related),
        )


def _selection_by_test_score(ctx: FileContext, at: ScopeFlow, selected: set[str]) -> Iterator[Smell]:
    """Several models each scored on one test set, and the best picked by that score
    (`max(scores)`, `results.sort_values(...)`): the winner's score is no longer an estimate."""
    for node, tokens in at.s.selections:
        by_split: dict[str, set[str]] = {}
        for t in score_tokens(tokens):
            model, _, sid = t.removeprefix("score:").partition("|")
            by_split.setdefault(sid, set()).add(model)
        for sid, models in sorted(by_split.items()):
            split = at.s.splits.get(sid)
            if len(models) < 2 or split is None or sid in at.fold_loops or sid in selected:
                continue  # CV folds are scored one by one on purpose
            evals = [e for e in at.s.evals if f"test:{sid}" in e.data and e.model in models]
            texts = [ctx.source(e.node).lower() for e in evals]
            if all("val" in t and "test" not in t for t in texts):
                continue  # the code calls it a validation set: selecting on it is its purpose
            selected.add(sid)
            names = ", ".join(f"`{shown(m)}`" for m in sorted(models)[:4])
            if any(at.s.classes.get(m.split("#", 1)[0]) == "<candidate>" for m in models):
                names = "each candidate model"
            yield ctx.smell(
                "MLD803",
                node,
                f"the best of several models ({names}) is picked by its score on one test set "
                f"(`{ctx.source(node)}`): the winner's test score is no longer an honest estimate",
                key=f"select-on-test:{ctx.source(node)}",
                related=(
                    (evals[0].node, "scored on the test set here"),
                    (split.node, "the test set is split off here"),
                ),
            )


def _selection_through_helpers(ctx: FileContext, at: ScopeFlow, selected: set[str]) -> Iterator[Smell]:
    """A helper called in a loop that fits a candidate and returns its score on the test set the
    caller passes (`scores[name] = evaluate(model, X_train, y_train, X_test, y_test)`), the
    candidates then compared by it (`max(scores)`), or the test set also giving the final
    estimate, or the code calling it a test set: the same question as a loop's own evaluations,
    asked of the helper's summary (this file's now, another module's in the project phase).

    A test set that comes from no split here (read from a file, a parameter) is one when the
    code names it so (`X_test`, `test_features=test_X`) and the best score is picked by it."""
    loops: set[int] = set()
    by_result: dict[str, list[tuple[ast.expr, Tokens]]] = {}  # a call's result token -> selections of it
    for node, toks in at.s.selections:
        for t in sorted({t.partition(".")[0] for t in toks if t.startswith(("via:", "ext:"))}):
            by_result.setdefault(t, []).append((node, toks))
    for site in at.s.sites:
        if site.loop is not None and id(site.loop) in loops:
            continue
        texts = _arg_texts(ctx, site.node)
        hint = " ".join(texts.values())
        if "val" in hint and "test" not in hint:
            continue  # the code calls it a validation set: selecting on it is its purpose
        sids = sorted(
            {
                t.removeprefix("test:")
                for toks in site.slots.values()
                for t in toks
                if t.startswith("test:") and t.removeprefix("test:") not in at.fold_loops
            }
        )
        sids = [
            sid
            for sid in sids
            if sid in at.s.splits and (site.loop is None or not within(at.s.splits[sid].node, site.loop))
        ]
        slots = site.slots
        picks = [(node, toks) for node, toks in by_result.get(site.result, []) if _reaches(site.result, toks)]
        if sids:
            sid = sids[0]
            split: ast.AST | None = at.s.splits[sid].node
        else:  # no split: the arguments the code calls a test set, if it picks the best by them
            named = {k for k, text in texts.items() if "test" in text and "val" not in text}
            if not named or not picks or any(has_test(v) or is_split_side(v) for v in site.slots.values()):
                continue
            sid, split = _NAMED, None
            slots = {k: v | {f"test:{_NAMED}"} if k in named else v for k, v in site.slots.items()}
        if site.loop is None:  # candidates fit and scored in a loop inside the helper, picked here
            final = []
            if not picks:
                continue
        else:
            end = site.loop.end_lineno or 0  # type: ignore[attr-defined]
            final = [e for e in at.s.evals if e.loop is None and f"test:{sid}" in e.data and e.node.lineno > end]
            if not picks and not final and "test" not in hint:
                continue
        element = _element(site.result, picks[0][1]) if picks else -1
        model = next(iter(sorted(site.models)), "")
        fit_here = False
        if model and site.loop is not None:
            ident = site.models[model][0]
            fit_here = any(
                f.in_loop is not None and within(f.node, site.loop) and f.node.lineno <= site.node.lineno
                for f in at.s.model_fits.get(ident, [])
            )
        related: list[tuple[ast.AST | Span, str]] = []
        if split is not None:
            related.append((split, "the test set is split off here"))
        if picks:
            related.append((picks[0][0], "and the best candidate is picked by that score here"))
        elif final:
            related.append((final[0].node, "and the same test set gives the final estimate here"))
        looped = site.loop is None
        text = ctx.source(site.node)
        if site.summary is None:
            spec = site_spec(site, slots, sid=sid, model=model, fit_here=fit_here, element=element, looped=looped)
            smell = ctx.smell(
                "MLD803",
                site.node,
                _message(site.callee, text, None, "", looped),
                key=f"helper-multi-test:{text}",
                related=tuple(related),
                data=(("pending", "helper"), ("site", spec), ("text", text)),
            )
        else:
            found = test_scores(site.summary, site.offset, slots, sid, model, fit_here, element, looped)
            if found is None:
                continue
            made = ctx.smell("MLD803", site.node, "", key=f"helper-multi-test:{text}", related=tuple(related))
            smell = _complete(made, site.callee, text, found, "", looped)
        if site.loop is not None:
            loops.add(id(site.loop))
        selected.add(sid)
        yield smell


_NAMED = "named"  # a test set the code names so, not one it splits off


def _arg_texts(ctx: FileContext, call: ast.Call) -> dict[str, str]:
    """Each argument's slot -> its source (with the keyword), lower-cased."""
    out = {str(i): ctx.segment(a).lower() for i, a in enumerate(call.args)}
    out.update({k.arg: f"{k.arg} {ctx.segment(k.value)}".lower() for k in call.keywords if k.arg})
    return out


def _reaches(result: str, tokens: Tokens) -> bool:
    return any(t == result or t.startswith(result + ".") for t in tokens)


def _element(result: str, tokens: Tokens) -> int:
    """Which element of a helper's returned tuple a selection compares (-1: the whole result)."""
    picked = {t for t in tokens if t == result or t.startswith(result + ".")}
    if len(picked) == 1:
        only = next(iter(picked))
        if only != result and only.rpartition(".")[2].isdigit():
            return int(only.rpartition(".")[2])
    return -1


def test_scores(
    summary: LeakSummary,
    offset: int,
    slots: Mapping[str, Tokens],
    sid: str,
    model: str,
    fit_here: bool,
    element: int,
    looped: bool = False,
) -> tuple[LeakEvent, LeakEvent | None] | None:
    """The helper's evaluation whose score it returns (element `element` of its result, or any)
    computed on the caller's test side `sid`, of a model the helper fits on other rows (or the
    caller's candidate fit in the loop), with that fit; None if it does not. `looped`: the call
    is not in a loop, so the helper must fit and score its candidates in a loop of its own."""
    bound = bound_params(summary, offset, slots)
    ref = "@" + (param_of(summary, offset, model) or "?") if model else ""
    parts = summary.returns
    if 0 <= element < len(parts) and len(parts) > 1:
        returned = set(parts[element])
    else:
        returned = {t for part in parts for t in part}
    test = f"test:{sid}"
    for i, ev in enumerate(summary.events):
        if ev.op != "eval" or f"score:#{i}" not in returned or (looped and ev.kind != "loop"):
            continue
        touched = set().union(*(bound.get(t[1:], frozenset()) for t in ev.data if t.startswith("@")))
        if test not in touched:
            continue
        fit = next((f for f in reversed(summary.events[:i]) if f.op == "mfit" and f.obj == ev.obj), None)
        if fit is not None:
            rows = rows_of(fit.data, bound)
            if rows is not None and test not in rows:
                return ev, fit
        elif ev.obj == ref and fit_here:
            return ev, None
    return None


def _message(callee: str, text: str, found: LeakEvent | None, path: str, looped: bool = False) -> str:
    name = callee.rsplit(".", 1)[-1]
    where = f" in `{path}`" if path else ""
    inside = f", line {found.span.line}: `{found.text}`" if found is not None else ""
    if looped:
        return (
            f"one test set scores every candidate `{name}()` fits in its loop (`{text}`; the score is computed "
            f"inside `{name}()`{where}{inside}), and the best is picked by it: the winner's test score is no "
            "longer an honest estimate"
        )
    return (
        f"one test set scores every candidate of this loop through `{name}()` (`{text}`; the score is computed "
        f"inside `{name}()`{where}{inside}): choosing among them by it leaves no untouched data for the "
        "final estimate"
    )


def _complete(
    smell: Smell, callee: str, text: str, found: tuple[LeakEvent, LeakEvent | None], path: str, looped: bool = False
) -> Smell:
    ev, fit = found
    name = callee.rsplit(".", 1)[-1]
    related = [Evidence(ev.span, f"each candidate is scored on the test set here, inside `{name}()`", path)]
    if fit is not None:
        related.append(Evidence(fit.span, f"and fit here, inside `{name}()`", path))
    return replace(
        smell,
        message=_message(callee, text, ev, path, looped),
        related=(*related, *smell.related),
        data=(),
    )


def complete(built: Built, path: str, smell: Smell) -> Smell | None:
    """A loop's call of another module's helper: found when that helper's summary fits a
    candidate and returns its score on the test set passed."""
    if data(smell, "pending") != "helper":
        return smell
    spec = json.loads(data(smell, "site"))
    facts = built.project.files.get(path)
    callee = str(spec["callee"])
    ref = built.project.resolve_callee(facts, "<module>", callee) if facts is not None else None
    if ref is None or ref.path == path:
        return None
    summary = summary_named(built.project.files.get(ref.path), ref.qualname)
    if summary is None:
        return None
    found = test_scores(
        summary,
        int(spec["offset"]),
        spec_slots(spec),
        str(spec["sid"]),
        str(spec["model"]),
        bool(spec["fit_here"]),
        int(spec["element"]),
        bool(spec.get("looped")),
    )
    if found is None:
        return None
    return _complete(smell, callee, data(smell, "text"), found, ref.path, bool(spec.get("looped")))
