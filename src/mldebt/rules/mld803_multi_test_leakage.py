"""MLD803 multi-test-leakage: one test set used to choose among models (asked of the leakage
data flow of parse/detectors/leakflow.py)."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.leakflow import ScopeFlow, flow_of, score_tokens, shown, within
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class MultiTestLeakage(FileRule):
    id = "MLD803"
    name = "multi-test-leakage"
    skips_tests = True


# detection ------------------------------------------------------------------------------


def detect(ctx: FileContext) -> Iterator[Smell]:
    flow = flow_of(ctx)
    if flow is None:
        return
    for at in flow.scopes:
        selected: set[str] = set()  # splits whose test set is reported already
        yield from _model_selection_on_test(ctx, at, selected)
        yield from _selection_by_test_score(ctx, at, selected)


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
