"""MLD814 columns-and-dtype-not-set: a text file read without `dtype=` whose columns are cast after the read."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.pandas_numpy import const_str, has_kwargs, kw, one_per_line
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class ColumnsAndDtypeNotSet(FileRule):
    id = "MLD814"
    name = "columns-and-dtype-not-set"


# detection ------------------------------------------------------------------------------


_TEXT_READERS = frozenset({"pandas.read_csv", "pandas.read_table", "pandas.read_fwf", "pandas.read_excel"})
_CASTS = frozenset({"pandas.to_numeric", "pandas.to_datetime"})


_NOT_COLUMNS = frozenset({"values", "index", "columns", "T", "shape", "dtypes", "str", "dt", "cat"})


def _frame_name_of(node: ast.expr) -> str | None:
    """`df`, `df["a"]`, `df.a`, `df[["a", "b"]]`, `df.loc[:, "a"]` -> "df" (not `df.values[:, 0]`)."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        if isinstance(node, ast.Attribute) and node.attr in _NOT_COLUMNS:
            return None
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _text_type(node: ast.expr) -> bool:
    """`str` / "str" / "string": a cast to text is usually for processing (encoding, joining)."""
    return (isinstance(node, ast.Name) and node.id == "str") or const_str(node) in ("str", "string", "object")


@one_per_line
def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD814: a text file read without `dtype=` whose columns are cast right after the read."""
    if not ctx.imports_any("pandas"):
        return
    scopes = [ctx.tree, *ctx.functions]
    for scope in scopes:
        reads: dict[str, tuple[ast.Call, str]] = {}  # frame name -> its read with no dtype
        done: set[int] = set()
        for node in ctx.walk_scope(scope):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                name = node.targets[0].id
                value = node.value
                api = ctx.call_name(value) if isinstance(value, ast.Call) else None
                if isinstance(value, ast.Call) and api in _TEXT_READERS:
                    if (
                        kw(value, "dtype") is None
                        and kw(value, "converters") is None
                        and not has_kwargs(value)
                        and not (api == "pandas.read_excel" and kw(value, "sheet_name") is not None)
                    ):
                        reads[name] = (value, api)
                    else:
                        reads.pop(name, None)
                elif name in reads and not any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(value)):
                    reads.pop(name)  # rebound to something else
            if not isinstance(node, ast.Call) or not reads:
                continue
            cast: ast.expr | None = None
            how = ""
            if (
                isinstance(node.func, ast.Attribute)
                and node.func.attr == "astype"
                and not has_kwargs(node)
                and not (node.args and _text_type(node.args[0]))
            ):
                cast, how = node.func.value, f".astype({', '.join(ctx.source(a) for a in node.args)})"
            else:
                api = ctx.call_name(node)
                if api in _CASTS and node.args:
                    cast, how = node.args[0], f"`{api.replace('pandas.', 'pd.')}`"
                    if api == "pandas.to_datetime":
                        how = "`pd.to_datetime`"
            if cast is None:
                continue
            frame = _frame_name_of(cast)
            if frame is None or frame not in reads or not isinstance(cast, (ast.Name, ast.Subscript, ast.Attribute)):
                continue
            read, api = reads[frame]
            if id(read) in done:
                continue
            if api != "pandas.read_excel" and how == "`pd.to_datetime`" and kw(read, "parse_dates") is not None:
                continue
            done.add(id(read))
            what = how if how.startswith("`") else f"`{how}`"
            yield ctx.smell(
                "MLD814",
                read,
                f"`{ctx.source(read)}` sets no `dtype=`, and `{ctx.source(cast)}` is then cast with {what} "
                f"({ctx.line_ref(node, read)}): the column types are fixed after the read instead of at it",
                key=f"{frame}:{ctx.source(read)}",
                related=((node, f"`{ctx.source(cast)}` cast after the read"),),
            )
