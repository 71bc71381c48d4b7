"""MLD801 preprocessing-leakage: a preprocessor fit, or a statistic computed, on rows that later
reach a test side or a cross-validation (the leakage data flow of parse/detectors/leakflow.py
records where; this module words the finding)."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.leakflow import SUPERVISED, Fit, Leak, Stat, flow_of, inside, is_transductive
from mldebt.parse.facts import Smell, Span
from mldebt.rules.base import FileRule


class PreprocessingLeakage(FileRule):
    id = "MLD801"
    name = "preprocessing-leakage"
    skips_tests = True


# detection ------------------------------------------------------------------------------


def detect(ctx: FileContext) -> Iterator[Smell]:
    """One finding per fit or statistic whose rows reach an evaluation (the flow's `Leak`s)."""
    flow = flow_of(ctx)
    if flow is None:
        return
    for at in flow.scopes:
        # statistics of one scope whose rows reach the same split: one finding, at the first
        # (`df[c] = zscore(df[c])` for five columns, then `train_test_split`, is one leak)
        order: list[Leak | list[Leak]] = []
        groups: dict[tuple[int, bool, bool], list[Leak]] = {}
        for leak in at.leaks:
            if leak.stat is not None and leak.stat.origin is None:
                key = (id(leak.where), is_transductive(leak.stat.data), leak.stat.scale)
                if key in groups:
                    groups[key].append(leak)
                    continue
                groups[key] = [leak]
                order.append(groups[key])
            else:
                order.append(leak)
        for item in order:
            if isinstance(item, list):
                item.sort(key=lambda x: _position(x.stat))
                first = item[0]
                assert first.stat is not None
                yield _stat(ctx, first.stat, first.where, first.how, [x.stat for x in item[1:] if x.stat is not None])
            elif item.fit is not None:
                yield _prep(ctx, item.fit, item.where, item.how)
            elif item.stat is not None:
                yield _stat(ctx, item.stat, item.where, item.how)


def _position(stat: Stat | None) -> tuple[int, int]:
    return (stat.node.lineno, stat.node.col_offset) if stat is not None else (0, 0)


def _prep(ctx: FileContext, fit: Fit, where: ast.AST, how: str) -> Smell:
    cls = fit.cls.rsplit(".", 1)[-1].strip("<>")
    supervised = fit.cls.startswith(SUPERVISED)
    # Scaling before cross-validation leaks little (means and variances of the other folds);
    # selecting features or encoding targets on them leaks a lot.
    confidence = "medium" if "cross-validat" in how and not supervised else ""
    learns = "learns from the target and the features of" if supervised else "learns its statistics from"
    message = (
        f"`{cls}` {learns} rows that {how} `{ctx.source(where)}`: the evaluation sees data the preprocessing was fit on"
    )
    if is_transductive(fit.data):
        confidence = "medium"
        message = (
            f"`{cls}` is fit on the training rows and the unlabelled test rows together (transductive "
            f"preprocessing), and the training rows {how} `{ctx.source(where)}`: the validation "
            "score comes from rows the preprocessing was fit on"
        )
    related: tuple[tuple[ast.AST | Span, str], ...] = ((where, "the rows it was fit on reach the evaluation here"),)
    if fit.origin is not None:
        message += f" ({inside(fit.origin)})"
        related = ((fit.origin.span, f"`{cls}` is fit here, inside `{fit.origin.function}()`"), *related)
    return ctx.smell(
        "MLD801",
        fit.node,
        message,
        key=f"prep:{cls}:{ctx.source(fit.node)}",
        related=related,
        confidence=confidence,
        data=(("supervised", "yes" if supervised else "no"),),
    )


def _stat(ctx: FileContext, stat: Stat, where: ast.AST, how: str, more: Sequence[Stat] = ()) -> Smell:
    text = stat.origin.text if stat.origin is not None else ctx.source(stat.node)
    confidence = "medium" if "cross-validat" in how else ""
    also = f" (and {len(more)} more before the same split)" if more else ""
    if stat.scale:
        what = f"`{text}` scales with statistics of all rows{also}, which"
    else:
        what = f"`{text}` is a statistic of all rows{also}, and the data built from it"
    message = f"{what} {how} `{ctx.source(where)}`: the test rows shaped the training data"
    if is_transductive(stat.data):
        confidence = "medium"
        message = (
            f"`{text}` is computed on the training rows and the unlabelled test rows together "
            f"(transductive preprocessing), and the training rows {how} `{ctx.source(where)}`: "
            "the validation score comes from rows the statistic was computed on"
        )
    related: tuple[tuple[ast.AST | Span, str], ...] = (
        *((m.node, f"`{ctx.source(m.node)}` is another statistic of all rows") for m in more),
        (where, "the rows it summarises reach the evaluation here"),
    )
    if stat.origin is not None:
        message += f" ({inside(stat.origin, 'statistic is computed')})"
        related = ((stat.origin.span, f"`{stat.origin.text}` is computed here"), *related)
    return ctx.smell(
        "MLD801",
        stat.node,
        message,
        key=f"stat:{text}",
        related=related,
        confidence=confidence,
        data=(("supervised", "no"),),
    )
