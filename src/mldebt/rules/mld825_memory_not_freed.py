"""MLD825 memory-not-freed: a loss tensor (the receiver of `.backward()`) accumulated into a
variable that outlives the iteration; Keras models built in a loop with no `clear_session()`."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.frameworks import (
    LOOPS,
    NESTED,
    at_line,
    is_method_call,
    loops_with_backward,
    no_grad_function,
    no_grad_with,
    walk_body,
)
from mldebt.parse.detectors.types import KERAS_MODEL
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class MemoryNotFreed(FileRule):
    id = "MLD825"
    name = "memory-not-freed"


# detection ------------------------------------------------------------------------------


def _under_no_grad(ctx: FileContext, node: ast.AST) -> bool:
    for a in ctx.ancestors(node):
        if no_grad_with(ctx, a):
            return True
        if isinstance(a, NESTED):
            return no_grad_function(ctx, a)
    return False


_DETACHING = frozenset({"item", "detach", "tolist", "numpy", "detach_"})
_DETACHING_FUNCTIONS = frozenset({"float", "int"})


def _loss_name(expr: ast.expr) -> str | None:
    """The tensor a `.backward()` receiver is built on: `loss`, `(loss / n)`, `scaler.scale(loss)`."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.BinOp):
        return _loss_name(expr.left)
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
        if expr.func.attr == "scale" and expr.args:
            return _loss_name(expr.args[0])
        if expr.func.attr in ("mean", "sum"):
            return _loss_name(expr.func.value)
    return None


def _bare_names(expr: ast.expr) -> Iterator[ast.Name]:
    """Names an arithmetic expression adds up as they are (not inside a call or attribute)."""
    if isinstance(expr, ast.Name):
        yield expr
    elif isinstance(expr, ast.BinOp):
        yield from _bare_names(expr.left)
        yield from _bare_names(expr.right)
    elif isinstance(expr, ast.UnaryOp):
        yield from _bare_names(expr.operand)


def _detaches(ctx: FileContext, expr: ast.expr | None) -> bool:
    if expr is None:
        return True
    for sub in ast.walk(expr):
        if isinstance(sub, ast.Call):
            if isinstance(sub.func, ast.Attribute) and sub.func.attr in _DETACHING:
                return True
            if ctx.call_name(sub) in _DETACHING_FUNCTIONS:
                return True
        if isinstance(sub, ast.Attribute) and sub.attr == "data":
            return True
    return False


def detect(ctx: FileContext) -> Iterator[Smell]:
    if ctx.imports_any("torch") and ".backward(" in ctx.text:
        yield from _accumulated_graphs(ctx)
    if ctx.imports_any("tensorflow", "keras"):
        yield from _keras_models_in_loops(ctx)


def _accumulated_graphs(ctx: FileContext) -> Iterator[Smell]:
    seen: set[int] = set()
    for loop in loops_with_backward(ctx):
        body = list(walk_body(loop.body))
        losses: dict[str, ast.Call] = {}
        for n in body:
            if is_method_call(n, "backward") and isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
                name = _loss_name(n.func.value)
                if name is not None:
                    losses.setdefault(name, n)
        if not losses:
            continue
        assigned: dict[str, list[ast.Assign]] = {}
        for n in body:
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    for sub in ast.walk(t):
                        if isinstance(sub, ast.Name):
                            assigned.setdefault(sub.id, []).append(n)
        for n in body:
            if id(n) in seen:
                continue
            target: ast.expr | None = None
            value: ast.expr | None = None
            if isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Add):
                target, value = n.target, n.value
            elif is_method_call(n, "append") and isinstance(n, ast.Call) and len(n.args) == 1:
                assert isinstance(n.func, ast.Attribute)
                target, value = n.func.value, n.args[0]
            if target is None or value is None or not isinstance(target, (ast.Name, ast.Attribute)):
                continue
            acc = ctx.dotted(target)
            if acc is None or acc in assigned:
                continue  # re-bound in the loop: lives one iteration
            loss = next((b for b in _bare_names(value) if b.id in losses), None)
            if loss is None or _under_no_grad(ctx, n):
                continue
            # the loss's last binding before the accumulation must not have detached it
            at = (getattr(n, "lineno", 0), getattr(n, "col_offset", 0))
            before = [a for a in assigned.get(loss.id, []) if (a.lineno, a.col_offset) < at]
            if before and _detaches(ctx, before[-1].value):
                continue
            seen.add(id(n))
            backward = losses[loss.id]
            verb = "appends" if isinstance(n, ast.Call) else "adds"
            yield ctx.smell(
                "MLD825",
                n,
                f"`{ctx.source(n)}` {verb} the loss tensor `{loss.id}` (`.backward()` is called on it"
                f"{at_line(ctx, backward)}) to `{acc}`, which outlives the iteration: every iteration's "
                "autograd graph stays referenced",
                key=f"{acc}|{loss.id}",
                related=((backward, f"`{loss.id}` has autograd history: `.backward()` is called on it"),),
            )


def _keras_models_in_loops(ctx: FileContext) -> Iterator[Smell]:
    clearing: set[str] | None = None
    reported: set[int] = set()
    for node in ctx.walk():
        if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Call):
            continue
        loop = None
        for a in ctx.ancestors(node):
            if isinstance(a, NESTED):
                break
            if isinstance(a, LOOPS):
                loop = a
                break
        if loop is None or id(loop) in reported:
            continue
        if ctx.types.kind_of(node.value) != KERAS_MODEL:
            continue
        name = ctx.call_name(node.value) or ""
        if name.endswith("load_model"):
            continue
        if clearing is None:
            clearing = set()
            if "clear_session" in ctx.text:
                clearing = {
                    f.name for f in ctx.functions if any(is_method_call(n, "clear_session") for n in walk_body(f.body))
                }
        cleared = False
        for n in walk_body(loop.body):
            if is_method_call(n, "clear_session"):
                cleared = True
            elif isinstance(n, ast.Call):
                callee = n.func.id if isinstance(n.func, ast.Name) else None
                if callee in clearing:
                    cleared = True
        if cleared:
            continue
        reported.add(id(loop))
        yield ctx.smell(
            "MLD825",
            node,
            f"`{ctx.source(node)}` builds a Keras model in a loop{at_line(ctx, loop)} with no "
            "`clear_session()`: each iteration's model and graph state stay in the Keras session",
            key=f"keras|{ctx.source(node.value)}",
            related=((loop, "the loop"),),
            confidence="medium",  # a few iterations cost little; the trip count is unknown
        )
