"""MLD813 chain-indexing: a DataFrame indexed twice in a row, above all when assigned through."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.pandas_numpy import INDEXERS, kw, one_per_line
from mldebt.parse.detectors.types import DATAFRAME
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, data


class ChainIndexing(FileRule):
    id = "MLD813"
    name = "chain-indexing"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"reads": (bool, False)}

    def accept(self, smell: Smell) -> bool:
        return bool(self.options["reads"]) or data(smell, "access") == "write"


# detection ------------------------------------------------------------------------------


def _is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _chain(ctx: FileContext, node: ast.Subscript) -> tuple[ast.expr, str] | None:
    """The DataFrame a two-step index starts from, and the chain as written:
    `df[a][b]`, `df.loc[a][b]`, `df.iloc[a][b]`, `df[a].loc[b]` (also .iloc/.at/.iat)."""
    inner = node.value
    if isinstance(inner, ast.Subscript):
        root = inner.value
        if isinstance(root, ast.Attribute) and root.attr in ("loc", "iloc"):
            index = inner.slice
            if isinstance(index, ast.Tuple) and not any(isinstance(e, (ast.Slice, ast.List)) for e in index.elts):
                return None  # `df.loc[i, "c"]` is one cell: what follows indexes its value
            root = root.value
        if ctx.types.kind_of(root) == DATAFRAME:
            return root, ctx.source(node)
    elif isinstance(inner, ast.Attribute) and inner.attr in INDEXERS and isinstance(inner.value, ast.Subscript):
        root = inner.value.value
        if ctx.types.kind_of(root) == DATAFRAME:
            return root, ctx.source(node)
    return None


def _outermost(ctx: FileContext, node: ast.expr) -> ast.expr:
    """The whole target expression a subscript chain belongs to (`df[a][b][c]` for `df[a][b]`)."""
    current = node
    while True:
        parent = ctx.parent(current)
        if isinstance(parent, (ast.Subscript, ast.Attribute)) and parent.value is current:
            current = parent
            continue
        return current


@one_per_line
def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD813: indexing a DataFrame twice in a row; assigning through such a chain is lost."""
    if not ctx.imports_any("pandas"):
        return
    for node in ctx.walk():
        if isinstance(node, ast.Subscript):
            found = _chain(ctx, node)  # `df[a][b][c]` matches once, at `df[a][b]`
            if found is None:
                continue
            root, text = found
            top = _outermost(ctx, node)
            if isinstance(top, ast.Subscript) and isinstance(top.ctx, (ast.Store, ast.Del)):
                yield ctx.smell(
                    "MLD813",
                    top,
                    f"`{ctx.source(top)}` assigns through chained indexing of DataFrame `{ctx.source(root)}`: "
                    "the write may go to a temporary copy (SettingWithCopy; never reaches the frame under "
                    "pandas Copy-on-Write)",
                    key=f"write:{ctx.source(top)}",
                    confidence="high",
                    data=(("access", "write"),),
                )
            else:
                yield ctx.smell(
                    "MLD813",
                    node,
                    f"`{text}` indexes DataFrame `{ctx.source(root)}` twice in a row (chained indexing): "
                    "one `.loc`/`.iloc` lookup does it in one step",
                    key=f"read:{text}",
                    confidence="low",
                    data=(("access", "read"),),
                )
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Subscript)
            and (inplace := kw(node, "inplace")) is not None
            and _is_true(inplace.value)
        ):
            base = node.func.value.value
            if isinstance(base, ast.Attribute) and base.attr in ("loc", "iloc"):
                base = base.value
            if ctx.types.kind_of(base) == DATAFRAME:
                yield ctx.smell(
                    "MLD813",
                    node,
                    f"`{ctx.source(node)}` modifies in place what indexing DataFrame `{ctx.source(base)}` returned "
                    "(chained assignment through an in-place method): under pandas Copy-on-Write the frame is "
                    "not changed",
                    key=f"inplace:{ctx.source(node)}",
                    confidence="high",
                    data=(("access", "write"),),
                )
