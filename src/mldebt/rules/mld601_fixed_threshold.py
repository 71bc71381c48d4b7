"""MLD601 fixed-threshold: a hand-set constant compared with model scores or probabilities
(found by `detect` below).

The detector decides what one file shows. A comparison with what another module's function
returns, or with data read from a file, is pending there (`Smell.data` "callee" / "read"); it is
decided here, with the whole project in view: the callee's summary (`FileFacts.summaries`,
followed through functions that return what another function returns, bounded) must say it
returns a model output, or the file read must be one the project writes predictions into (a
`predicts-into` edge of the graph)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from mldebt.parse.detectors.context import FUNCTIONS, FileContext, function_of
from mldebt.parse.detectors.external import (
    _NOT_PROJECT,
    _ORDER,
    _at,
    _line_span,
    _names,
    _number,
)
from mldebt.parse.detectors.types import DATAFRAME, ESTIMATOR, KERAS_MODEL, SERIES, TORCH_MODULE
from mldebt.parse.facts import Smell, Span, Summary
from mldebt.rules.base import FileRule, Hit, data, smell_hit

if TYPE_CHECKING:
    from mldebt.graph.build import Built
    from mldebt.graph.facade import Site

_MAX_HOPS = 4  # a function returning what a function of another module returns, and so on


class FixedThreshold(FileRule):
    id = "MLD601"
    name = "fixed-threshold"
    # 0.5 on a probability is the default decision rule (what `predict` does), not a tuned value
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"ignore-values": (list, [0.5])}

    def accept(self, smell: Smell) -> bool:
        try:
            value = float(data(smell, "value", "nan"))
            ignored = {float(v) for v in self.options["ignore-values"]}
        except (TypeError, ValueError):
            return True
        return value not in ignored

    def check(self, built: Built) -> Iterator[Hit]:
        for path in sorted(built.project.files):
            for smell in built.project.files[path].smells:
                if smell.rule != self.id or not self.accept(smell):
                    continue
                evidence = self.pending(built, path, smell)
                if evidence is None:
                    continue
                yield smell_hit(path, smell, evidence)

    def pending(self, built: Built, path: str, smell: Smell) -> tuple[Site, ...] | None:
        """Evidence that a pending comparison is on a model output; None when it is not."""
        from mldebt.graph.facade import Site

        value = float(data(smell, "value", "nan"))
        callee = data(smell, "callee")
        if callee:
            found = returned_output(built, path, callee)
            if found is None:
                return None
            where, summary = found
            if summary.scale == "prob" and not 0 < value < 1:
                return None
            note = f"`{summary.function}` returns {summary.what} output"
            return (Site(where, summary.span.line, summary.span.column, note=note),)
        read = data(smell, "read")
        if read:
            return _predictions_read(built, path, read)
        return ()


def returned_output(built: Built, path: str, callee: str) -> tuple[str, Summary] | None:
    """The summary of the project function `callee` (dotted, as the file at `path` names it)
    when it returns a model output, following `via` steps through other modules."""
    chain = returned_outputs(built, path, callee)
    return chain[-1] if chain else None


def returned_outputs(built: Built, path: str, callee: str) -> list[tuple[str, Summary]]:
    """Each step's (file, summary) from `callee` to the function that computes the model
    output; empty when it does not return one."""
    project = built.project
    chain: list[tuple[str, Summary]] = []
    for _ in range(_MAX_HOPS):
        facts = project.files.get(path)
        ref = project.resolve_callee(facts, "<module>", callee) if facts is not None else None
        if ref is None:
            return []
        summary = next(
            (s for s in project.files[ref.path].summaries if s.function == ref.qualname and s.kind == "output"), None
        )
        if summary is None:
            return []
        chain.append((ref.path, summary))
        if not summary.via:
            return chain
        path, callee = ref.path, summary.via
    return []


def _predictions_read(built: Built, path: str, read: str) -> tuple[Site, ...] | None:
    """Where a model's predictions are written into the file read at `read` ("line:column")."""
    from mldebt.graph.build import artifact_id
    from mldebt.graph.facade import Site

    line, _, column = read.partition(":")
    for site in built.io_sites:
        fact = site.fact
        if site.path != path or fact.op != "read" or (str(fact.span.line), str(fact.span.column)) != (line, column):
            continue
        for r in site.resolved:
            node = artifact_id(r.artifact)
            if node not in built.graph:
                continue
            for edge in built.graph.in_edges(node, ["predicts-into"]):
                written = edge.sites[0] if edge.sites else None
                label = built.graph.label(edge.source)
                if written is not None:
                    note = f"`{r.artifact}` is written from the predictions of {label}"
                    return (Site(written.path, written.line, written.column, note=note),)
    return None


# ---------------------------------------------------------------- detection (parse phase)


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
    returns: dict[str, _Output] = {}
    attrs: dict[str, _Output] = {}
    where: dict[str, ast.Return] = {}
    qualnames = {id(fn): function_of(ctx, fn) for fn in ctx.functions}
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


detect = fixed_threshold
