"""MLD812 unnecessary-iteration: a DataFrame walked row by row where a column expression does it."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mldebt.parse.detectors.context import FUNCTIONS, FileContext, ScopeBindings
from mldebt.parse.detectors.pandas_numpy import INDEXERS, kw, one_per_line
from mldebt.parse.detectors.types import DATAFRAME
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class UnnecessaryIteration(FileRule):
    id = "MLD812"
    name = "unnecessary-iteration"


# detection ------------------------------------------------------------------------------


_STR_METHODS = frozenset(
    [
        "lower",
        "upper",
        "strip",
        "lstrip",
        "rstrip",
        "startswith",
        "endswith",
        "replace",
        "title",
        "capitalize",
        "zfill",
        "split",
        "len",
        "contains",
        "find",
        "isdigit",
        "isalpha",
        "isnumeric",
    ]
)
_SCALAR_BUILTINS = frozenset({"abs", "round", "min", "max", "float", "int", "str", "bool", "len", "pow"})
_SIMPLE_STMTS = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.If, ast.Pass, ast.Continue)


class _RowExpr:
    """Is an expression a per-row computation a column expression could do at once?"""

    def __init__(self, ctx: FileContext, rows: set[str], index: set[str], frame: str, local: dict[str, ast.expr]):
        self.ctx = ctx
        self.rows = rows  # names holding the current row (iterrows' Series, itertuples' tuple, apply's row)
        self.index = index  # names holding the current row's label or position
        self.frame = frame  # source of the iterated frame
        self.local = local  # names assigned inside the loop body -> their value
        self.uses_row = False

    def ok(self, node: ast.expr, depth: int = 0) -> bool:
        if depth > 30:
            return False
        ctx = self.ctx
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.Name):
            if node.id in self.rows or node.id in self.index:
                return False  # the whole row, or the label itself, used as a value
            if node.id in self.local:
                value = self.local.pop(node.id)  # no cycles through self-referencing locals
                try:
                    return self.ok(value, depth + 1)
                finally:
                    self.local[node.id] = value
            return True  # loop-invariant: a constant, a parameter, a column computed before
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in self.rows:
                if node.attr == "Index":
                    return False
                self.uses_row = True
                return True
            if isinstance(node.value, ast.Name) and node.value.id not in self.local:
                return ctx.qualify(node) is not None and node.value.id not in self.index  # np.pi, CONFIG.rate
            return False
        if isinstance(node, ast.Subscript):
            return self._row_field(node)
        if isinstance(node, ast.BinOp):
            return self.ok(node.left, depth + 1) and self.ok(node.right, depth + 1)
        if isinstance(node, ast.UnaryOp):
            return self.ok(node.operand, depth + 1)
        if isinstance(node, ast.BoolOp):
            return all(self.ok(v, depth + 1) for v in node.values)
        if isinstance(node, ast.Compare):
            return all(self.ok(v, depth + 1) for v in [node.left, *node.comparators])
        if isinstance(node, ast.IfExp):
            return all(self.ok(v, depth + 1) for v in (node.test, node.body, node.orelse))
        if isinstance(node, ast.Call):
            if node.keywords and any(k.arg is None for k in node.keywords):
                return False
            args = [*node.args, *(k.value for k in node.keywords)]
            name = ctx.qualify(node.func)
            if name is not None and (
                name.startswith(("numpy.", "math."))
                or (name in _SCALAR_BUILTINS and name not in ctx.aliases and "." not in name)
            ):
                return all(self.ok(a, depth + 1) for a in args)
            if isinstance(node.func, ast.Attribute) and node.func.attr in _STR_METHODS:
                return self.ok(node.func.value, depth + 1) and all(self.ok(a, depth + 1) for a in args)
            return False
        return False

    def _row_field(self, node: ast.Subscript) -> bool:
        """`row["a"]`, `row.a`, `df.loc[i, "a"]`, `df.at[i, "a"]`, `df["a"][i]`, `df["a"].iloc[i]`."""
        base = node.value
        if isinstance(base, ast.Name) and base.id in self.rows:
            self.uses_row = True
            return _static_key(node.slice)
        if self._row_label(node.slice, first=True) and isinstance(base, ast.Attribute) and base.attr in INDEXERS:
            inner = base.value
            if self.ctx.source(inner) == self.frame:
                self.uses_row = True
                return True
            if isinstance(inner, ast.Subscript) and self.ctx.source(inner.value) == self.frame:
                self.uses_row = True
                return _static_key(inner.slice)
        if (
            isinstance(base, ast.Subscript)
            and self.ctx.source(base.value) == self.frame
            and self._row_label(node.slice)
        ):
            self.uses_row = True
            return _static_key(base.slice)
        return False

    def _row_label(self, index: ast.expr, first: bool = False) -> bool:
        if first and isinstance(index, ast.Tuple) and index.elts:
            return self._row_label(index.elts[0]) and all(_static_key(e) for e in index.elts[1:])
        if isinstance(index, ast.Name):
            return index.id in self.index
        return (
            isinstance(index, ast.Attribute)
            and index.attr == "Index"
            and isinstance(index.value, ast.Name)
            and index.value.id in self.rows
        )


def _static_key(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_static_key(e) for e in node.elts)
    return isinstance(node, ast.Name)  # a column name held in a variable


def _row_loop(ctx: FileContext, loop: ast.For | ast.AsyncFor) -> tuple[ast.expr, set[str], set[str], str] | None:
    """The frame a loop walks row by row, its row names, its label names, and how it walks."""
    it, target = loop.iter, loop.target
    if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute):
        walked = it.func.value
        method = it.func.attr
        if method in ("iterrows", "itertuples") and ctx.types.kind_of(walked) == DATAFRAME:
            if method == "iterrows" and isinstance(target, ast.Tuple) and len(target.elts) == 2:
                i, row = target.elts
                if isinstance(i, ast.Name) and isinstance(row, ast.Name):
                    return walked, {row.id}, {i.id}, f"{ctx.source(walked)}.iterrows()"
            if method == "itertuples" and isinstance(target, ast.Name):
                return walked, {target.id}, set(), f"{ctx.source(walked)}.itertuples()"
            return None
    if not isinstance(target, ast.Name):
        return None
    if isinstance(it, ast.Attribute) and it.attr == "index" and ctx.types.kind_of(it.value) == DATAFRAME:
        return it.value, set(), {target.id}, f"{ctx.source(it)}"
    if isinstance(it, ast.Call) and ctx.qualify(it.func) == "range" and it.args and not it.keywords:
        stop = it.args[0] if len(it.args) == 1 else it.args[1]
        if len(it.args) == 3 or (
            len(it.args) == 2 and not (isinstance(it.args[0], ast.Constant) and it.args[0].value == 0)
        ):
            return None
        frame = _length_of(ctx, stop)
        if frame is not None and ctx.types.kind_of(frame) == DATAFRAME:
            return frame, set(), {target.id}, f"range({ctx.source(stop)})"
    return None


def _frame_write(ctx: FileContext, target: ast.expr, check: _RowExpr) -> bool:
    """`df.loc[i, "c"] = ...`, `df.at[i, "c"]`, `df["c"][i]`, `df["c"].iloc[i]` for this row."""
    if not isinstance(target, ast.Subscript):
        return False
    base = target.value
    if isinstance(base, ast.Attribute) and base.attr in INDEXERS and check._row_label(target.slice, first=True):
        inner = base.value
        if isinstance(inner, ast.Subscript):
            inner = inner.value
        return ctx.source(inner) == check.frame or ctx.types.kind_of(inner) == DATAFRAME
    if isinstance(base, ast.Subscript) and check._row_label(target.slice):
        return ctx.source(base.value) == check.frame or ctx.types.kind_of(base.value) == DATAFRAME
    return False


def _vectorizable_body(ctx: FileContext, body: list[ast.stmt], check: _RowExpr, writes: list[ast.expr] | None) -> bool:
    """Every statement is an assignment or a branch on row values; writes collect frame writes."""
    for stmt in body:
        if not isinstance(stmt, _SIMPLE_STMTS):
            if isinstance(stmt, ast.Return) and writes is None and stmt.value is not None:
                if not check.ok(stmt.value):
                    return False
                continue
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # a docstring
            return False
        if isinstance(stmt, ast.If):
            if not check.ok(stmt.test):
                return False
            if not _vectorizable_body(ctx, stmt.body, check, writes):
                return False
            if not _vectorizable_body(ctx, stmt.orelse, check, writes):
                return False
        elif isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            if stmt.value is None or not check.ok(stmt.value):
                return False
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                if writes is not None and _frame_write(ctx, t, check):
                    writes.append(t)
                elif isinstance(t, ast.Name):
                    if isinstance(stmt, ast.AugAssign) and writes is not None and t.id not in check.local:
                        return False  # an accumulator across rows: a reduction, not a column
                else:
                    return False  # a write to something else (a list, an attribute, a dict)
    return True


def _locals(body: list[ast.stmt]) -> dict[str, ast.expr]:
    out: dict[str, ast.expr] = {}
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = node.value
    return out


def _apply_function(ctx: FileContext, func: ast.expr) -> tuple[str, list[ast.stmt]] | None:
    """The row parameter and body of `lambda row: ...` or a one-parameter function of this file."""
    if isinstance(func, ast.Lambda):
        a = func.args
        if len(a.args) == 1 and not (a.posonlyargs or a.kwonlyargs or a.vararg or a.kwarg):
            return a.args[0].arg, [ast.Return(value=func.body)]
        return None
    if isinstance(func, ast.Name):
        fns = [f for f in ctx.tree.body if isinstance(f, ast.FunctionDef) and f.name == func.id]
        if len(fns) == 1 and not fns[0].decorator_list:
            a = fns[0].args
            if len(a.args) == 1 and not (a.posonlyargs or a.kwonlyargs or a.vararg or a.kwarg or a.defaults):
                return a.args[0].arg, fns[0].body
    return None


@one_per_line
def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD812: a DataFrame walked row by row to compute what one column expression computes."""
    if not ctx.imports_any("pandas", "tensorflow"):
        return
    bindings: dict[int, ScopeBindings] = {}
    for node in ctx.walk():
        if isinstance(node, (ast.For, ast.AsyncFor)):
            lost = _lost_row_write(ctx, node)
            if lost is not None:
                yield lost
            summed = _eager_tensor_sum(ctx, node, bindings)
            if summed is not None:
                yield summed
        if isinstance(node, (ast.For, ast.AsyncFor)) and not node.orelse:
            found = _row_loop(ctx, node)
            if found is None:
                continue
            frame, rows, index, how = found
            check = _RowExpr(ctx, rows, index, ctx.source(frame), _locals(node.body))
            writes: list[ast.expr] = []
            if _vectorizable_body(ctx, node.body, check, writes) and writes and check.uses_row:
                first = writes[0]
                yield ctx.smell(
                    "MLD812",
                    node.iter,
                    f"`for ... in {how}` sets `{ctx.source(first)}` row by row from values of the same row "
                    f"({ctx.line_ref(first, node.iter)}): one column expression computes it for every row at once",
                    key=f"loop:{how}:{ctx.source(first)}",
                    related=((first, "the per-row write"),),
                )
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "apply"
            and node.args
            and _axis_columns(node)
            and ctx.types.kind_of(node.func.value) == DATAFRAME
        ):
            fn = _apply_function(ctx, node.args[0])
            if fn is None:
                continue
            row, body = fn
            check = _RowExpr(ctx, {row}, set(), ctx.source(node.func.value), _locals(body))
            if _vectorizable_body(ctx, body, check, None) and check.uses_row:
                yield ctx.smell(
                    "MLD812",
                    node,
                    f"`{ctx.source(node)}` calls `{ctx.source(node.args[0])}` once per row on row values "
                    "that one column expression computes for every row at once",
                    key=f"apply:{ctx.source(node)}",
                )


_TF_TENSORS = frozenset(
    {
        "tensorflow.constant",
        "tensorflow.convert_to_tensor",
        "tensorflow.zeros",
        "tensorflow.ones",
        "tensorflow.range",
        "tensorflow.fill",
        "tensorflow.random.uniform",
        "tensorflow.random.normal",
    }
)


def _eager_tensor_sum(ctx: FileContext, loop: ast.For | ast.AsyncFor, cache: dict[int, ScopeBindings]) -> Smell | None:
    """MLD812: `for i in range(len(t)): total += t[i]` over an eager TensorFlow tensor: one op per
    element where `tf.reduce_sum(t)` is one. Only a loop whose whole body is that accumulation,
    outside `@tf.function` (there AutoGraph turns it into a graph loop)."""
    it, target = loop.iter, loop.target
    if not (
        isinstance(target, ast.Name)
        and isinstance(it, ast.Call)
        and ctx.qualify(it.func) == "range"
        and len(it.args) == 1
        and len(loop.body) == 1
        and not loop.orelse
    ):
        return None
    stop = it.args[0]
    tensor = _length_of(ctx, stop)
    if not isinstance(tensor, ast.Name):
        return None
    stmt = loop.body[0]
    acc: str | None = None
    value: ast.expr | None = None
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.Add) and isinstance(stmt.target, ast.Name):
        acc, value = stmt.target.id, stmt.value
    elif (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
        and isinstance(stmt.value, ast.BinOp)
        and isinstance(stmt.value.op, ast.Add)
        and isinstance(stmt.value.left, ast.Name)
        and stmt.value.left.id == stmt.targets[0].id
    ):
        acc, value = stmt.targets[0].id, stmt.value.right
    if not (
        acc is not None
        and isinstance(value, ast.Subscript)
        and isinstance(value.value, ast.Name)
        and value.value.id == tensor.id
        and isinstance(value.slice, ast.Name)
        and value.slice.id == target.id
    ):
        return None
    scope = ctx.scope_of(loop)
    if isinstance(scope, FUNCTIONS) and any(
        (ctx.qualify(d.func if isinstance(d, ast.Call) else d) or "").endswith("tensorflow.function")
        for d in scope.decorator_list
    ):
        return None
    if id(scope) not in cache:
        cache[id(scope)] = ScopeBindings(ctx, scope)
    made = cache[id(scope)].value(tensor.id, (loop.lineno, loop.col_offset))
    if not (isinstance(made, ast.Call) and ctx.qualify(made.func) in _TF_TENSORS):
        return None
    return ctx.smell(
        "MLD812",
        loop.iter,
        f"`{acc}` sums the eager tensor `{tensor.id}` element by element, one TensorFlow op per "
        f"element: `tf.reduce_sum({tensor.id}, axis=0)` computes it in one",
        key=f"tf-sum:{tensor.id}:{acc}",
        related=((made, "the tensor is made here"),),
    )


def _lost_row_write(ctx: FileContext, loop: ast.For | ast.AsyncFor) -> Smell | None:
    """MLD812: `for i, row in df.iterrows(): row["a"] = ...`: `row` is a copy, the write is lost.

    Silent when the row itself is used afterwards (`df.loc[i] = row`, `rows.append(row)`): then the
    copy is the point."""
    it, target = loop.iter, loop.target
    if not (
        isinstance(it, ast.Call)
        and isinstance(it.func, ast.Attribute)
        and it.func.attr == "iterrows"
        and ctx.types.kind_of(it.func.value) == DATAFRAME
        and isinstance(target, ast.Tuple)
        and len(target.elts) == 2
        and isinstance(target.elts[1], ast.Name)
    ):
        return None
    row = target.elts[1].id
    writes: list[ast.expr] = []
    bases: set[int] = set()
    for node in ast.walk(ast.Module(body=loop.body, type_ignores=[])):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for t in targets:
            if isinstance(t, ast.Name) and t.id == row:
                return None  # the name is rebound: later writes go elsewhere
            if isinstance(t, (ast.Subscript, ast.Attribute)) and isinstance(t.value, ast.Name) and t.value.id == row:
                writes.append(t)
        if isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.value, ast.Name):
            bases.add(id(node.value))
    if not writes:
        return None
    for node in ast.walk(ast.Module(body=loop.body, type_ignores=[])):
        if isinstance(node, ast.Name) and node.id == row and id(node) not in bases:
            return None  # the row itself is passed on or stored: the copy is used
    first = writes[0]
    frame = ctx.source(it.func.value)
    return ctx.smell(
        "MLD812",
        first,
        f"`{ctx.source(first)}` writes to the row that `{frame}.iterrows()` yields, a copy: "
        f"`{frame}` does not change and the write is lost",
        key=f"lost-write:{frame}:{ctx.source(first)}",
        related=((it, "the rows are copies made here"),),
        confidence="high",
    )


def _axis_columns(call: ast.Call) -> bool:
    axis = kw(call, "axis")
    return axis is not None and isinstance(axis.value, ast.Constant) and axis.value.value in (1, "columns")


def _length_of(ctx: FileContext, stop: ast.expr) -> ast.expr | None:
    """The value whose row count `stop` is: `len(x)` or `x.shape[0]`."""
    if isinstance(stop, ast.Call) and ctx.qualify(stop.func) == "len" and len(stop.args) == 1:
        return stop.args[0]
    if (
        isinstance(stop, ast.Subscript)
        and isinstance(stop.value, ast.Attribute)
        and stop.value.attr == "shape"
        and isinstance(stop.slice, ast.Constant)
        and stop.slice.value == 0
    ):
        return stop.value.value
    return None
