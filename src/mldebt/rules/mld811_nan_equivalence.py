"""MLD811 nan-equivalence: comparing with NaN by `==` / `!=`."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class NanEquivalence(FileRule):
    id = "MLD811"
    name = "nan-equivalence"


# detection ------------------------------------------------------------------------------

_NANS = frozenset({"numpy.nan", "numpy.NaN", "numpy.NAN", "math.nan", "pandas.NA"})


def _is_nan(ctx: FileContext, node: ast.expr) -> bool:
    if isinstance(node, (ast.Attribute, ast.Name)):
        return ctx.qualify(node) in _NANS
    if isinstance(node, ast.Call) and ctx.qualify(node.func) == "float" and len(node.args) == 1:
        arg = node.args[0]
        return isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.strip().lower() == "nan"
    return False


def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD811: `x == np.nan` is always False (and `!=` always True): NaN equals nothing."""
    if not ctx.imports_any("numpy", "pandas", "math") and "nan" not in ctx.text:
        return
    for node in ctx.walk():
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for i, op in enumerate(node.ops):
            if not isinstance(op, (ast.Eq, ast.NotEq)):
                continue
            left, right = operands[i], operands[i + 1]
            nan, other = (right, left) if _is_nan(ctx, right) else (left, right)
            if not _is_nan(ctx, nan):
                continue
            always = "False" if isinstance(op, ast.Eq) else "True"
            yield ctx.smell(
                "MLD811",
                node,
                f"`{ctx.source(node)}` is always {always}: NaN is not equal to anything, itself included",
                key=ctx.source(other),
            )
            break
