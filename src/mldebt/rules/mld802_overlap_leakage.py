"""MLD802 overlap-leakage: test rows reaching training, by resampling before the split or by a
fit on test rows that are then evaluated (asked of the leakage data flow of
parse/detectors/leakflow.py)."""

from __future__ import annotations

from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.leakflow import Leak, ScopeFlow, flow_of, shown
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class OverlapLeakage(FileRule):
    id = "MLD802"
    name = "overlap-leakage"
    skips_tests = True


# detection ------------------------------------------------------------------------------


def detect(ctx: FileContext) -> Iterator[Smell]:
    flow = flow_of(ctx)
    if flow is None:
        return
    for at in flow.scopes:
        for leak in at.leaks:
            if leak.fit is None and leak.stat is None:
                yield _resampled(ctx, leak)
        yield from _fit_on_test(ctx, at)


def _resampled(ctx: FileContext, leak: Leak) -> Smell:
    """Rows made by resampling reach a split or a cross-validation: copies of training rows land
    in the test set or the validation folds."""
    node, where, what = leak.node, leak.where, leak.what
    return ctx.smell(
        "MLD802",
        node,
        f"`{ctx.source(node)}` makes new rows before the {what} "
        f"(`{ctx.source(where)}`): copies and synthetic neighbours of training rows "
        f"land in {leak.lands_in}",
        key=f"resample:{ctx.source(node)}",
        related=((where, f"the resampled data is {'split' if what == 'split' else 'cross-validated'} here"),),
    )


def _fit_on_test(ctx: FileContext, at: ScopeFlow) -> Iterator[Smell]:
    """A model fit on rows of a test set, then evaluated on that test set (a fit already
    reported as a leak, or reported here once, is not reported again)."""
    reported = set(at.s.reported)
    for name, fits in sorted(at.s.model_fits.items()):
        for i, fit in enumerate(fits, 1):
            tests = {t.removeprefix("test:") for t in fit.data if t.startswith("test:")}
            if not tests:
                continue
            later = [
                e
                for e in at.s.evals
                if e.model == name
                and e.fit_no == i  # it scores this fit, not a later refit
                and e.node.lineno > fit.node.lineno
                and any(f"test:{sid}" in e.data for sid in tests)
            ]
            if not later:
                continue  # a final refit on all data after the evaluation is good practice
            if id(fit.node) in reported:
                continue
            reported.add(id(fit.node))
            ev = later[0]
            yield ctx.smell(
                "MLD802",
                fit.node,
                f"`{shown(name)}` is fit on rows of a test set and then evaluated on that test set "
                f"(`{ctx.source(ev.node)}`)",
                key=f"fit-on-test:{shown(name)}",
                related=((ev.node, "evaluated on the same test rows here"),),
            )
