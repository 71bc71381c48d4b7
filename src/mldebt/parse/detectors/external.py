"""Detectors of changes in the external world, monitoring and data testing (Sculley et al. §7, §8)
and of self-admitted debt:

- MLD601 fixed-threshold: a hand-set constant compared with model scores or probabilities;
- MLD602 unmonitored-prediction: a serving handler that returns predictions with no logging,
  metrics, input validation or bounds;
- MLD701 unvalidated-external-data and MLD706 self-admitted-debt are in their rule modules,
  which import the helpers they share with these (`_at`, `_names`, `_ML_ROOTS` ...).

All of them work inside one scope (a function, or a module's or notebook's top-level code) and give
up on what they cannot see: values built in other functions, dynamic attribute access.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from mldebt.parse.detectors.context import FUNCTIONS, FileContext, is_test_path
from mldebt.parse.detectors.types import ARRAY, DATAFRAME, ESTIMATOR, KERAS_MODEL, SERIES, TENSOR, TORCH_MODULE
from mldebt.parse.facts import KeyUse, Smell, Span, Summary

_ML_ROOTS = (
    "sklearn",
    "torch",
    "tensorflow",
    "keras",
    "jax",
    "flax",
    "xgboost",
    "lightgbm",
    "catboost",
    "transformers",
    "mlflow",
    "statsmodels",
    "onnxruntime",
    "joblib",
)
_DATA_ROOTS = ("pandas", "numpy", "polars", "pyspark", "dask", "scipy", "datasets", "pyarrow")


def _last(ctx: FileContext, node: ast.expr) -> str:
    """The last segment of a dotted name (`self.model` -> "model"), or ""."""
    dotted = ctx.dotted(node)
    return dotted.rsplit(".", 1)[-1] if dotted else ""


def _names(node: ast.AST) -> Iterator[str]:
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            yield n.id


def _number(node: ast.expr) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _number(node.operand)
        if inner is not None:
            return -inner if isinstance(node.op, ast.USub) else inner
    return None


def _literal_names(ctx: FileContext, scope: ast.AST) -> dict[str, tuple[float, int]]:
    """Names of a scope bound exactly once, to a numeric literal: name -> (value, line)."""
    counts: dict[str, int] = {}
    found: dict[str, tuple[float, int]] = {}
    params: set[str] = set()
    if isinstance(scope, (*FUNCTIONS, ast.Lambda)):
        a = scope.args
        params = {p.arg for p in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if p is not None}
    for node in ctx.walk_scope(scope):
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets, value = [node.target], node.value if isinstance(node, ast.AnnAssign) else None
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            targets = [node.target]
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            targets = [i.optional_vars for i in node.items if i.optional_vars is not None]
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                counts[name] = counts.get(name, 0) + 2
        elif isinstance(node, ast.NamedExpr):
            targets = [node.target]
        for target in targets:
            for name in _names(target):
                counts[name] = counts.get(name, 0) + 1
            if isinstance(target, ast.Name) and value is not None:
                number = _number(value)
                if number is not None:
                    found[target.id] = (number, getattr(node, "lineno", 0))
    return {k: v for k, v in found.items() if counts.get(k) == 1 and k not in params}


# ---------------------------------------------------------------------------------------- MLD601


@dataclass(frozen=True, slots=True)
class _Output:
    what: str  # "`clf.predict_proba`"
    line: int
    kind: str  # "prob" (a probability or a prediction, thresholds in (0, 1)) | "score" (any scale) | "" pending
    # Pending: known only in the project phase (rules/mld601_fixed_threshold.py), from the summary
    # of the project function `callee` (dotted, through the imports), or from whether the file read
    # at `read` ("line:column" of the read call) is one the project writes predictions into.
    callee: str = ""
    read: str = ""


_SQUASH = frozenset(
    {
        "torch.sigmoid",
        "torch.softmax",
        "torch.special.expit",
        "torch.nn.functional.sigmoid",
        "torch.nn.functional.softmax",
        "scipy.special.expit",
        "scipy.special.softmax",
        "tensorflow.sigmoid",
        "tensorflow.math.sigmoid",
        "tensorflow.nn.sigmoid",
        "tensorflow.nn.softmax",
        "jax.nn.sigmoid",
        "jax.nn.softmax",
    }
)
# methods that keep a model output a model output (shape, device, dtype)
_KEEP = frozenset(
    {
        "squeeze",
        "flatten",
        "ravel",
        "detach",
        "cpu",
        "cuda",
        "numpy",
        "item",
        "tolist",
        "reshape",
        "view",
        "to",
        "float",
        "double",
        "astype",
        "copy",
        "clone",
        "max",
        "amax",
    }
)
_MODEL_WORD = re.compile(r"(?i)^(model|net|clf|classifier|estimator|regressor|detector|\w+_model|model_\w+|\w+net)$")
_ORDER = (ast.Gt, ast.GtE, ast.Lt, ast.LtE)
_FRAMEWORKS = ("torch", "tensorflow", "keras", "jax", "flax")


class _Outputs:
    """Which expressions of one scope hold model outputs (flow-ordered by position)."""

    def __init__(
        self,
        ctx: FileContext,
        scope: ast.AST,
        callables: frozenset[str],
        returns: dict[str, _Output] | None = None,
        attrs: dict[str, _Output] | None = None,
    ) -> None:
        self.ctx = ctx
        self.scope = scope
        self.callables = callables  # names that are functions, classes or imports: not models
        self.bound: dict[str, list[tuple[tuple[int, int], _Output | None]]] = {}
        self.deep = ctx.imports_any(*_FRAMEWORKS)
        # what the file's functions return (qualname -> output) and what methods store on `self`
        # ("Class.attr" -> output): the summaries, applied to calls and attributes in this scope
        self.returns = returns if returns is not None else {}
        self.attrs = attrs if attrs is not None else {}
        self.cls, self.me = _method_of(ctx, scope)

    def feed(self, node: ast.AST) -> None:
        """Bind the names an assignment, loop or comprehension of the scope gives a model output."""
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            out = self.of(node.value)
            end = (node.end_lineno or node.lineno, node.end_col_offset or 0)
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                self.bind(t, out, end)
                if out is not None and (out.kind or out.callee) and self.me and self.cls and _is_attr_of(t, self.me):
                    assert isinstance(t, ast.Attribute)
                    self.attrs.setdefault(f"{self.cls}.{t.attr}", out)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            out = self.of(node.iter)
            self.bind(node.target, out, (node.iter.end_lineno or 0, node.iter.end_col_offset or 0))
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            for gen in node.generators:
                self.bind(gen.target, self.of(gen.iter), (node.lineno, node.col_offset))

    def bind(self, target: ast.expr, out: _Output | None, pos: tuple[int, int]) -> None:
        if isinstance(target, ast.Name):
            self.bound.setdefault(target.id, []).append((pos, out))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self.bind(elt, None, pos)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, None, pos)

    def lookup(self, name: str, at: tuple[int, int]) -> _Output | None:
        best: _Output | None = None
        for pos, out in self.bound.get(name, []):
            if pos <= at:
                best = out
        return best

    def of(self, node: ast.expr, depth: int = 0) -> _Output | None:
        if depth > 20:
            return None
        at = (node.lineno, node.col_offset)
        if isinstance(node, ast.Name):
            return self.lookup(node.id, at)
        if isinstance(node, ast.Subscript):
            return self.of(node.value, depth + 1)
        if isinstance(node, ast.Attribute):
            if node.attr in ("logits", "data", "values", "T"):
                return self.of(node.value, depth + 1)
            if self.me and self.cls and _is_attr_of(node, self.me):
                return self.attrs.get(f"{self.cls}.{node.attr}")
            if isinstance(node.value, ast.Name):  # `preds.score`: a column of a file read back
                inner = self.of(node.value, depth + 1)
                return inner if inner is not None and inner.read else None
            return None
        if not isinstance(node, ast.Call):
            return None
        func = node.func
        qual = self.ctx.qualify(func)
        called = self._called(node, qual)
        if called is not None:
            return called
        if qual in _SQUASH and node.args:
            inner = self.of(node.args[0], depth + 1)
            if inner is not None:
                return _Output(f"`{qual.rsplit('.', 1)[-1]}` of {inner.what}", inner.line, "prob")
            return None
        if qual == "sklearn.model_selection.cross_val_predict":
            method_kw = next((k.value for k in node.keywords if k.arg == "method"), None)
            if isinstance(method_kw, ast.Constant) and method_kw.value in ("predict_proba", "decision_function"):
                scale = "prob" if method_kw.value == "predict_proba" else "score"
                return _Output(f"`cross_val_predict(method={method_kw.value!r})`", node.lineno, scale)
            return None
        if isinstance(func, ast.Attribute):
            method = func.attr
            receiver = func.value
            kind = self.ctx.types.kind_of(receiver)
            if kind in (DATAFRAME, SERIES):
                return None
            name = self.ctx.source(receiver)
            if method == "predict_proba":
                return _Output(f"`{name}.predict_proba`", node.lineno, "prob")
            if method == "decision_function":
                return _Output(f"`{name}.decision_function`", node.lineno, "score")
            if method == "predict" and (kind in (ESTIMATOR, KERAS_MODEL) or self._modelish(receiver)):
                return _Output(f"`{name}.predict`", node.lineno, "prob")
            if method == "forward" and (kind == TORCH_MODULE or self._modelish(receiver)):
                return _Output(f"`{name}`", node.lineno, "prob")
            if method in ("sigmoid", "softmax") or method in _KEEP:
                inner = self.of(receiver, depth + 1)
                if inner is not None:
                    if method in ("sigmoid", "softmax"):
                        return _Output(f"`{method}` of {inner.what}", inner.line, "prob")
                    return inner
            return None
        if isinstance(func, (ast.Name, ast.Attribute)) and self.deep:
            callee_kind = self.ctx.types.kind_of(func)
            if callee_kind in (TORCH_MODULE, KERAS_MODEL) or self._modelish(func):
                return _Output(f"`{self.ctx.source(func)}`", node.lineno, "prob")
        return None

    def _called(self, node: ast.Call, qual: str | None) -> _Output | None:
        """A call of a function of the file with a summary, of a project function of another
        module (pending), or a tabular read (pending: a file of predictions?)."""
        func = node.func
        local = ""
        if isinstance(func, ast.Name) and func.id in self.callables and func.id not in self.ctx.aliases:
            local = func.id
        elif self.me and self.cls and isinstance(func, ast.Attribute) and _is_attr_of(func, self.me):
            local = f"{self.cls}.{func.attr}"
        if local:
            out = self.returns.get(local)
            if out is None:
                return None
            what = out.what if out.callee else f"{out.what} (returned by `{local}`)"
            return _Output(what, out.line, out.kind, out.callee, out.read)
        if qual is None or "." not in qual:
            return None
        if qual in _READ_BACK:
            if not node.args or isinstance(node.args[0], ast.Starred):
                return None
            span = self.ctx.span(node)
            return _Output(f"`{self.ctx.source(func)}`", node.lineno, "", read=f"{span.line}:{span.column}")
        if qual.split(".")[0] in _NOT_PROJECT:
            return None
        head = self.ctx.dotted(func)
        if head is not None and head.split(".")[0] in self.ctx.aliases:
            return _Output(f"`{self.ctx.source(func)}`", node.lineno, "", callee=qual)
        return None

    def _modelish(self, node: ast.expr) -> bool:
        """A variable (not a function, class or import) whose name says it holds a model."""
        dotted = self.ctx.dotted(node)
        if dotted is None:
            return False
        if "." not in dotted and dotted in self.callables:
            return False
        if dotted.split(".")[0] in self.ctx.aliases:
            return False
        return bool(_MODEL_WORD.match(dotted.rsplit(".", 1)[-1]))


_SOURCE_METHODS = frozenset({"predict", "predict_proba", "decision_function", "forward", "sigmoid", "softmax"})
# readers whose frame may be a file of predictions the project wrote (judged in the project phase)
_READ_BACK = frozenset(
    {
        "pandas.read_csv",
        "pandas.read_parquet",
        "pandas.read_json",
        "pandas.read_feather",
        "pandas.read_pickle",
        "polars.read_csv",
        "polars.read_parquet",
        "numpy.load",
        "numpy.loadtxt",
    }
)
# roots of libraries and the standard library: their functions are no project function
_NOT_PROJECT = frozenset(
    {*_ML_ROOTS, *_DATA_ROOTS, *sys.stdlib_module_names, "matplotlib", "seaborn", "plotly", "tqdm", "wandb"}
)


def _method_of(ctx: FileContext, scope: ast.AST) -> tuple[str, str]:
    """(class name, name of `self`) when the scope is a method of a class of the file."""
    if not isinstance(scope, FUNCTIONS) or not isinstance(ctx.parent(scope), ast.ClassDef):
        return "", ""
    args = [*scope.args.posonlyargs, *scope.args.args]
    if not args or any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in scope.decorator_list):
        return "", ""
    parent = ctx.parent(scope)
    assert isinstance(parent, ast.ClassDef)
    return parent.name, args[0].arg


def _is_attr_of(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == name


def _callables_and_candidates(ctx: FileContext) -> tuple[frozenset[str], set[int], set[int], dict[int, ast.AST]]:
    """Names of the file's functions, classes and imports; the ids of the scopes that call
    something that may produce a model output (the only scopes worth a closer look); and the
    ids of the scopes that call anything else, and the scopes that compare with an order
    (`x > 0.7`), where a summary, an attribute or a file read back may still show a model output."""
    names = set(ctx.aliases)
    candidates: set[int] = set()
    calling: set[int] = set()
    comparing: dict[int, ast.AST] = {}
    for node in ctx.walk():  # sets: the order does not matter
        if isinstance(node, (*FUNCTIONS, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Call):
            func = node.func
            last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if last in _SOURCE_METHODS or last == "cross_val_predict" or last in ("expit",) or _MODEL_WORD.match(last):
                candidates.add(id(ctx.scope_of(node)))
            else:
                calling.add(id(ctx.scope_of(node)))
        elif isinstance(node, ast.Compare) and any(isinstance(op, _ORDER) for op in node.ops):
            scope = ctx.scope_of(node)
            if isinstance(scope, (ast.Module, *FUNCTIONS)):  # the scopes walked below; not lambdas, class bodies
                comparing[id(scope)] = scope
    return frozenset(names), candidates, calling, comparing


_SUMMARY_PASSES = 3  # helpers of helpers of helpers in one file; deeper chains give up


def _summaries(
    ctx: FileContext, callables: frozenset[str], candidates: set[int]
) -> tuple[dict[str, _Output], dict[str, _Output], dict[str, ast.Return]]:
    """What the file's functions return (qualname -> model output) and what methods store on
    `self` ("Class.attr" -> output), in a bounded number of passes over the functions that may
    compute one (a helper calling a helper is summarised once its callee is)."""
    from mldebt.parse.detectors.configuration import _function_of

    returns: dict[str, _Output] = {}
    attrs: dict[str, _Output] = {}
    where: dict[str, ast.Return] = {}
    qualnames = {id(fn): _function_of(ctx, fn) for fn in ctx.functions}
    for _ in range(_SUMMARY_PASSES):
        before = (len(returns), len(attrs))
        for fn in ctx.functions:
            qual = qualnames[id(fn)]
            calls = 2 if id(fn) in candidates else _calls_any(ctx, fn, returns) if qual not in returns else 0
            if not calls:
                continue
            # a function that only calls other modules' functions is summarised by what its
            # `return`s call directly (`return score(m, X)`): no names followed, which is cheap
            full = calls == 2
            outputs = _Outputs(ctx, fn, callables, returns, attrs)
            for node in ctx.walk_scope(fn):
                if isinstance(node, ast.Return) and node.value is not None:
                    out = outputs.of(node.value)
                    if out is not None and (out.kind or out.callee):
                        returns[qual] = out
                        where[qual] = node
                        break
                if full or (outputs.me and _stores_on_self(node, outputs.me)):
                    outputs.feed(node)
        if (len(returns), len(attrs)) == before:
            break
    return returns, attrs, where


def _stores_on_self(node: ast.AST, me: str) -> bool:
    """`self.scores = ...`: what a method keeps for the other methods of its class."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    return any(_is_attr_of(t, me) for t in targets)


def _calls_any(ctx: FileContext, fn: ast.AST, returns: dict[str, _Output]) -> int:
    """2 when the scope calls a function of the file already summarised; 1 when it calls a
    function imported from another module that may be the project's, or a reader of a file that
    may hold predictions; 0 otherwise."""
    found = 0
    for node in ctx.walk_scope(fn):
        if isinstance(node, ast.Call):
            dotted = ctx.dotted(node.func) or ""
            if dotted in returns or dotted.partition(".")[2] in returns:
                return 2
            qual = ctx.qualify(node.func) or "" if dotted.split(".")[0] in ctx.aliases else ""
            if "." in qual and (qual in _READ_BACK or qual.split(".")[0] not in _NOT_PROJECT):
                found = 1
    return found


def fixed_threshold(ctx: FileContext) -> Iterator[Smell | Summary]:
    """MLD601: `proba > 0.73`, a hand-set constant deciding on a model's score; also a function
    summary for each function that returns a model output (applied across modules later)."""
    libraries = ("sklearn", "xgboost", "lightgbm", "catboost", "scipy", *_FRAMEWORKS, "joblib", "pickle")
    callables, candidates, calling, comparing = _callables_and_candidates(ctx)
    if not candidates and not (calling and comparing):
        return
    returns, attrs, where = _summaries(ctx, callables, candidates) if ctx.functions else ({}, {}, {})
    for qual, out in sorted(returns.items()):
        if not out.read:
            yield Summary(qual, "output", ctx.span(where[qual]), out.kind, out.what, out.callee)
    classes = {k.split(".")[0] for k in attrs}
    others = {
        i
        for i, n in comparing.items()
        if i not in candidates
        and ((i in calling and _calls_any(ctx, n, returns)) or (classes and _method_of(ctx, n)[0] in classes))
    }
    if not candidates and not others:
        return
    if not ctx.imports_any(*libraries) and "predict" not in ctx.text and not others:
        return
    module_literals = _literal_names(ctx, ctx.tree)
    scopes: list[ast.AST] = [ctx.tree, *ctx.functions]
    for scope in scopes:
        if id(scope) not in candidates and id(scope) not in others:
            continue
        outputs = _Outputs(ctx, scope, callables, returns, attrs)
        if scope is ctx.tree:
            literals = module_literals
        else:
            # a module constant rebound in the function is the function's own
            own = _assigned(ctx, scope)
            literals = {k: v for k, v in module_literals.items() if k not in own}
            literals.update(_literal_names(ctx, scope))
        for node in ctx.walk_scope(scope):
            if isinstance(node, ast.Compare) and not _is_range(ctx, node):
                smell = _threshold_smell(ctx, node, outputs, literals)
                if smell is not None:
                    yield smell
            else:
                outputs.feed(node)


def _is_range(ctx: FileContext, node: ast.Compare) -> bool:
    """`0.5 < p < 0.6` or `(p > 0.5) & (p < 0.6)`: a bin of scores (calibration, analysis), not a decision."""
    if len(node.ops) == 2 and all(isinstance(op, _ORDER) for op in node.ops):
        return True
    parent = ctx.parent(node)
    if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.BitAnd):
        siblings: list[ast.expr] = [parent.left, parent.right]
    elif isinstance(parent, ast.BoolOp) and isinstance(parent.op, ast.And):
        siblings = list(parent.values)
    else:
        return False
    mine = {ast.dump(x) for x in (node.left, *node.comparators)}
    return any(
        isinstance(o, ast.Compare) and o is not node and mine & {ast.dump(x) for x in (o.left, *o.comparators)}
        for o in siblings
    )


def _assigned(ctx: FileContext, scope: ast.AST) -> set[str]:
    out: set[str] = set()
    for node in ctx.walk_scope(scope):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
    return out


def _threshold_smell(
    ctx: FileContext, node: ast.Compare, outputs: _Outputs, literals: dict[str, tuple[float, int]]
) -> Smell | None:
    operands = [node.left, *node.comparators]
    for i, op in enumerate(node.ops):
        if not isinstance(op, _ORDER):
            continue
        for side, other in ((operands[i], operands[i + 1]), (operands[i + 1], operands[i])):
            out = outputs.of(side)
            if out is None:
                continue
            value = _number(other)
            const_line = 0
            if value is None and isinstance(other, ast.Name) and other.id in literals:
                value, const_line = literals[other.id]
            if value is None:
                continue
            if out.kind == "prob" and not 0 < value < 1:
                continue
            if out.kind in ("score", "") and value == 0:
                continue  # the sign of a decision function is the default rule
            if out.read and not 0 < value < 1:
                continue  # a column of a file read back: only a fraction may be a threshold on a score
            shown = f"{value:g}"
            if const_line:
                threshold = f"`{ctx.source(other)}` = {shown}{_at(ctx, const_line)}"
            else:
                threshold = shown
            if not out.kind:  # decided in the project phase (rules/mld601_fixed_threshold.py)
                what = f"what {out.what} returns" if out.callee else f"data {out.what} reads"
                pending = ("callee", out.callee) if out.callee else ("read", out.read)
                return ctx.smell(
                    "MLD601",
                    node,
                    f"`{ctx.source(node)}` compares {what}{_at(ctx, out.line)} with the hand-set threshold {threshold}",
                    key=f"{out.what}|{shown}",
                    related=((_line_span(out.line), f"{out.what} is called here"),),
                    data=(("value", shown), pending),
                )
            related: list[tuple[ast.AST | Span, str]] = [
                (_line_span(out.line), f"{out.what} computes the model output here")
            ]
            if const_line:
                related.append((_line_span(const_line), f"`{ctx.source(other)}` is set by hand to {shown}"))
            return ctx.smell(
                "MLD601",
                node,
                f"`{ctx.source(node)}` compares {out.what} output{_at(ctx, out.line)} "
                f"with the hand-set threshold {threshold}",
                key=f"{out.what}|{shown}",
                related=tuple(related),
                data=(("value", shown),),
            )
    return None


def _line_span(line: int) -> Span:
    return Span(line, 1, line, 1)


# ---------------------------------------------------------------------------------------- MLD602

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
_VALIDATE_WORD = re.compile(r"(?i)(valid|sanitiz|^check_|^verify|^ensure_|^parse_obj|^parse_raw)")
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


def _at(ctx: FileContext, line: int) -> str:
    """` (line N)` for messages; notebooks leave it to the evidence, which names the cell."""
    return "" if ctx.notebook else f" (line {line})"


def _leads_to(
    ctx: FileContext,
    fn: ast.FunctionDef | ast.AsyncFunctionDef,
    target: ast.AST,
    defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
) -> bool:
    return any(ctx.scope_of(target) is f for f in _reach(ctx, fn, defs))


DETECTORS: tuple[Callable[[FileContext], Iterable[Smell | KeyUse | Summary]], ...] = (
    fixed_threshold,
    unmonitored_prediction,
)
