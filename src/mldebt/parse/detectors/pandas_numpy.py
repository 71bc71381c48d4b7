"""Detectors of pandas and NumPy misuse (Zhang et al., CAIN 2022): MLD811-MLD821 code smells.

Every detector here is type-aware: a smell fires on what `types.py` proves to be a DataFrame,
Series or array (whatever the variable is called), and on nothing it cannot prove. Shapes and
"may be zero" are not value kinds; the few facts those rules need (a 2-D array, a probability)
come from the expression a name was last bound to in the same scope (`_Bindings`).
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator

from mldebt.parse.detectors.context import FUNCTIONS, FileContext, ScopeBindings
from mldebt.parse.detectors.numpy_pure import NUMPY_PURE
from mldebt.parse.detectors.types import ARRAY, DATAFRAME, FRAMES, TENSOR
from mldebt.parse.facts import KeyUse, Smell

_NANS = frozenset({"numpy.nan", "numpy.NaN", "numpy.NAN", "math.nan", "pandas.NA"})
_INDEXERS = frozenset({"loc", "iloc", "at", "iat"})


# ---------------------------------------------------------------- shared helpers


_Bindings = ScopeBindings


class _Scopes:
    """`_Bindings` per scope, built on demand; a name a function never binds falls back to the
    module's binding when the module binds it exactly once."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self._cache: dict[int, _Bindings] = {}

    def of(self, scope: ast.AST) -> _Bindings:
        b = self._cache.get(id(scope))
        if b is None:
            b = self._cache[id(scope)] = _Bindings(self.ctx, scope)
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

    def _rebound_in_loop(self, name: ast.Name, scope: ast.AST, bindings: _Bindings) -> bool:
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


def _kw(call: ast.Call, name: str) -> ast.keyword | None:
    return next((k for k in call.keywords if k.arg == name), None)


def _has_kwargs(call: ast.Call) -> bool:
    return any(k.arg is None for k in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args)


def _is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _const_str(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _cell_starts(ctx: FileContext) -> tuple[int, ...]:
    """Where cells begin: a notebook's code cells, or the `# %%` / `# In[ ]:` markers of a
    script kept in cells (Jupytext, VS Code, nbconvert exports)."""
    if ctx.notebook:
        return ctx.cell_starts
    return tuple(line for line, col, text in ctx.comments if col == 1 and _CELL_MARK.match(text))


_CELL_MARK = re.compile(r"#\s*(%%|In\[[\d ]*\]:)")


def _displayed(ctx: FileContext, stmt: ast.stmt) -> bool:
    """A cell's last top-level expression is displayed by Jupyter, not discarded."""
    if ctx.parent(stmt) is not ctx.tree:
        return False
    starts = _cell_starts(ctx)
    if not starts:
        # nbconvert's script export (`# coding: utf-8` header) without its `# In[ ]:` prompts:
        # any top-level expression may have ended a cell
        return not ctx.notebook and "# coding: utf-8" in ctx.lines[:2]
    body = ctx.tree.body
    i = next((k for k, s in enumerate(body) if s is stmt), -1)
    if i < 0:
        return False
    end = stmt.end_lineno or stmt.lineno
    nxt = body[i + 1].lineno if i + 1 < len(body) else None
    if nxt is None:
        return True
    # another cell begins between this statement and the next one
    k = bisect_right(starts, end)
    return k < len(starts) and starts[k] <= nxt


def _tried(ctx: FileContext, stmt: ast.stmt) -> bool:
    """A call alone in a `try` body is there for the exception it may raise (`astype` as a test)."""
    parent = ctx.parent(stmt)
    return isinstance(parent, ast.Try) and any(s is stmt for s in parent.body) and bool(parent.handlers)


def _one_per_line(detect: Callable[[FileContext], Iterable[Smell]]) -> Callable[[FileContext], Iterator[Smell]]:
    """A smell is reported once per line: the first found, or a write before a read (MLD813)."""

    def run(ctx: FileContext) -> Iterator[Smell]:
        best: dict[int, Smell] = {}
        for smell in detect(ctx):
            old = best.get(smell.span.line)
            if old is None or (smell.confidence == "high" and old.confidence == "low"):
                best[smell.span.line] = smell
        yield from sorted(best.values(), key=lambda s: (s.span.line, s.span.column))

    run.__name__ = detect.__name__
    run.__doc__ = detect.__doc__
    return run


# ---------------------------------------------------------------- MLD811


def _is_nan(ctx: FileContext, node: ast.expr) -> bool:
    if isinstance(node, (ast.Attribute, ast.Name)):
        return ctx.qualify(node) in _NANS
    if isinstance(node, ast.Call) and ctx.qualify(node.func) == "float" and len(node.args) == 1:
        arg = node.args[0]
        return isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.strip().lower() == "nan"
    return False


def nan_equivalence(ctx: FileContext) -> Iterator[Smell]:
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


# ---------------------------------------------------------------- MLD812

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
        if self._row_label(node.slice, first=True) and isinstance(base, ast.Attribute) and base.attr in _INDEXERS:
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
    if isinstance(base, ast.Attribute) and base.attr in _INDEXERS and check._row_label(target.slice, first=True):
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


def unnecessary_iteration(ctx: FileContext) -> Iterator[Smell]:
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
    axis = _kw(call, "axis")
    return axis is not None and isinstance(axis.value, ast.Constant) and axis.value.value in (1, "columns")


# ---------------------------------------------------------------- MLD813


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
    elif isinstance(inner, ast.Attribute) and inner.attr in _INDEXERS and isinstance(inner.value, ast.Subscript):
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


def chain_indexing(ctx: FileContext) -> Iterator[Smell]:
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
            and (inplace := _kw(node, "inplace")) is not None
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


# ---------------------------------------------------------------- MLD814

_TEXT_READERS = frozenset({"pandas.read_csv", "pandas.read_table", "pandas.read_fwf", "pandas.read_excel"})
_CASTS = frozenset({"pandas.to_numeric", "pandas.to_datetime"})


_NOT_COLUMNS = frozenset({"values", "index", "columns", "T", "shape", "dtypes", "str", "dt", "cat"})


def _frame_name_of(node: ast.expr) -> str | None:
    """`df`, `df["a"]`, `df.a`, `df[["a", "b"]]`, `df.loc[:, "a"]` -> "df" (not `df.values[:, 0]`)."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        if isinstance(node, ast.Attribute) and node.attr in _NOT_COLUMNS:
            return None
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _text_type(node: ast.expr) -> bool:
    """`str` / "str" / "string": a cast to text is usually for processing (encoding, joining)."""
    return (isinstance(node, ast.Name) and node.id == "str") or _const_str(node) in ("str", "string", "object")


def columns_and_dtype_not_set(ctx: FileContext) -> Iterator[Smell]:
    """MLD814: a text file read without `dtype=` whose columns are cast right after the read."""
    if not ctx.imports_any("pandas"):
        return
    scopes = [ctx.tree, *ctx.functions]
    for scope in scopes:
        reads: dict[str, tuple[ast.Call, str]] = {}  # frame name -> its read with no dtype
        done: set[int] = set()
        for node in ctx.walk_scope(scope):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                name = node.targets[0].id
                value = node.value
                api = ctx.call_name(value) if isinstance(value, ast.Call) else None
                if isinstance(value, ast.Call) and api in _TEXT_READERS:
                    if (
                        _kw(value, "dtype") is None
                        and _kw(value, "converters") is None
                        and not _has_kwargs(value)
                        and not (api == "pandas.read_excel" and _kw(value, "sheet_name") is not None)
                    ):
                        reads[name] = (value, api)
                    else:
                        reads.pop(name, None)
                elif name in reads and not any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(value)):
                    reads.pop(name)  # rebound to something else
            if not isinstance(node, ast.Call) or not reads:
                continue
            cast: ast.expr | None = None
            how = ""
            if (
                isinstance(node.func, ast.Attribute)
                and node.func.attr == "astype"
                and not _has_kwargs(node)
                and not (node.args and _text_type(node.args[0]))
            ):
                cast, how = node.func.value, f".astype({', '.join(ctx.source(a) for a in node.args)})"
            else:
                api = ctx.call_name(node)
                if api in _CASTS and node.args:
                    cast, how = node.args[0], f"`{api.replace('pandas.', 'pd.')}`"
                    if api == "pandas.to_datetime":
                        how = "`pd.to_datetime`"
            if cast is None:
                continue
            frame = _frame_name_of(cast)
            if frame is None or frame not in reads or not isinstance(cast, (ast.Name, ast.Subscript, ast.Attribute)):
                continue
            read, api = reads[frame]
            if id(read) in done:
                continue
            if api != "pandas.read_excel" and how == "`pd.to_datetime`" and _kw(read, "parse_dates") is not None:
                continue
            done.add(id(read))
            what = how if how.startswith("`") else f"`{how}`"
            yield ctx.smell(
                "MLD814",
                read,
                f"`{ctx.source(read)}` sets no `dtype=`, and `{ctx.source(cast)}` is then cast with {what} "
                f"({ctx.line_ref(node, read)}): the column types are fixed after the read instead of at it",
                key=f"{frame}:{ctx.source(read)}",
                related=((node, f"`{ctx.source(cast)}` cast after the read"),),
            )


# ---------------------------------------------------------------- MLD815


def _placeholder(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and not isinstance(node.value, bool):
        if node.value == "" and isinstance(node.value, str):
            return '""'
        if isinstance(node.value, (int, float)) and node.value == 0:
            return repr(node.value)
    return None


def _constant(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp):
        return _constant(node.operand)
    return isinstance(node, ast.Constant)


def _column_of_row_write(ctx: FileContext, target: ast.expr) -> tuple[str, str] | None:
    """(frame source, column) of `df.loc[i, "c"]`, `df.at[i, "c"]`, `df["c"][i]`, `df["c"].loc[i]`."""
    if not isinstance(target, ast.Subscript):
        return None
    base = target.value
    if isinstance(base, ast.Attribute) and base.attr in ("loc", "at"):
        index = target.slice
        if isinstance(index, ast.Tuple) and len(index.elts) == 2:
            col = _const_str(index.elts[1])
            if col is not None:
                return ctx.source(base.value), col
        if isinstance(base.value, ast.Subscript):
            col = _const_str(base.value.slice)
            if col is not None:
                return ctx.source(base.value.value), col
        return None
    if isinstance(base, ast.Attribute) and base.attr in ("iloc", "iat") and isinstance(base.value, ast.Subscript):
        col = _const_str(base.value.slice)
        if col is not None:
            return ctx.source(base.value.value), col
    if isinstance(base, ast.Subscript):
        col = _const_str(base.slice)
        if col is not None:
            return ctx.source(base.value), col
    return None


def empty_column_misinitialization(ctx: FileContext) -> Iterator[Smell]:
    """MLD815: a new column created with 0 or "" as a placeholder, then filled in part by part."""
    if not ctx.imports_any("pandas"):
        return
    for scope in [ctx.tree, *ctx.functions]:
        seen: set[tuple[str, str]] = set()  # (frame, column) used before
        created: dict[tuple[str, str], tuple[ast.Assign, str]] = {}
        reported: set[tuple[str, str]] = set()
        for node in ctx.walk_scope(scope):
            if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
                col = _const_str(node.slice)
                if col is not None:
                    seen.add((ctx.source(node.value), col))
            if not isinstance(node, ast.Assign) or len(node.targets) != 1:
                continue
            target = node.targets[0]
            if isinstance(target, ast.Subscript) and (col := _const_str(target.slice)) is not None:
                key = (ctx.source(target.value), col)
                const = _placeholder(node.value)
                if const is not None and key not in seen and ctx.types.kind_of(target.value) == DATAFRAME:
                    created[key] = (node, const)
                else:
                    created.pop(key, None)
                seen.add(key)
                continue
            written = _column_of_row_write(ctx, target)
            if written is None or written not in created or written in reported or _constant(node.value):
                continue
            init, const = created[written]
            reported.add(written)
            frame, col = written
            yield ctx.smell(
                "MLD815",
                init,
                f"`{ctx.source(init)}` creates column {col!r} of DataFrame `{frame}` filled with {const} as a "
                f"placeholder, and `{ctx.source(target)}` fills it in part by part ({ctx.line_ref(target, init)}): rows "
                f"never filled keep {const}, indistinguishable from a real value",
                key=f"{frame}:{col}",
                related=((target, "the column filled in"),),
            )


# ---------------------------------------------------------------- MLD816

_KEYS = ("on", "left_on", "right_on", "left_index", "right_index")


def merge_parameters_not_set(ctx: FileContext) -> Iterator[Smell]:
    """MLD816: `merge` without explicit join keys (and, as options ask, `how` and `validate`)."""
    if not ctx.imports_any("pandas"):
        return
    for node in ctx.walk():
        if not isinstance(node, ast.Call) or _has_kwargs(node):
            continue
        name = ctx.call_name(node)
        positional: tuple[str, ...]
        if name == "pandas.merge":
            positional = ("left", "right", "how", "on", "left_on", "right_on", "left_index", "right_index")
            if len(node.args) < 2:
                continue
        elif (
            isinstance(node.func, ast.Attribute)
            and node.func.attr == "merge"
            and ctx.types.kind_of(node.func.value) == DATAFRAME
        ):
            positional = ("right", "how", "on", "left_on", "right_on", "left_index", "right_index")
            if not node.args and _kw(node, "right") is None:
                continue
        else:
            continue
        given = {positional[i] for i in range(min(len(node.args), len(positional)))}
        given |= {k.arg for k in node.keywords if k.arg}
        how = _kw(node, "how")
        at = positional.index("how")
        how_value = how.value if how is not None else node.args[at] if len(node.args) > at else None
        if how_value is not None and _const_str(how_value) == "cross":
            continue  # a cartesian product has no keys
        missing = [p for p in ("how", "validate") if p not in given]
        if not given & set(_KEYS):
            missing.insert(0, "keys")
        if not missing:
            continue
        call = ctx.source(node)
        if "keys" in missing:
            message = (
                f"`{call}` sets no join keys (`on`, `left_on`/`right_on`): it joins on every column the two "
                "frames happen to share"
            )
        else:
            message = f"`{call}` sets no `{'` or `'.join(missing)}`: " + (
                "the join's kind is implicit (inner) and its cardinality unchecked"
                if len(missing) == 2
                else "the join's kind is implicit (inner)"
                if missing == ["how"]
                else "nothing checks the join's cardinality (one-to-one, many-to-one)"
            )
        yield ctx.smell(
            "MLD816",
            node,
            message,
            key=call,
            data=(("missing", ",".join(missing)),),
        )


# ---------------------------------------------------------------- MLD817

_PANDAS_PURE = frozenset(
    [
        "dropna",
        "fillna",
        "drop",
        "drop_duplicates",
        "sort_values",
        "sort_index",
        "rename",
        "rename_axis",
        "reset_index",
        "set_index",
        "replace",
        "astype",
        "reindex",
        "assign",
        "clip",
        "round",
        "where",
        "mask",
        "interpolate",
        "ffill",
        "bfill",
        "query",
        "eval",
        "droplevel",
        "set_axis",
        "infer_objects",
        "convert_dtypes",
        "tz_localize",
        "tz_convert",
        "add_prefix",
        "add_suffix",
        "abs",
        "truncate",
        "merge",
        "join",
        "transpose",
    ]
)
_NUMPY_PURE = NUMPY_PURE  # generated from NumPy itself: tools/gen_numpy_pure.py
_ARRAY_PURE = frozenset({"astype", "reshape", "flatten", "ravel", "copy", "transpose", "squeeze", "clip", "round"})
_UFUNC_OUT = frozenset({"clip", "round", "around", "maximum", "minimum", "floor", "ceil", "rint", "exp", "log"})


def inplace_api_misused(ctx: FileContext) -> Iterator[Smell]:
    """MLD817: a pandas/NumPy call that returns a new object, used as a statement: the result is lost."""
    if not ctx.imports_any("pandas", "numpy"):
        return
    for stmt in ctx.walk():
        if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
            continue
        call = stmt.value
        func = call.func
        what = ""
        name = ctx.call_name(call)
        if name is not None and name.startswith("numpy.") and name[6:] in _NUMPY_PURE:
            short = name[6:]
            if _kw(call, "out") is not None or (short == "nan_to_num" and _kw(call, "copy") is not None):
                continue
            what = f"`np.{short}` returns a new array"
        elif isinstance(func, ast.Attribute):
            kind = ctx.types.kind_of(func.value)
            if kind in FRAMES and func.attr in _PANDAS_PURE:
                inplace = _kw(call, "inplace")
                if inplace is not None and not (
                    isinstance(inplace.value, ast.Constant) and inplace.value.value is False
                ):
                    continue
                what = f"`.{func.attr}()` returns a new {'DataFrame' if kind == DATAFRAME else 'Series'}"
            elif kind == ARRAY and func.attr in _ARRAY_PURE:
                if func.attr in ("clip", "round") and _kw(call, "out") is not None:
                    continue
                what = f"`.{func.attr}()` returns a new array"
        if not what or _displayed(ctx, stmt) or _tried(ctx, stmt):
            continue
        yield ctx.smell(
            "MLD817",
            call,
            f"the result of `{ctx.source(call)}` is discarded: {what} and leaves its input unchanged",
            key=ctx.source(call),
        )


# ---------------------------------------------------------------- MLD818


def dataframe_conversion_api_misused(ctx: FileContext) -> Iterator[Smell]:
    """MLD818: `.values` (or the removed `.as_matrix()`) on what is provably a DataFrame or Series."""
    if not ctx.imports_any("pandas"):
        return
    for node in ctx.walk():
        if isinstance(node, ast.Attribute) and node.attr == "values" and isinstance(node.ctx, ast.Load):
            parent = ctx.parent(node)
            if isinstance(parent, ast.Call) and parent.func is node:
                continue
            kind = ctx.types.kind_of(node.value)
            if kind not in FRAMES:
                continue
            yield ctx.smell(
                "MLD818",
                node,
                f"`{ctx.source(node)}` converts {'DataFrame' if kind == DATAFRAME else 'Series'} "
                f"`{ctx.source(node.value)}` with `.values`, whose result is an ndarray or an extension "
                "array depending on the dtypes",
                key=ctx.source(node),
            )
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "as_matrix"
            and ctx.types.kind_of(node.func.value) in FRAMES
        ):
            yield ctx.smell(
                "MLD818",
                node,
                f"`{ctx.source(node)}` calls `.as_matrix()`, removed in pandas 1.0",
                key=ctx.source(node),
            )


# ---------------------------------------------------------------- MLD819

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
        self.scopes = _Scopes(ctx)

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
            shape = args[0] if args else (_kw(node, "shape").value if _kw(node, "shape") else None)  # type: ignore[union-attr]
            return node if _pair(shape) else None
        if name in _DIMS_ARGS:
            return node if len(args) == 2 and not node.keywords else None
        if name in _SIZED:
            size = _kw(node, "size")
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


def matrix_multiplication_api_misused(ctx: FileContext) -> Iterator[Smell]:
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


# ---------------------------------------------------------------- MLD820

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
        if name == "numpy.repeat" and _kw(call, "axis") is None:
            return None  # flattens: not a tiling along an axis
        return call.args[0]
    if isinstance(call.func, ast.Attribute) and call.func.attr in ("tile", "repeat") and name not in _TILES:
        receiver = call.func.value
        kind = ctx.types.kind_of(receiver)
        if call.func.attr == "repeat" and kind not in (TENSOR, None) and not (kind == ARRAY and _kw(call, "axis")):
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
    if parent is None or other is None or _constant(other):
        return None
    return parent, other


def broadcasting_feature_not_used(ctx: FileContext) -> Iterator[Smell]:
    """MLD820: a tensor tiled along an axis it just gained, only to meet another in arithmetic."""
    if not ctx.imports_any("numpy", "tensorflow", "torch"):
        return
    scopes = _Scopes(ctx)
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
    ctx: FileContext, scopes: _Scopes, name: str, assign: ast.Assign
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


# ---------------------------------------------------------------- MLD821

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


def _probability(ctx: FileContext, scopes: _Scopes, node: ast.expr, depth: int = 0) -> ast.expr | None:
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
            and (n.func.attr.endswith("_") or _kw(n, "out") is not None)
        ):
            return True
        out = _kw(n, "out")
        if out is not None and isinstance(out.value, ast.Name) and out.value.id == name.id:
            return True
    return False


def missing_mask_of_invalid_value(ctx: FileContext) -> Iterator[Smell]:
    """MLD821: the log of a probability (softmax, sigmoid, predict_proba) with no clip or epsilon."""
    if not ctx.imports_any("numpy", "tensorflow", "torch"):
        return
    scopes = _Scopes(ctx)
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


DETECTORS: tuple[Callable[[FileContext], Iterable[Smell | KeyUse]], ...] = (
    nan_equivalence,
    *(
        _one_per_line(d)
        for d in (
            unnecessary_iteration,
            chain_indexing,
            columns_and_dtype_not_set,
            empty_column_misinitialization,
            merge_parameters_not_set,
            inplace_api_misused,
            dataframe_conversion_api_misused,
            matrix_multiplication_api_misused,
            broadcasting_feature_not_used,
            missing_mask_of_invalid_value,
        )
    ),
)


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
