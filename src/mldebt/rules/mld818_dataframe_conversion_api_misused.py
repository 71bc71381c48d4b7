"""MLD818 dataframe-conversion-api-misused: `.values` on a provable DataFrame or Series."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.pandas_numpy import one_per_line
from mldebt.parse.detectors.types import DATAFRAME, FRAMES
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class DataframeConversionApiMisused(FileRule):
    id = "MLD818"
    name = "dataframe-conversion-api-misused"


# detection ------------------------------------------------------------------------------


@one_per_line
def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD818: `.values` (or the removed `.as_matrix()`) on what is provably a DataFrame or Series."""
    if not ctx.imports_any("pandas"):
        return
    for node in ctx.walk():
        if isinstance(node, ast.Attribute) and node.attr == "values" and isinstance(node.ctx, ast.Load):
            parent = ctx.parent(node)
            if isinstance(parent, ast.Call) and parent.func is node:
                continue
            kind = ctx.types.kind_of(node.value)
            if kind not in FRAMES:
                continue
            yield ctx.smell(
                "MLD818",
                node,
                f"`{ctx.source(node)}` converts {'DataFrame' if kind == DATAFRAME else 'Series'} "
                f"`{ctx.source(node.value)}` with `.values`, whose result is an ndarray or an extension "
                "array depending on the dtypes",
                key=ctx.source(node),
            )
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "as_matrix"
            and ctx.types.kind_of(node.func.value) in FRAMES
        ):
            yield ctx.smell(
                "MLD818",
                node,
                f"`{ctx.source(node)}` calls `.as_matrix()`, removed in pandas 1.0",
                key=ctx.source(node),
            )
