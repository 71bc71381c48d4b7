"""MLD821 missing-mask-of-invalid-value: the log of a softmax/sigmoid/predict_proba output with no clip or epsilon."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.pandas_numpy import Scopes, kw, one_per_line
from mldebt.parse.detectors.types import TENSOR
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class MissingMaskOfInvalidValue(FileRule):
    id = "MLD821"
    name = "missing-mask-of-invalid-value"


# detection ------------------------------------------------------------------------------


_LOGS = frozenset(
    {
        "numpy.log",
        "numpy.log2",
        "numpy.log10",
        "tensorflow.math.log",
        "tensorflow.log",
        "torch.log",
        "torch.log2",
        "torch.log10",
    }
)
_PROBS = frozenset(
    {
        "tensorflow.nn.softmax",
        "tensorflow.math.softmax",
        "tensorflow.nn.sigmoid",
        "tensorflow.sigmoid",
        "tensorflow.math.sigmoid",
        "tensorflow.keras.activations.softmax",
        "tensorflow.keras.activations.sigmoid",
        "torch.softmax",
        "torch.sigmoid",
        "torch.nn.functional.softmax",
        "torch.nn.functional.sigmoid",
        "scipy.special.softmax",
        "scipy.special.expit",
    }
)
_MASKING = ("where", "clip", "clip_by_value", "clamp", "maximum", "nan_to_num", "log_softmax")


def _probability(ctx: FileContext, scopes: Scopes, node: ast.expr, depth: int = 0) -> ast.expr | None:
    """The softmax / sigmoid / predict_proba call whose output the expression is (or is 1 minus)."""
    if depth > 6:
        return None
    if isinstance(node, ast.Call):
        name = ctx.call_name(node)
        if name in _PROBS:
            return node
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("predict_proba", "softmax", "sigmoid"):
            if node.func.attr != "predict_proba" and ctx.types.kind_of(node.func.value) != TENSOR:
                return None
            return node
        return None
    if isinstance(node, ast.Subscript):
        return _probability(ctx, scopes, node.value, depth + 1)
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Sub)
        and isinstance(node.left, ast.Constant)
        and node.left.value == 1
    ):
        return _probability(ctx, scopes, node.right, depth + 1)
    if isinstance(node, ast.Name):
        value, _ = scopes.value(node)
        if value is None or _masked_later(ctx, node):
            return None
        return _probability(ctx, scopes, value, depth + 1)
    return None


def _inside(ctx: FileContext, node: ast.AST, container: ast.AST) -> bool:
    return any(a is container for a in ctx.ancestors(node))


def _masked_later(ctx: FileContext, name: ast.Name) -> bool:
    """`p.clamp_(...)` or `np.clip(p, ..., out=p)` in the scope: the name is masked in place."""
    scope = ctx.scope_of(name)
    for n in ctx.walk_scope(scope):
        if not isinstance(n, ast.Call):
            continue
        if (
            isinstance(n.func, ast.Attribute)
            and n.func.attr in ("clamp_", "clip_", "clamp", "clip")
            and isinstance(n.func.value, ast.Name)
            and n.func.value.id == name.id
            and (n.func.attr.endswith("_") or kw(n, "out") is not None)
        ):
            return True
        out = kw(n, "out")
        if out is not None and isinstance(out.value, ast.Name) and out.value.id == name.id:
            return True
    return False


@one_per_line
def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD821: the log of a probability (softmax, sigmoid, predict_proba) with no clip or epsilon."""
    if not ctx.imports_any("numpy", "tensorflow", "torch"):
        return
    scopes = Scopes(ctx)
    for node in ctx.walk():
        if not isinstance(node, ast.Call):
            continue
        name = ctx.call_name(node)
        if name in _LOGS and len(node.args) == 1:
            arg = node.args[0]
        elif (
            isinstance(node.func, ast.Attribute)
            and node.func.attr == "log"
            and not node.args
            and name not in _LOGS
            and ctx.types.kind_of(node.func.value) == TENSOR
        ):
            arg = node.func.value
        else:
            continue
        if any(
            isinstance(a, ast.Call) and (ctx.call_name(a) or "").rsplit(".", 1)[-1] in _MASKING
            for a in ctx.ancestors(node)
        ):
            continue
        source = _probability(ctx, scopes, arg)
        if source is None:
            continue
        yield ctx.smell(
            "MLD821",
            node,
            f"`{ctx.source(node)}` takes the log of `{ctx.source(source)}` output"
            f"{'' if _inside(ctx, source, node) else f' ({ctx.line_ref(source, node)})'}, "
            "which can be exactly 0, with no clip or epsilon: the log is -inf and the loss NaN",
            key=ctx.source(node),
            related=() if source is arg else ((source, "the probability"),),
        )
