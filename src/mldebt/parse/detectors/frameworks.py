"""What the scikit-learn, PyTorch and TensorFlow misuse rules share (Zhang et al., CAIN 2022:
MLD823-MLD830, each detector in its rule module `rules/mld8NN_*.py`): walks that stay out of
nested functions, `no_grad` contexts, training loops, and the value a name was bound to
(`Scopes`).

Every one of those detectors is type-aware through `types.py`: a smell fires on what is proved
to be a torch module, an optimizer, a Keras model or an estimator of a named class, and on
nothing it cannot prove (an unknown value, a dynamic form, data of unknown provenance is "no
finding").
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

from mldebt.parse.detectors.context import FUNCTIONS, FileContext, ScopeBindings

NESTED = (*FUNCTIONS, ast.ClassDef, ast.Lambda)
LOOPS = (ast.For, ast.AsyncFor, ast.While)
NO_GRAD = frozenset(
    {
        "torch.no_grad",
        "torch.inference_mode",
        "torch.autograd.no_grad",
        "torch.autograd.grad_mode.no_grad",
        "torch.autograd.grad_mode.inference_mode",
    }
)


def walk_body(stmts: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Nodes under these statements in source order, not into nested functions, classes, lambdas."""
    stack = list(reversed(list(stmts)))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, NESTED):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def is_method_call(node: ast.AST, *names: str) -> bool:
    """Is the node a call of a method with one of these names (`x.backward()`)?"""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names


def is_no_grad(ctx: FileContext, expr: ast.expr) -> bool:
    if not isinstance(expr, ast.Call):
        return ctx.qualify(expr) in NO_GRAD  # `@torch.no_grad` without parentheses
    name = ctx.call_name(expr)
    if name in NO_GRAD:
        return True
    if name in ("torch.set_grad_enabled", "torch.autograd.set_grad_enabled") and expr.args:
        arg = expr.args[0]
        return isinstance(arg, ast.Constant) and arg.value is False
    return False


def no_grad_with(ctx: FileContext, node: ast.AST) -> bool:
    return isinstance(node, (ast.With, ast.AsyncWith)) and any(
        is_no_grad(ctx, item.context_expr) for item in node.items
    )


def no_grad_function(ctx: FileContext, fn: ast.AST) -> bool:
    return isinstance(fn, FUNCTIONS) and any(is_no_grad(ctx, d) for d in fn.decorator_list)


def loops_with_backward(ctx: FileContext) -> list[ast.For | ast.AsyncFor | ast.While]:
    """The loops (within one function) around some `.backward()` call, outermost first."""
    out: dict[int, ast.For | ast.AsyncFor | ast.While] = {}
    for node in ctx.walk():
        if is_method_call(node, "backward"):
            for a in ctx.ancestors(node):
                if isinstance(a, NESTED):
                    break
                if isinstance(a, LOOPS):
                    out.setdefault(id(a), a)
    return sorted(out.values(), key=lambda n: (n.lineno, n.col_offset))


class Values(ScopeBindings):
    """What each name (or `self.x`) of a scope was bound to, in source order: `value(name, at)` is
    the expression of the last binding that ends before `at`; None for a binding of unknown value
    (loop target, `+=`, parameter). Unpacking of `train_test_split` and of a tuple literal maps each
    target to its source."""

    def _bind(
        self,
        table: dict[str, list[tuple[tuple[int, int], ast.expr | None]]],
        target: ast.expr,
        value: ast.expr | None,
        end: tuple[int, int],
    ) -> None:
        if isinstance(target, ast.Name):
            table.setdefault(target.id, []).append((end, value))
        elif isinstance(target, ast.Attribute):
            dotted = self.ctx.dotted(target)
            if dotted and dotted.startswith("self."):
                table.setdefault(dotted, []).append((end, value))
        elif isinstance(target, (ast.Tuple, ast.List)):
            parts: list[ast.expr | None] = [None] * len(target.elts)
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts):
                parts = list(value.elts)
            elif isinstance(value, ast.Call) and self.ctx.call_name(value) in SPLITTERS:
                arrays = [a for a in value.args if not isinstance(a, ast.Starred)]
                if len(arrays) * 2 == len(target.elts):
                    parts = [arrays[i // 2] for i in range(len(target.elts))]
            elif isinstance(value, ast.Call) and returns_x_y(self.ctx, value) and len(target.elts) == 2:
                parts = [value, None]
            for elt, part in zip(target.elts, parts, strict=True):
                self._bind(table, elt, part, end)
        elif isinstance(target, ast.Starred):
            self._bind(table, target.value, None, end)


class Scopes:
    """`_Values` per scope, built on demand; a name unbound in its scope is looked up in the module."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self._cache: dict[int, Values] = {}

    def values(self, scope: ast.AST) -> Values:
        v = self._cache.get(id(scope))
        if v is None:
            v = self._cache[id(scope)] = Values(self.ctx, scope)
        return v

    def value(self, name: str, node: ast.AST) -> ast.expr | None:
        at = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
        scope = self.ctx.scope_of(node)
        local = self.values(scope)
        if local.bound(name) or scope is self.ctx.tree:
            return local.value(name, at)
        module = self.values(self.ctx.tree)
        entries = module.table.get(name)
        return entries[-1][1] if entries else None

    def constructor(self, expr: ast.expr, depth: int = 0) -> tuple[str, ast.Call] | None:
        """The qualified class an estimator/module expression was constructed from, through
        names and `.fit(...)` / `.to(...)` chains: `clf` -> ("sklearn.svm.SVC", the call)."""
        if depth > 8:
            return None
        if isinstance(expr, ast.Call):
            if isinstance(expr.func, ast.Attribute) and expr.func.attr in RETURNS_SELF:
                return self.constructor(expr.func.value, depth + 1)
            name = self.ctx.call_name(expr)
            return (name, expr) if name else None
        dotted = self.ctx.dotted(expr)
        if dotted is None:
            return None
        value = self.value(dotted, expr)
        if value is None:
            return None
        return self.constructor(value, depth + 1)


RETURNS_SELF = frozenset(
    {"fit", "set_params", "to", "cuda", "cpu", "train", "eval", "float", "double", "half", "requires_grad_"}
)
SPLITTERS = frozenset({"sklearn.model_selection.train_test_split", "sklearn.cross_validation.train_test_split"})


def returns_x_y(ctx: FileContext, call: ast.Call) -> bool:
    return any(
        k.arg == "return_X_y" and isinstance(k.value, ast.Constant) and k.value.value is True for k in call.keywords
    )


def at_line(ctx: FileContext, node: ast.AST) -> str:
    """` (line N)` for messages; notebooks leave it to the evidence, which names the cell."""
    line = getattr(node, "lineno", None)
    return "" if ctx.notebook or line is None else f" (line {line})"


def last_part(name: str) -> str:
    return name.rsplit(".", 1)[-1]
