"""MLD203 underutilized-data-dependency: data loaded and never used, columns engineered and never
read (found by `detect` below). A module-level load in a module that other project
files import may be what they import: those are dropped here, where the import graph is known."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from mldebt.parse.apis import PANDAS_FILE_READERS
from mldebt.parse.apis import short_api as _api
from mldebt.parse.detectors.context import FUNCTIONS, FileContext, is_test_path
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, Hit

if TYPE_CHECKING:
    from mldebt.graph.build import Built


class UnderutilizedDataDependency(FileRule):
    id = "MLD203"
    name = "underutilized-data-dependency"

    def check(self, built: Built) -> Iterator[Hit]:
        from mldebt.graph.build import module_id

        imported = {
            path
            for path in built.project.files
            if module_id(path) in built.graph and built.graph.in_edges(module_id(path), ["imports"])
        }
        module_level = {
            (path, s.span.line)
            for path, facts in built.project.files.items()
            if path in imported
            for s in facts.smells
            if s.rule == self.id and dict(s.data).get("scope") == "module"
        }
        for hit in super().check(built):
            if (hit.site.path, hit.site.line) not in module_level:
                yield hit


# ---------------------------------------------------------------- detection (parse phase)

_FRAME_READERS = frozenset(
    [f"pandas.{n}" for n in PANDAS_FILE_READERS]
    + [f"polars.{n}" for n in ("read_csv", "read_parquet", "read_json", "read_ipc", "read_excel", "read_database")]
    + ["pandas.read_sql", "pandas.read_sql_query", "pandas.read_sql_table", "pandas.read_gbq"]
    + [f"dask.dataframe.{n}" for n in ("read_csv", "read_parquet", "read_json")]
)
_DYNAMIC = frozenset({"locals", "vars", "eval", "exec", "globals"})


def underutilized_data_dependency(ctx: FileContext) -> Iterator[Smell]:
    """MLD203: data loaded and never used; columns engineered and never read."""
    if is_test_path(ctx.rel) or not ctx.imports_any("pandas", "polars", "dask"):
        return
    scopes: list[ast.Module | ast.FunctionDef | ast.AsyncFunctionDef] = [ctx.tree, *ctx.functions]
    # how often each string literal occurs in the file: a column named elsewhere may be read there
    literals: dict[str, int] = {}
    for n in ctx.walk():
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            literals[n.value] = literals.get(n.value, 0) + 1
    for scope in scopes:
        if any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in _DYNAMIC
            for n in ctx.walk_scope(scope)
        ):
            continue
        yield from _dead_loads(ctx, scope)
        yield from _unused_columns(ctx, scope, literals)


def _loads(ctx: FileContext, scope: ast.AST) -> dict[str, int]:
    """How many times each name is read, in the scope and anything nested in it (closures)."""
    out: dict[str, int] = {}
    root: ast.AST = ctx.tree if isinstance(scope, ast.Module) else scope
    for n in ast.walk(root):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, (ast.Store, ast.Del)):
            out[n.id] = out.get(n.id, 0) + 1
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            for g in n.names:
                out[g] = out.get(g, 0) + 1
    return out


_CONSUMERS = frozenset(
    {"fit", "fit_transform", "partial_fit", "fit_predict", "predict", "predict_proba", "train", "fit_generator"}
    | {"to_csv", "to_parquet", "to_pickle", "to_json", "to_sql", "to_feather", "to_excel", "to_hdf"}
)
_CONSUMER_CALLS = frozenset({"torch.save", "joblib.dump", "pickle.dump", "numpy.save", "numpy.savez"})


def _dead_loads(ctx: FileContext, scope: ast.AST) -> Iterator[Smell]:
    """Loads never used, in a scope that uses its other loads and goes on to an end (a model
    fit or prediction, a write, a return): a finished flow, not a snippet or a stub."""
    reads: list[tuple[str, ast.Assign | ast.AnnAssign, str]] = []
    consumer = False
    for node in ctx.walk_scope(scope):
        if isinstance(node, ast.Return) and node.value is not None:
            consumer = True
        elif isinstance(node, ast.Call):
            method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            consumer = consumer or method in _CONSUMERS or ctx.call_name(node) in _CONSUMER_CALLS
        if not isinstance(node, (ast.Assign, ast.AnnAssign)) or not isinstance(node.value, ast.Call):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if len(targets) != 1 or not isinstance(targets[0], ast.Name):
            continue
        name = ctx.call_name(node.value) or ""
        if name not in _FRAME_READERS or targets[0].id.startswith("_"):
            continue
        if isinstance(scope, ast.Module) and ctx.notebook is False and _exported(ctx, targets[0].id):
            continue
        reads.append((targets[0].id, node, name))
    if len(reads) < 2 or not consumer:
        return
    loads = _loads(ctx, scope)
    used = [var for var, _, _ in reads if loads.get(var, 0)]
    if not used:
        return
    where = "module" if isinstance(scope, ast.Module) else "function"
    for var, node, name in reads:
        if loads.get(var, 0) or not isinstance(node.value, ast.Call):
            continue
        yield ctx.smell(
            "MLD203",
            node,
            f"`{var}` is loaded by `{_api(name)}({ctx.source(node.value.args[0]) if node.value.args else ''})` "
            f"and never used afterwards, while `{used[0]}` read beside it is: a data dependency the code pays "
            "for and does not need",
            key=f"dead|{var}",
            confidence="high" if where == "function" or ctx.notebook else "medium",
            data=(("kind", "dead-load"), ("scope", "notebook" if ctx.notebook else where)),
        )


def _exported(ctx: FileContext, name: str) -> bool:
    """A module-level name listed in `__all__` is meant for importers."""
    return name in _all_names(ctx)


def _all_names(ctx: FileContext) -> frozenset[object]:
    """The constants of the file's first `__all__` assignment, found once per file."""
    found = _ALL_NAMES.get(id(ctx.tree))
    if found is not None and found[0] is ctx.tree:
        return found[1]
    names: frozenset[object] = frozenset()
    for node in ctx.tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            if isinstance(node.value, (ast.List, ast.Tuple)):
                names = frozenset(e.value for e in node.value.elts if isinstance(e, ast.Constant))
            break
    _ALL_NAMES.clear()  # one file at a time
    _ALL_NAMES[id(ctx.tree)] = (ctx.tree, names)
    return names


_ALL_NAMES: dict[int, tuple[ast.Module, frozenset[object]]] = {}


_FIT = frozenset({"fit", "fit_transform", "partial_fit", "fit_predict"})


def _unused_columns(ctx: FileContext, scope: ast.AST, literals: dict[str, int]) -> Iterator[Smell]:
    """Columns assigned to a frame that is only ever indexed by literal column names, never
    written, passed on or returned, while a model is fit on an explicit column list without them."""
    frames: dict[str, ast.AST] = {}  # frame var -> its single binding
    for node in ctx.walk_scope(scope):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            var = node.targets[0].id
            if var in frames:
                frames[var] = ast.Pass()  # bound twice: give up on it
            elif isinstance(node.value, ast.Call) and ctx.types.kind_of(node.value) == "dataframe":
                frames[var] = node
    candidates = [v for v, b in frames.items() if not isinstance(b, ast.Pass)]
    if not candidates:
        return
    # once per scope, not once per frame (that was quadratic on long scripts): the names
    # closures use, each name's occurrences in walk order, and the fit calls
    in_closures = {n.id for f in _nested(ctx, scope) for n in ast.walk(f) if isinstance(n, ast.Name)}
    occurrences: dict[str, list[ast.Name]] = {}
    fits: list[ast.Call] = []
    for node in ctx.walk_scope(scope):
        if isinstance(node, ast.Name):
            occurrences.setdefault(node.id, []).append(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _FIT:
            fits.append(node)
    for var in candidates:
        if var in in_closures:
            continue  # a closure uses it: not the whole flow is visible here
        yield from _frame_columns(ctx, var, frames[var], literals, occurrences.get(var, []), fits)


def _frame_columns(
    ctx: FileContext,
    var: str,
    binding: ast.AST,
    literals: dict[str, int],
    occurrences: list[ast.Name],
    fits: list[ast.Call],
) -> Iterator[Smell]:
    assigned: list[tuple[str, ast.Assign]] = []
    read: set[str] = set()
    fit_lists: list[tuple[ast.AST, list[str]]] = []
    subsets: dict[str, list[str]] = {}  # name -> the column list of `name = var[[...]]`
    for node in occurrences:
        parent = ctx.parent(node)
        if not isinstance(node.ctx, ast.Load):
            if parent is binding:
                continue
            return
        if not isinstance(parent, ast.Subscript) or parent.value is not node:
            return  # used as a whole: passed, returned, written, a method called...
        cols = _columns(ctx, parent.slice)
        if cols is None:
            return
        holder = ctx.parent(parent)
        if isinstance(parent.ctx, ast.Store):
            if isinstance(holder, ast.Assign) and len(cols) == 1 and len(holder.targets) == 1:
                assigned.append((cols[0], holder))
                continue
            return
        if isinstance(parent.ctx, ast.Del):
            read.update(cols)
            continue
        read.update(cols)
        if isinstance(parent.slice, (ast.List, ast.Name)) or len(cols) > 1:
            # X = df[[...]] then model.fit(X, ...); or model.fit(df[[...]], ...)
            if isinstance(holder, ast.Assign) and len(holder.targets) == 1 and isinstance(holder.targets[0], ast.Name):
                subsets[holder.targets[0].id] = cols
            elif holder is not None and _is_fit_arg(holder, parent):
                fit_lists.append((holder, cols))
    if not assigned:
        return
    for call in fits:
        first = call.args[0] if call.args else None
        if isinstance(first, ast.Attribute) and first.attr == "values":
            first = first.value
        if isinstance(first, ast.Name) and first.id in subsets:
            fit_lists.append((call, subsets[first.id]))
    if not fit_lists:
        return
    fit, cols = fit_lists[0]
    for column, stmt in assigned:
        if column in read or any(column in c for _, c in fit_lists):
            continue
        if literals.get(column, 0) > 1:
            continue  # its name is written somewhere else in the file: it may be read there
        yield ctx.smell(
            "MLD203",
            stmt,
            f"column `{column}` is engineered into `{var}` and never read: the model fit at line "
            f"{getattr(fit, 'lineno', 0)} uses only {_cols(cols)}, and `{var}` is not written or passed on",
            key=f"column|{var}|{column}",
            related=((fit, "the model is fit on an explicit column list without it"),),
            confidence="medium",
            data=(("kind", "unused-column"),),
        )


def _cols(cols: list[str]) -> str:
    shown = ", ".join(f"`{c}`" for c in cols[:4])
    return shown + (", ..." if len(cols) > 4 else "")


def _nested(ctx: FileContext, scope: ast.AST) -> Iterator[ast.AST]:
    for n in ctx.walk_scope(scope):
        if isinstance(n, (*FUNCTIONS, ast.Lambda, ast.ClassDef)):
            yield n


def _columns(ctx: FileContext, index: ast.expr) -> list[str] | None:
    """The columns `df[index]` names: a string, a list or tuple of strings, or a name the
    extractor found bound to one where it is used (`ctx.bound_of`)."""
    if isinstance(index, ast.Constant) and isinstance(index.value, str):
        return [index.value]
    if isinstance(index, ast.Name):
        bound = ctx.bound_of(index)
        if bound is None:
            return None
        index = bound
    if isinstance(index, (ast.List, ast.Tuple)):
        out: list[str] = []
        for e in index.elts:
            if not (isinstance(e, ast.Constant) and isinstance(e.value, str)):
                return None
            out.append(e.value)
        return out
    return None


def _is_fit_arg(holder: ast.AST | None, node: ast.AST) -> bool:
    return (
        isinstance(holder, ast.Call)
        and isinstance(holder.func, ast.Attribute)
        and holder.func.attr in _FIT
        and bool(holder.args)
        and holder.args[0] is node
    )


detect = underutilized_data_dependency
