"""MLD819 matrix-multiplication-api-misused: `np.dot` on two provably 2-D arrays."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.pandas_numpy import Scopes, kw, one_per_line
from mldebt.parse.detectors.types import ARRAY, DATAFRAME
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class MatrixMultiplicationApiMisused(FileRule):
    id = "MLD819"
    name = "matrix-multiplication-api-misused"


# detection ------------------------------------------------------------------------------


_SHAPED = frozenset({"numpy.zeros", "numpy.ones", "numpy.empty", "numpy.full"})
_DIMS_ARGS = frozenset({"numpy.random.rand", "numpy.random.randn"})
_SIZED = frozenset(
    {
        "numpy.random.random",
        "numpy.random.random_sample",
        "numpy.random.standard_normal",
        "numpy.random.uniform",
        "numpy.random.normal",
        "numpy.random.randint",
    }
)
_ALWAYS_2D = frozenset({"numpy.eye", "numpy.identity", "numpy.outer", "numpy.vstack", "numpy.column_stack"})


def _pair(node: ast.expr | None) -> bool:
    return (
        isinstance(node, (ast.Tuple, ast.List))
        and len(node.elts) == 2
        and not any(isinstance(e, ast.Starred) for e in node.elts)
    )


class _Shapes:
    """Which expressions are provably 2-D arrays (matrices)."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.scopes = Scopes(ctx)

    def origin(self, node: ast.expr, depth: int = 0) -> ast.expr | None:
        """The expression that proves the node 2-D (itself or what its name was bound to), or None."""
        if depth > 8:
            return None
        ctx = self.ctx
        if isinstance(node, ast.Name):
            value, _ = self.scopes.value(node)
            return self.origin(value, depth + 1) if value is not None else None
        kind = ctx.types.kind_of(node)
        if kind == DATAFRAME:
            return node
        if isinstance(node, ast.Attribute):
            if node.attr == "T":
                return self.origin(node.value, depth + 1)
            if node.attr == "values" and ctx.types.kind_of(node.value) == DATAFRAME:
                return node
            return None
        if isinstance(node, ast.Subscript):
            if ctx.qualify(node.value) == "numpy.c_":
                return node
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            if self.origin(node.left, depth + 1) is not None and self.origin(node.right, depth + 1) is not None:
                return node
            return None
        if not isinstance(node, ast.Call):
            return None
        name = ctx.call_name(node)
        args = node.args
        if name in ("numpy.array", "numpy.asarray") and args:
            first = args[0]
            if isinstance(first, (ast.List, ast.Tuple)) and first.elts:
                rows = first.elts
                if all(isinstance(r, (ast.List, ast.Tuple)) and r.elts for r in rows) and not any(
                    isinstance(e, (ast.List, ast.Tuple))
                    for r in rows
                    for e in r.elts  # type: ignore[attr-defined]
                ):
                    return node
            return None
        if name in _SHAPED:
            shape = args[0] if args else (kw(node, "shape").value if kw(node, "shape") else None)  # type: ignore[union-attr]
            return node if _pair(shape) else None
        if name in _DIMS_ARGS:
            return node if len(args) == 2 and not node.keywords else None
        if name in _SIZED:
            size = kw(node, "size")
            if size is None:
                pos = {"numpy.random.uniform": 2, "numpy.random.normal": 2, "numpy.random.randint": 2}.get(name, 0)
                size_node = args[pos] if len(args) > pos else None
            else:
                size_node = size.value
            return node if _pair(size_node) else None
        if name in _ALWAYS_2D:
            return node
        if name == "numpy.reshape" and len(args) == 2:
            return node if _pair(args[1]) else None
        if name in ("numpy.dot", "numpy.matmul") and len(args) == 2:
            if self.origin(args[0], depth + 1) is not None and self.origin(args[1], depth + 1) is not None:
                return node
            return None
        if isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if method == "reshape":
                if (len(args) == 2 and not node.keywords) or (len(args) == 1 and _pair(args[0])):
                    return node
                return None
            if method == "to_numpy" and ctx.types.kind_of(node.func.value) == DATAFRAME:
                return node
            if method == "predict_proba" and len(args) == 1:
                return node
            if (
                method == "dot"
                and len(args) == 1
                and self.origin(node.func.value, depth + 1) is not None
                and self.origin(args[0], depth + 1) is not None
            ):
                return node
        return None


@one_per_line
def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD819: `np.dot` / `.dot` on two provably 2-D arrays, where `@` (np.matmul) says what it does."""
    if not ctx.imports_any("numpy"):
        return
    shapes = _Shapes(ctx)
    for node in ctx.walk():
        if not isinstance(node, ast.Call) or node.keywords:
            continue
        name = ctx.call_name(node)
        if name == "numpy.dot" and len(node.args) == 2:
            a, b = node.args
        elif (
            isinstance(node.func, ast.Attribute)
            and node.func.attr == "dot"
            and len(node.args) == 1
            and name != "numpy.dot"
            and ctx.types.kind_of(node.func.value) in (ARRAY, None)  # not DataFrame.dot, not torch's 1-D dot
        ):
            a, b = node.func.value, node.args[0]
        else:
            continue
        if ctx.types.kind_of(a) == DATAFRAME:
            continue  # DataFrame.dot aligns on labels: pandas' own product
        oa, ob = shapes.origin(a), shapes.origin(b)
        if oa is None or ob is None:
            continue
        related: list[tuple[ast.AST, str]] = []
        for operand, origin in ((a, oa), (b, ob)):
            if origin is not operand and all(origin is not r for r, _ in related):
                related.append((origin, f"`{ctx.source(operand)}` is 2-D: `{ctx.source(origin)}`"))
        yield ctx.smell(
            "MLD819",
            node,
            f"`{ctx.source(node)}` multiplies two 2-D arrays with `dot`: for matrices it is a matrix product, "
            "which `@` (`np.matmul`) states",
            key=ctx.source(node),
            related=tuple(related),
        )
