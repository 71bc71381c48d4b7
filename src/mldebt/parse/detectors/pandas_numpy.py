"""What the pandas and NumPy misuse rules share (Zhang et al., CAIN 2022: MLD811-MLD821, each
detector in its rule module `rules/mld8NN_*.py`).

Every one of those detectors is type-aware: a smell fires on what `types.py` proves to be a
DataFrame, Series or array (whatever the variable is called), and on nothing it cannot prove.
Shapes and "may be zero" are not value kinds; the few facts those rules need (a 2-D array, a
probability) come from the expression a name was last bound to in the same scope (`Scopes`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from functools import wraps

from mldebt.parse.detectors.context import FileContext, ScopeBindings
from mldebt.parse.facts import Smell

INDEXERS = frozenset({"loc", "iloc", "at", "iat"})
Bindings = ScopeBindings


class Scopes:
    """`Bindings` per scope, built on demand; a name a function never binds falls back to the
    module's binding when the module binds it exactly once."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self._cache: dict[int, Bindings] = {}

    def of(self, scope: ast.AST) -> Bindings:
        b = self._cache.get(id(scope))
        if b is None:
            b = self._cache[id(scope)] = Bindings(self.ctx, scope)
        return b

    def value(self, name: ast.Name) -> tuple[ast.expr | None, ast.AST]:
        """The expression the name was last bound to, and the scope that holds that binding."""
        scope = self.ctx.scope_of(name)
        at = (name.lineno, name.col_offset)
        bindings = self.of(scope)
        if bindings.bound(name.id) or scope is self.ctx.tree:
            if self._rebound_in_loop(name, scope, bindings):
                return None, scope
            return bindings.value(name.id, at), scope
        module = self.of(self.ctx.tree)
        entries = module.table.get(name.id, [])
        if len(entries) == 1:
            return entries[0][1], self.ctx.tree
        return None, scope

    def _rebound_in_loop(self, name: ast.Name, scope: ast.AST, bindings: Bindings) -> bool:
        """Inside a loop, a name bound again later in the loop body holds that value from the
        second iteration on: its first binding proves nothing."""
        at = (name.lineno, name.col_offset)
        entries = bindings.table.get(name.id, [])
        for a in self.ctx.ancestors(name):
            if a is scope:
                return False
            if isinstance(a, (ast.For, ast.AsyncFor, ast.While)):
                end = (a.end_lineno or 0, a.end_col_offset or 0)
                if any(at <= pos <= end for pos, _ in entries):
                    return True
        return False


def kw(call: ast.Call, name: str) -> ast.keyword | None:
    return next((k for k in call.keywords if k.arg == name), None)


def has_kwargs(call: ast.Call) -> bool:
    return any(k.arg is None for k in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args)


def const_str(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def one_per_line(detect: Callable[[FileContext], Iterable[Smell]]) -> Callable[[FileContext], Iterator[Smell]]:
    """A smell is reported once per line: the first found, or a write before a read (MLD813)."""

    @wraps(detect)
    def run(ctx: FileContext) -> Iterator[Smell]:
        best: dict[int, Smell] = {}
        for smell in detect(ctx):
            old = best.get(smell.span.line)
            if old is None or (smell.confidence == "high" and old.confidence == "low"):
                best[smell.span.line] = smell
        yield from sorted(best.values(), key=lambda s: (s.span.line, s.span.column))

    return run


def constant(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp):
        return constant(node.operand)
    return isinstance(node, ast.Constant)
