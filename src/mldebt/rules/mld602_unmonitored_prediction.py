"""MLD602 unmonitored-prediction: a serving entry point that returns predictions with no logging,
metrics, input validation or bounds (found by `detect` below).

A handler that serves what another module's function returns is pending in the detector
(`Smell.data` "callee"); it is reported here only when that function's summary says it returns a
model output (MLD601's `returned_output`), and no module on the way imports logging or a
monitoring library (the helper may log what it predicts)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from mldebt.parse.detectors.context import FileContext, is_test_path
from mldebt.parse.detectors.external import _NOT_PROJECT, _ORDER, _VALIDATE_WORD, _at, _last, _names
from mldebt.parse.detectors.types import ARRAY, DATAFRAME, SERIES, TENSOR
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, Hit, data, smell_hit

if TYPE_CHECKING:
    from mldebt.graph.build import Built
    from mldebt.graph.facade import Site


class UnmonitoredPrediction(FileRule):
    id = "MLD602"
    name = "unmonitored-prediction"

    def check(self, built: Built) -> Iterator[Hit]:
        from mldebt.graph.facade import Site
        from mldebt.rules.mld601_fixed_threshold import returned_outputs

        for path in sorted(built.project.files):
            served: set[str] = set()  # handlers reported: one finding each, at the first predictor
            for smell in built.project.files[path].smells:
                if smell.rule != self.id or smell.key in served:
                    continue
                evidence: tuple[Site, ...] = ()
                callee = data(smell, "callee")
                if callee:
                    chain = returned_outputs(built, path, callee)
                    if not chain or any(_monitors(built, p) for p, _ in chain):
                        continue
                    where, summary = chain[-1]
                    note = f"`{summary.function}` returns {summary.what} output"
                    evidence = (Site(where, summary.span.line, summary.span.column, note=note),)
                served.add(smell.key)
                yield smell_hit(path, smell, evidence)


def _monitors(built: Built, path: str) -> bool:
    """Does the module import logging or a monitoring library?"""
    facts = built.project.files.get(path)
    return facts is not None and any(i.module.split(".")[0] in MONITORING_ROOTS for i in facts.imports)


# ---------------------------------------------------------------- detection (parse phase)

_WEB_ROOTS = (
    "fastapi",
    "flask",
    "starlette",
    "bentoml",
    "ray",
    "sanic",
    "quart",
    "litestar",
    "aiohttp",
    "falcon",
    "mlflow",
    "kserve",
)
_ROUTES = frozenset({"get", "post", "put", "patch", "delete", "route", "api", "websocket", "api_route"})
_MONITOR_ROOTS = (
    "prometheus_client",
    "prometheus_fastapi_instrumentator",
    "starlette_exporter",
    "statsd",
    "datadog",
    "opentelemetry",
    "evidently",
    "whylogs",
    "arize",
    "nannyml",
    "sentry_sdk",
    "newrelic",
)
# imports that say a module logs or monitors what it does (for handlers' helpers in other modules)
MONITORING_ROOTS = frozenset({*_MONITOR_ROOTS, "logging", "loguru", "structlog", "wandb", "mlflow"})
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
_SINKS = frozenset(
    {"put_record", "put_records", "insert_one", "insert_many", "log_metric", "log_metrics", "inc", "observe"}
)
_RAW_ANNOTATIONS = frozenset(
    {"str", "bytes", "dict", "Dict", "Any", "object", "Request", "UploadFile", "list", "List", "Json", "JSON"}
)
_BOUNDS = frozenset({"numpy.clip", "torch.clamp", "torch.clip"})


def _route_decorator(ctx: FileContext, deco: ast.expr) -> bool:
    func = deco.func if isinstance(deco, ast.Call) else deco
    qual = ctx.qualify(func) or ""
    if qual.startswith("bentoml.") and qual.rsplit(".", 1)[-1] in ("api", "post", "get"):
        return True
    return isinstance(func, ast.Attribute) and func.attr in _ROUTES and ctx.imports_any(*_WEB_ROOTS[:-2])


def _serving_entries(ctx: FileContext) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef, ast.AST, str]]:
    """(function, the node that makes it a serving entry, how) for each serving entry point."""
    for fn in ctx.functions:
        for deco in fn.decorator_list:
            if _route_decorator(ctx, deco):
                yield fn, deco, f"route `{ctx.source(deco)}`"
                break
        else:
            parent = ctx.parent(fn)
            if isinstance(parent, ast.Module) and fn.name in ("lambda_handler", "handler") and len(fn.args.args) == 2:
                yield fn, fn, "AWS Lambda handler"
            elif isinstance(parent, ast.ClassDef) and fn.name in ("predict", "__call__"):
                how = _serving_class(ctx, parent)
                if how:
                    yield fn, parent, how


def _serving_class(ctx: FileContext, cls: ast.ClassDef) -> str:
    for deco in cls.decorator_list:
        func = deco.func if isinstance(deco, ast.Call) else deco
        qual = ctx.qualify(func) or ""
        if qual in ("ray.serve.deployment", "bentoml.service"):
            return f"`{qual}` class"
    for base in cls.bases:
        qual = ctx.qualify(base) or ""
        if qual in ("mlflow.pyfunc.PythonModel", "kserve.Model"):
            return f"`{qual}` subclass"
    return ""


def _reach(
    ctx: FileContext,
    fn: ast.FunctionDef | ast.AsyncFunctionDef,
    defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The function and the functions of the same file it calls (by bare name or `self.`), transitively."""
    seen = [fn]
    queue = [fn]
    while queue and len(seen) < 20:
        current = queue.pop()
        for node in ctx.walk_scope(current):
            if not isinstance(node, ast.Call):
                continue
            dotted = ctx.dotted(node.func) or ""
            name = dotted[5:] if dotted.startswith("self.") else dotted
            target = defs.get(name)
            if target is not None and target not in seen:
                seen.append(target)
                queue.append(target)
    return seen


def _is_predict(ctx: FileContext, node: ast.AST) -> bool:
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return False
    method = node.func.attr
    if not (method.startswith("predict") or method == "decision_function"):
        return False
    receiver = node.func.value
    if isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
        return False
    return ctx.types.kind_of(receiver) not in (DATAFRAME, SERIES, ARRAY, TENSOR)


def _monitored_or_validated(ctx: FileContext, node: ast.AST) -> bool:
    if isinstance(node, ast.Assert):
        return True
    if isinstance(node, ast.If) and any(isinstance(s, ast.Raise) for b in (node.body, node.orelse) for s in b):
        return True
    if not isinstance(node, ast.Call):
        return False
    qual = ctx.qualify(node.func) or ""
    root = qual.split(".")[0]
    if root in ("logging", "loguru", "structlog", "wandb") or qual.startswith("mlflow.log"):
        return True
    if qual in ("print", "abort", "flask.abort") or qual in _BOUNDS:
        return True
    last = qual.rsplit(".", 1)[-1]
    if isinstance(node.func, ast.Attribute):
        owner = _last(ctx, node.func.value).lower()
        if last in _LOG_METHODS and "log" in owner:
            return True
        if last in _SINKS or last in ("clip", "clamp"):
            return True
        if last == "validate" or (last == "load" and "schema" in owner):
            return True
    if qual in ("min", "max") and any(
        isinstance(a, ast.Call) and ctx.qualify(a.func) in ("min", "max") for a in node.args
    ):
        return True  # min(max(x, lo), hi)
    return bool(_VALIDATE_WORD.search(last))


def _typed_params(ctx: FileContext, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A parameter typed with a model class (pydantic, dataclass) or a scalar the framework parses."""
    for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]:
        ann = a.annotation
        if ann is None:
            continue
        if isinstance(ann, ast.Subscript):
            ann = ann.value
        text = ctx.dotted(ann) if isinstance(ann, (ast.Name, ast.Attribute)) else None
        if text is None or text.rsplit(".", 1)[-1] not in _RAW_ANNOTATIONS:
            return True
    return False


def unmonitored_prediction(ctx: FileContext) -> Iterator[Smell]:
    """MLD602: a serving entry point acting on `model.predict` with nothing logged or checked."""
    if not ctx.imports_any(*_WEB_ROOTS) and "handler" not in ctx.text:
        return
    if is_test_path(ctx.rel) or ctx.imports_any(*_MONITOR_ROOTS):
        return
    defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for fn in ctx.functions:
        if isinstance(ctx.parent(fn), (ast.Module, ast.ClassDef)):
            defs.setdefault(fn.name, fn)
    for fn, why, how in _serving_entries(ctx):
        if _typed_params(ctx, fn):
            continue
        if any(
            isinstance(d, ast.Call) and any(k.arg == "response_model" for k in d.keywords) for d in fn.decorator_list
        ):
            continue
        reached = _reach(ctx, fn, defs)
        predict: ast.Call | None = None
        imported: list[ast.Call] = []  # calls of other modules' functions: maybe the predictor
        checked = False
        for f in reached:
            for node in ctx.walk_scope(f):
                if _monitored_or_validated(ctx, node):
                    checked = True
                    break
                if predict is None and _is_predict(ctx, node):
                    assert isinstance(node, ast.Call)
                    predict = node
                elif len(imported) < 8 and isinstance(node, ast.Call) and _project_call(ctx, node):
                    imported.append(node)
            if checked:
                break
        if checked:
            continue
        if predict is None and imported:
            # decided in the project phase: which of these functions returns a model's output?
            for call in imported:
                if _bounded(ctx, reached, defs, call):
                    continue
                src = ctx.source(call.func)
                yield ctx.smell(
                    "MLD602",
                    call,
                    f"`{fn.name}` ({how}) serves what `{src}` returns{_at(ctx, call.lineno)} with no logging, "
                    "metrics, input validation or bounds on the prediction",
                    key=fn.name,
                    related=((why, f"`{fn.name}` is a serving entry point ({how})"),),
                    data=(("callee", ctx.qualify(call.func) or ""),),
                )
            continue
        if predict is None or _bounded(ctx, reached, defs):
            continue
        site: ast.AST = predict
        if ctx.scope_of(predict) is not fn:
            # the prediction is made in a helper: report the call in the handler that leads there
            site = next(
                (
                    n
                    for n in ctx.walk_scope(fn)
                    if isinstance(n, ast.Call)
                    and (ctx.dotted(n.func) or "").removeprefix("self.") in defs
                    and _leads_to(ctx, defs[(ctx.dotted(n.func) or "").removeprefix("self.")], predict, defs)
                ),
                fn,
            )
        assert isinstance(predict.func, ast.Attribute)
        what = f"`{ctx.source(predict.func)}`"
        where = "" if getattr(site, "lineno", 0) == predict.lineno else _at(ctx, predict.lineno)
        yield ctx.smell(
            "MLD602",
            site,
            f"`{fn.name}` ({how}) serves {what} output{where} with no logging, metrics, "
            "input validation or bounds on the prediction",
            key=fn.name,
            related=((why, f"`{fn.name}` is a serving entry point ({how})"), (predict, f"{what} predicts here")),
        )


def _project_call(ctx: FileContext, node: ast.Call) -> bool:
    """A call of a function imported from another module that may be the project's."""
    dotted = ctx.dotted(node.func) or ""
    if dotted.split(".")[0] not in ctx.aliases:
        return False
    qual = ctx.qualify(node.func) or ""
    return "." in qual and qual.split(".")[0] not in _NOT_PROJECT


def _bounded(
    ctx: FileContext,
    reached: list[ast.FunctionDef | ast.AsyncFunctionDef],
    defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
    imported: ast.Call | None = None,
) -> bool:
    """Is a prediction (or what a helper returns) compared with a bound in an `if`, `while` or `assert`?"""
    helpers = {f.name for f in reached}
    if imported is not None:
        helpers.add(ctx.dotted(imported.func) or "")
    for f in reached:
        held: set[str] = set()

        def predicted(expr: ast.AST, held: set[str] = held) -> bool:
            for n in ast.walk(expr):
                if isinstance(n, ast.Name) and n.id in held:
                    return True
                if isinstance(n, ast.Call) and (
                    _is_predict(ctx, n) or (ctx.dotted(n.func) or "").removeprefix("self.") in helpers
                ):
                    return True
            return False

        for node in ctx.walk_scope(f):
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
                if predicted(node.value):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    held.update(n for t in targets for n in _names(t))
            elif isinstance(node, (ast.For, ast.AsyncFor)) and predicted(node.iter):
                held.update(_names(node.target))
            elif isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)):
                for cmp in ast.walk(node.test):
                    if (
                        isinstance(cmp, ast.Compare)
                        and any(isinstance(op, _ORDER) for op in cmp.ops)
                        and predicted(cmp)
                    ):
                        return True
    return False


def _leads_to(
    ctx: FileContext,
    fn: ast.FunctionDef | ast.AsyncFunctionDef,
    target: ast.AST,
    defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
) -> bool:
    return any(ctx.scope_of(target) is f for f in _reach(ctx, fn, defs))


detect = unmonitored_prediction
