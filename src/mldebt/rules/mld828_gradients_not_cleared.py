"""MLD828 gradients-not-cleared: a training loop that never clears gradients."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.frameworks import LOOPS, at_line, is_method_call, loops_with_backward, walk_body
from mldebt.parse.detectors.types import OPTIMIZER
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class GradientsNotCleared(FileRule):
    id = "MLD828"
    name = "gradients-not-cleared"


# detection ------------------------------------------------------------------------------


def _optimizerish(ctx: FileContext, expr: ast.expr) -> bool:
    """An optimizer by type, or (type unknown) by name: `optimizer`, `self.optim`, `opt`."""
    kind = ctx.types.kind_of(expr)
    if kind is not None:
        return kind == OPTIMIZER
    last = (ctx.dotted(expr) or "").rsplit(".", 1)[-1].lower()
    return ("optim" in last or last == "opt") and "sched" not in last


def _optimizer_step(ctx: FileContext, call: ast.Call) -> bool:
    assert isinstance(call.func, ast.Attribute)
    receiver = call.func.value
    if _optimizerish(ctx, receiver):
        return not call.args or not _closure(ctx, call.args[0])
    last = (ctx.dotted(receiver) or "").rsplit(".", 1)[-1].lower()
    if "scaler" in last and call.args:  # `scaler.step(optimizer)` under AMP
        return _optimizerish(ctx, call.args[0])
    return False


def _closure(ctx: FileContext, arg: ast.expr) -> bool:
    return isinstance(arg, (ast.Name, ast.Lambda, ast.Attribute))  # `step(closure)`: LBFGS-style


def _clears(node: ast.AST) -> bool:
    if is_method_call(node, "zero_grad", "clear_grad", "clear_gradients"):
        return True
    if is_method_call(node, "zero_", "detach_", "requires_grad_") and isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Attribute)
        return any(isinstance(s, ast.Attribute) and s.attr == "grad" for s in ast.walk(node.func.value))
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Attribute) and t.attr == "grad" for t in node.targets)
    return False


def detect(ctx: FileContext) -> Iterator[Smell]:
    if not ctx.imports_any("torch") or ".backward(" not in ctx.text or ".step(" not in ctx.text:
        return
    clearing = {fn.name for fn in ctx.functions if any(_clears(n) for n in walk_body(fn.body))}
    both: dict[int, tuple[ast.Call, ast.Call]] = {}
    cleared: set[int] = set()
    loops = loops_with_backward(ctx)
    for loop in loops:
        backward = step = None
        for n in walk_body(loop.body):
            if _clears(n):
                cleared.add(id(loop))
            elif isinstance(n, ast.Call):
                if is_method_call(n, "backward") and backward is None:
                    backward = n
                elif is_method_call(n, "step") and step is None and _optimizer_step(ctx, n):
                    step = n
                else:
                    callee = n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", None)
                    if callee in clearing:
                        cleared.add(id(loop))
        if backward is not None and step is not None:
            both[id(loop)] = (backward, step)
    for loop in loops:
        if id(loop) not in both or id(loop) in cleared:
            continue
        if any(isinstance(n, LOOPS) and n is not loop and id(n) in both for n in walk_body(loop.body)):
            continue  # an inner loop holds both: that one is reported
        backward, step = both[id(loop)]
        assert isinstance(step.func, ast.Attribute)
        yield ctx.smell(
            "MLD828",
            backward,
            f"the loop{at_line(ctx, loop)} calls `{ctx.source(backward)}` and "
            f"`{ctx.source(step)}`{at_line(ctx, step)} but never clears the gradients: each "
            "iteration adds to the previous iterations' gradients",
            key=ctx.source(step),
            related=((step, "the optimizer steps on the accumulated gradients here"), (loop, "the loop")),
        )
