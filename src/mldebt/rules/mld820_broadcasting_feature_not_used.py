"""MLD820 broadcasting-feature-not-used: a tile/repeat along a fresh singleton axis feeding element-wise arithmetic."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.pandas_numpy import Scopes, constant, kw, one_per_line
from mldebt.parse.detectors.types import ARRAY, TENSOR
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class BroadcastingFeatureNotUsed(FileRule):
    id = "MLD820"
    name = "broadcasting-feature-not-used"


# detection ------------------------------------------------------------------------------


_TILES = frozenset({"numpy.tile", "tensorflow.tile", "torch.tile", "numpy.repeat", "torch.repeat_interleave"})
_EXPANDS = frozenset({"numpy.expand_dims", "tensorflow.expand_dims", "torch.unsqueeze"})
_ARITH_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_ARITH_FUNCS = frozenset(
    f"{lib}.{op}"
    for lib in ("numpy", "tensorflow", "tensorflow.math", "torch")
    for op in ("add", "subtract", "multiply", "divide", "mul", "sub", "div", "maximum", "minimum", "true_divide")
)


def _singleton_axis(ctx: FileContext, node: ast.expr) -> bool:
    """`expand_dims(x, k)`, `x.unsqueeze(k)`, `x[:, None]`, `x[np.newaxis]`, `x.reshape(-1, 1)`."""
    if isinstance(node, ast.Call):
        if ctx.call_name(node) in _EXPANDS:
            return True
        if isinstance(node.func, ast.Attribute):
            if node.func.attr == "unsqueeze":
                return True
            if node.func.attr == "reshape" and len(node.args) == 2:
                return any(isinstance(a, ast.Constant) and a.value == 1 for a in node.args)
        return False
    if isinstance(node, ast.Subscript):
        index = node.slice
        elts = index.elts if isinstance(index, ast.Tuple) else [index]
        return any(
            (isinstance(e, ast.Constant) and e.value is None)
            or ctx.qualify(e) in ("numpy.newaxis", "tensorflow.newaxis")
            for e in elts
            if isinstance(e, (ast.Constant, ast.Attribute, ast.Name))
        )
    return False


def _tile_input(ctx: FileContext, call: ast.Call) -> ast.expr | None:
    name = ctx.call_name(call)
    if name in _TILES and call.args:
        if name == "numpy.repeat" and kw(call, "axis") is None:
            return None  # flattens: not a tiling along an axis
        return call.args[0]
    if isinstance(call.func, ast.Attribute) and call.func.attr in ("tile", "repeat") and name not in _TILES:
        receiver = call.func.value
        kind = ctx.types.kind_of(receiver)
        if call.func.attr == "repeat" and kind not in (TENSOR, None) and not (kind == ARRAY and kw(call, "axis")):
            return None
        return receiver
    return None


def _arith_operand(ctx: FileContext, node: ast.expr) -> tuple[ast.AST, ast.expr] | None:
    """The element-wise operation a node is an operand of, and its other operand (not a number:
    a scalar needs no shape)."""
    parent = ctx.parent(node)
    other: ast.expr | None = None
    if isinstance(parent, ast.BinOp) and isinstance(parent.op, _ARITH_OPS):
        other = parent.right if parent.left is node else parent.left
    elif isinstance(parent, ast.Compare) and len(parent.comparators) == 1:
        other = parent.comparators[0] if parent.left is node else parent.left
    elif (
        isinstance(parent, ast.Call)
        and len(parent.args) == 2
        and any(a is node for a in parent.args)
        and ctx.call_name(parent) in _ARITH_FUNCS
    ):
        other = parent.args[1] if parent.args[0] is node else parent.args[0]
    if parent is None or other is None or constant(other):
        return None
    return parent, other


@one_per_line
def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD820: a tensor tiled along an axis it just gained, only to meet another in arithmetic."""
    if not ctx.imports_any("numpy", "tensorflow", "torch"):
        return
    scopes = Scopes(ctx)
    for node in ctx.walk():
        if not isinstance(node, ast.Call):
            continue
        source = _tile_input(ctx, node)
        if source is None:
            continue
        expanded = source
        if isinstance(source, ast.Name):
            value, _ = scopes.value(source)
            if value is None:
                continue
            expanded = value
        if not _singleton_axis(ctx, expanded):
            continue
        use = _arith_operand(ctx, node)
        if use is None:
            parent = ctx.parent(node)
            if not (
                isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name)
            ):
                continue
            use = _only_arith_uses(ctx, scopes, parent.targets[0].id, parent)
            if use is None:
                continue
        op, other = use
        yield ctx.smell(
            "MLD820",
            node,
            f"`{ctx.source(node)}` copies `{ctx.source(expanded)}` along the axis it just gained, only to combine "
            f"it element-wise with `{ctx.source(other)}` ({ctx.line_ref(op, node)}): broadcasting does this "
            "without the copy",
            key=ctx.source(node),
            related=((op, "the element-wise operation"),),
        )


def _only_arith_uses(
    ctx: FileContext, scopes: Scopes, name: str, assign: ast.Assign
) -> tuple[ast.AST, ast.expr] | None:
    """The first use of a name bound by `assign`, if every use until it is rebound is arithmetic."""
    scope = ctx.scope_of(assign)
    bindings = scopes.of(scope)
    first: tuple[ast.AST, ast.expr] | None = None
    end = (assign.end_lineno or 0, assign.end_col_offset or 0)
    for n in ctx.walk_scope(scope):
        if not (isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)):
            continue
        at = (n.lineno, n.col_offset)
        if at < end or bindings.value(name, at) is not assign.value:
            continue
        use = _arith_operand(ctx, n)
        if use is None:
            return None
        first = first or use
    return first
