"""MLD815 empty-column-misinitialization: a new column created with 0 or "" as a placeholder and filled in part by part."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.pandas_numpy import const_str, constant, one_per_line
from mldebt.parse.detectors.types import DATAFRAME
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class EmptyColumnMisinitialization(FileRule):
    id = "MLD815"
    name = "empty-column-misinitialization"


# detection ------------------------------------------------------------------------------


def _placeholder(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and not isinstance(node.value, bool):
        if node.value == "" and isinstance(node.value, str):
            return '""'
        if isinstance(node.value, (int, float)) and node.value == 0:
            return repr(node.value)
    return None


def _column_of_row_write(ctx: FileContext, target: ast.expr) -> tuple[str, str] | None:
    """(frame source, column) of `df.loc[i, "c"]`, `df.at[i, "c"]`, `df["c"][i]`, `df["c"].loc[i]`."""
    if not isinstance(target, ast.Subscript):
        return None
    base = target.value
    if isinstance(base, ast.Attribute) and base.attr in ("loc", "at"):
        index = target.slice
        if isinstance(index, ast.Tuple) and len(index.elts) == 2:
            col = const_str(index.elts[1])
            if col is not None:
                return ctx.source(base.value), col
        if isinstance(base.value, ast.Subscript):
            col = const_str(base.value.slice)
            if col is not None:
                return ctx.source(base.value.value), col
        return None
    if isinstance(base, ast.Attribute) and base.attr in ("iloc", "iat") and isinstance(base.value, ast.Subscript):
        col = const_str(base.value.slice)
        if col is not None:
            return ctx.source(base.value.value), col
    if isinstance(base, ast.Subscript):
        col = const_str(base.slice)
        if col is not None:
            return ctx.source(base.value), col
    return None


@one_per_line
def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD815: a new column created with 0 or "" as a placeholder, then filled in part by part."""
    if not ctx.imports_any("pandas"):
        return
    for scope in [ctx.tree, *ctx.functions]:
        seen: set[tuple[str, str]] = set()  # (frame, column) used before
        created: dict[tuple[str, str], tuple[ast.Assign, str]] = {}
        reported: set[tuple[str, str]] = set()
        for node in ctx.walk_scope(scope):
            if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
                col = const_str(node.slice)
                if col is not None:
                    seen.add((ctx.source(node.value), col))
            if not isinstance(node, ast.Assign) or len(node.targets) != 1:
                continue
            target = node.targets[0]
            if isinstance(target, ast.Subscript) and (col := const_str(target.slice)) is not None:
                key = (ctx.source(target.value), col)
                const = _placeholder(node.value)
                if const is not None and key not in seen and ctx.types.kind_of(target.value) == DATAFRAME:
                    created[key] = (node, const)
                else:
                    created.pop(key, None)
                seen.add(key)
                continue
            written = _column_of_row_write(ctx, target)
            if written is None or written not in created or written in reported or constant(node.value):
                continue
            init, const = created[written]
            reported.add(written)
            frame, col = written
            yield ctx.smell(
                "MLD815",
                init,
                f"`{ctx.source(init)}` creates column {col!r} of DataFrame `{frame}` filled with {const} as a "
                f"placeholder, and `{ctx.source(target)}` fills it in part by part ({ctx.line_ref(target, init)}): rows "
                f"never filled keep {const}, indistinguishable from a real value",
                key=f"{frame}:{col}",
                related=((target, "the column filled in"),),
            )
