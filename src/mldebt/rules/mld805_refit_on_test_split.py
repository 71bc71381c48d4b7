"""MLD805 refit-on-test-split: a preprocessor fit on a test side, which then gets its own
statistics (asked of the leakage data flow of parse/detectors/leakflow.py)."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.leakflow import Refit, flow_of, has_test, inside, is_split_side, roots, shown
from mldebt.parse.facts import Smell, Span
from mldebt.rules.base import FileRule


class RefitOnTestSplit(FileRule):
    id = "MLD805"
    name = "refit-on-test-split"
    skips_tests = True


# detection ------------------------------------------------------------------------------


def detect(ctx: FileContext) -> Iterator[Smell]:
    """Each preprocessor fit the flow records (`Refit`), in statement order, one finding per call."""
    flow = flow_of(ctx)
    if flow is None:
        return
    for at in flow.scopes:
        done: set[int] = set()
        for refit in at.refits:
            if id(refit.call) not in done and _on_test(ctx, refit):
                done.add(id(refit.call))
                yield _finding(ctx, refit)


def _on_test(ctx: FileContext, refit: Refit) -> bool:
    """Fit on a test side only; or fit again, after a fit on a training side, on other rows that
    the code calls test or validation data."""
    fit, before, call = refit.fit, refit.before, refit.call
    on_test = has_test(fit.data) and not is_split_side(fit.data)
    again = (
        before is not None
        and is_split_side(before.data)
        and not is_split_side(fit.data)
        and not roots(fit.data) >= roots(before.data)
        and any(w in ctx.source(call.args[0] if call.args else call).lower() for w in ("test", "val"))
    )
    return on_test or again


def _finding(ctx: FileContext, refit: Refit) -> Smell:
    fit, before, call = refit.fit, refit.before, refit.call
    cls = fit.cls.rsplit(".", 1)[-1]
    # the rows: the call's first argument, past the preprocessor itself when a helper is handed it
    rows = [a for a in call.args if ctx.source(a) != shown(fit.name) and not ctx.source(a).startswith(f"{cls}(")]
    data = ctx.source(rows[0] if rows else call)
    related: tuple[tuple[ast.AST | Span, str], ...] = ()
    if before is not None and is_split_side(before.data):
        related = ((before.node, "fit on the training side here"),)
        message = (
            f"`{shown(fit.name)}` ({cls}) is fit again on the test side `{data}`: the test rows are "
            "transformed with their own statistics, not the training set's, so the model sees them "
            "on another scale"
        )
    else:
        message = (
            f"`{cls}` is fit on the test side `{data}`: the test rows are transformed with their own "
            "statistics instead of the training set's, so train and test are on different scales"
        )
    if fit.origin is not None:
        message += f" ({inside(fit.origin)})"
        related = (*related, (fit.origin.span, f"`{cls}` is fit here, inside `{fit.origin.function}()`"))
    return ctx.smell("MLD805", call, message, key=f"test-refit:{cls}:{data}", related=related)
