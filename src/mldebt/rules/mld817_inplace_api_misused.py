"""MLD817 inplace-api-misused: a pandas/NumPy call returning a new object used as a statement."""

from __future__ import annotations

import ast
import re
from bisect import bisect_right
from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.numpy_pure import NUMPY_PURE
from mldebt.parse.detectors.pandas_numpy import kw, one_per_line
from mldebt.parse.detectors.types import ARRAY, DATAFRAME, FRAMES
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class InplaceApiMisused(FileRule):
    id = "MLD817"
    name = "inplace-api-misused"


# detection ------------------------------------------------------------------------------


def _cell_starts(ctx: FileContext) -> tuple[int, ...]:
    """Where cells begin: a notebook's code cells, or the `# %%` / `# In[ ]:` markers of a
    script kept in cells (Jupytext, VS Code, nbconvert exports)."""
    if ctx.notebook:
        return ctx.cell_starts
    return tuple(line for line, col, text in ctx.comments if col == 1 and _CELL_MARK.match(text))


_CELL_MARK = re.compile(r"#\s*(%%|In\[[\d ]*\]:)")


def _displayed(ctx: FileContext, stmt: ast.stmt) -> bool:
    """A cell's last top-level expression is displayed by Jupyter, not discarded."""
    if ctx.parent(stmt) is not ctx.tree:
        return False
    starts = _cell_starts(ctx)
    if not starts:
        # nbconvert's script export (`# coding: utf-8` header) without its `# In[ ]:` prompts:
        # any top-level expression may have ended a cell
        return not ctx.notebook and "# coding: utf-8" in ctx.lines[:2]
    body = ctx.tree.body
    i = next((k for k, s in enumerate(body) if s is stmt), -1)
    if i < 0:
        return False
    end = stmt.end_lineno or stmt.lineno
    nxt = body[i + 1].lineno if i + 1 < len(body) else None
    if nxt is None:
        return True
    # another cell begins between this statement and the next one
    k = bisect_right(starts, end)
    return k < len(starts) and starts[k] <= nxt


def _tried(ctx: FileContext, stmt: ast.stmt) -> bool:
    """A call alone in a `try` body is there for the exception it may raise (`astype` as a test)."""
    parent = ctx.parent(stmt)
    return isinstance(parent, ast.Try) and any(s is stmt for s in parent.body) and bool(parent.handlers)


_PANDAS_PURE = frozenset(
    [
        "dropna",
        "fillna",
        "drop",
        "drop_duplicates",
        "sort_values",
        "sort_index",
        "rename",
        "rename_axis",
        "reset_index",
        "set_index",
        "replace",
        "astype",
        "reindex",
        "assign",
        "clip",
        "round",
        "where",
        "mask",
        "interpolate",
        "ffill",
        "bfill",
        "query",
        "eval",
        "droplevel",
        "set_axis",
        "infer_objects",
        "convert_dtypes",
        "tz_localize",
        "tz_convert",
        "add_prefix",
        "add_suffix",
        "abs",
        "truncate",
        "merge",
        "join",
        "transpose",
    ]
)
_NUMPY_PURE = NUMPY_PURE  # generated from NumPy itself: tools/gen_numpy_pure.py
_ARRAY_PURE = frozenset({"astype", "reshape", "flatten", "ravel", "copy", "transpose", "squeeze", "clip", "round"})


@one_per_line
def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD817: a pandas/NumPy call that returns a new object, used as a statement: the result is lost."""
    if not ctx.imports_any("pandas", "numpy"):
        return
    for stmt in ctx.walk():
        if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
            continue
        call = stmt.value
        func = call.func
        what = ""
        name = ctx.call_name(call)
        if name is not None and name.startswith("numpy.") and name[6:] in _NUMPY_PURE:
            short = name[6:]
            if kw(call, "out") is not None or (short == "nan_to_num" and kw(call, "copy") is not None):
                continue
            what = f"`np.{short}` returns a new array"
        elif isinstance(func, ast.Attribute):
            kind = ctx.types.kind_of(func.value)
            if kind in FRAMES and func.attr in _PANDAS_PURE:
                inplace = kw(call, "inplace")
                if inplace is not None and not (
                    isinstance(inplace.value, ast.Constant) and inplace.value.value is False
                ):
                    continue
                what = f"`.{func.attr}()` returns a new {'DataFrame' if kind == DATAFRAME else 'Series'}"
            elif kind == ARRAY and func.attr in _ARRAY_PURE:
                if func.attr in ("clip", "round") and kw(call, "out") is not None:
                    continue
                what = f"`.{func.attr}()` returns a new array"
        if not what or _displayed(ctx, stmt) or _tried(ctx, stmt):
            continue
        yield ctx.smell(
            "MLD817",
            call,
            f"the result of `{ctx.source(call)}` is discarded: {what} and leaves its input unchanged",
            key=ctx.source(call),
        )
