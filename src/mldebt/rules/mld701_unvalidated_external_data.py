"""MLD701 unvalidated-external-data: data read from a file, URL or table reaching `fit`/`predict`
in the same scope with no validation (`detect`, below, works inside one scope: a function, or a
module's or notebook's top-level code).

The detector reports every such scope; this rule keeps those whose data comes from outside the
project: a read resolved only to files that the project's own code writes (an intermediate of
its pipeline) is not external. By default it also keeps only scripts that the project's
launchers run (dvc.yaml stages, Makefiles, shell drivers, CI workflows): the code that runs
unattended, where nobody looks at the data before the model does.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, ClassVar

from mldebt.config import ConfigError
from mldebt.model import Confidence
from mldebt.parse.detectors.context import FileContext, is_test_path
from mldebt.parse.detectors.external import _DATA_ROOTS, _ML_ROOTS, _VALIDATE_WORD, _at, _last, _line_span, _names
from mldebt.parse.detectors.types import ARRAY, DATAFRAME, SERIES, TENSOR
from mldebt.parse.facts import Smell, Span
from mldebt.rules.base import FileRule, Hit, data

if TYPE_CHECKING:
    from mldebt.graph.build import Built
    from mldebt.graph.facade import Site

SCOPES = ("launched", "scripts", "all")


class UnvalidatedExternalData(FileRule):
    id = "MLD701"
    name = "unvalidated-external-data"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"scope": (str, "launched")}

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        if self.options["scope"] not in SCOPES:
            raise ConfigError(f"'rules.MLD701.scope' must be one of {', '.join(SCOPES)}, not {self.options['scope']!r}")

    def accept(self, smell: Smell) -> bool:
        return self.options["scope"] == "all" or data(smell, "notebook") != "1"

    def check(self, built: Built) -> Iterator[Hit]:
        scope = self.options["scope"]
        launched = _launched(built) if scope == "launched" else set()
        internal = _internal_reads(built)
        for path in sorted(built.project.files):
            if scope == "launched" and path not in launched:
                continue
            for smell in built.project.files[path].smells:
                if smell.rule != self.id or not self.accept(smell):
                    continue
                reads = {r for r in data(smell, "reads").split(",") if r}
                if reads and reads <= internal.get(path, set()):
                    continue  # the project's own intermediate files: checked where they are written
                yield self._hit(path, smell)

    @staticmethod
    def _hit(path: str, smell: Smell) -> Hit:
        from mldebt.graph.facade import Site

        def site(span: Span, note: str = "") -> Site:
            return Site(path, span.line, span.column, span.end_line, span.end_column, note)

        return Hit(
            site=site(smell.span),
            message=smell.message,
            related=tuple(site(e.span, e.note) for e in smell.related),
            key=smell.key,
            confidence=Confidence(smell.confidence) if smell.confidence else None,
        )


def _internal_reads(built: Built) -> dict[str, set[str]]:
    """path -> "line:column" of its reads whose every artifact is written by the project's code."""
    written = {
        r.artifact
        for site in built.io_sites
        if site.fact.op == "write" and not is_test_path(site.path)
        for r in site.resolved
    }
    exact = {w for w in written if "*" not in w}
    patterns = [w for w in written if "*" in w]

    def is_written(artifact: str) -> bool:
        if artifact in exact:
            return True
        if any(fnmatchcase(artifact, p) for p in patterns):
            return True
        return "*" in artifact and any(fnmatchcase(w, artifact) for w in exact)

    out: dict[str, set[str]] = {}
    for site in built.io_sites:
        fact = site.fact
        if fact.op != "read" or fact.kind != "data" or not site.resolved:
            continue
        if all(is_written(r.artifact) for r in site.resolved):
            out.setdefault(site.path, set()).add(f"{fact.span.line}:{fact.span.column}")
    return out


def _launched(built: Built) -> set[str]:
    """Python files that a launcher (dvc.yaml, Makefile, shell script, CI workflow) runs."""
    mentioned = {m.strip("./") for f in built.project.files.values() for m in f.mentions}
    mentioned.discard("")
    out: set[str] = set()
    for path in built.project.files:
        if not path.endswith(".py"):
            continue
        if any(path == m or path.endswith("/" + m) for m in mentioned):
            out.add(path)
    return out


# detection ------------------------------------------------------------------------------


_READ_EXACT = frozenset(
    {
        "numpy.load",
        "numpy.loadtxt",
        "numpy.genfromtxt",
        "numpy.fromfile",
        "json.load",
        "pyarrow.parquet.read_table",
        "pyarrow.csv.read_csv",
    }
)
_READ_PREFIX = ("pandas.read_", "polars.read_", "polars.scan_", "dask.dataframe.read_", "modin.pandas.read_")
_SPARK_FORMATS = frozenset({"csv", "parquet", "json", "table", "load", "orc", "text", "jdbc"})
_FIT = frozenset({"fit", "train", "partial_fit", "fit_predict", "fit_generator"})
_PREDICT = frozenset({"predict", "predict_proba", "decision_function", "predict_on_batch"})
_FIT_FUNCTIONS = frozenset({"xgboost.train", "xgboost.cv", "lightgbm.train", "lightgbm.cv", "catboost.cv"})
_DATA_KWARGS = frozenset(
    {
        "X",
        "y",
        "x",
        "data",
        "dtrain",
        "train_set",
        "train_data",
        "dataset",
        "df",
        "X_train",
        "y_train",
        "validation_data",
        "eval_set",
        "valid_sets",
        "train_dataset",
        "eval_dataset",
    }
)
_VALIDATION_ROOTS = (
    "pandera",
    "great_expectations",
    "deepchecks",
    "tensorflow_data_validation",
    "pandas_schema",
    "jsonschema",
    "cerberus",
    "pydantic",
    "schema",
    "voluptuous",
    "marshmallow",
)


_TRANSFORMERS = (
    "sklearn.preprocessing.",
    "sklearn.feature_extraction.",
    "sklearn.impute.",
    "sklearn.decomposition.",
    "sklearn.feature_selection.",
    "sklearn.compose.",
    "sklearn.random_projection.",
    "sklearn.kernel_approximation.",
    "category_encoders.",
)


def _read_api(ctx: FileContext, node: ast.Call) -> str | None:
    qual = ctx.qualify(node.func) or ""
    if qual in _READ_EXACT or qual.startswith(_READ_PREFIX):
        return qual
    func = node.func
    if isinstance(func, ast.Attribute):
        # requests.get(url).json()
        if func.attr == "json" and isinstance(func.value, ast.Call):
            inner = ctx.qualify(func.value.func) or ""
            if inner in ("requests.get", "requests.post", "httpx.get"):
                return f"{inner}(...).json"
        # spark.read.csv(...), spark.read.format("x").load(...), spark.table(...), spark.sql(...)
        if func.attr in _SPARK_FORMATS:
            chain = func.value
            while isinstance(chain, ast.Call) and isinstance(chain.func, ast.Attribute):
                chain = chain.func.value
            if isinstance(chain, ast.Attribute) and chain.attr == "read" and "spark" in _last(ctx, chain.value).lower():
                return f"spark.read.{func.attr}"
        if func.attr in ("sql", "table") and "spark" in _last(ctx, func.value).lower():
            return f"spark.{func.attr}"
    return None


def _is_transformer(ctx: FileContext, node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and (ctx.qualify(node.func) or "").startswith(_TRANSFORMERS)


def _data_args(node: ast.Call) -> list[ast.expr]:
    out = [a.value if isinstance(a, ast.Starred) else a for a in node.args]
    out += [k.value for k in node.keywords if k.arg in _DATA_KWARGS]
    return out


def _validates(ctx: FileContext, node: ast.AST, tainted: dict[str, tuple[ast.Call, str]]) -> bool:
    if isinstance(node, ast.Assert):
        return any(n in tainted for n in _names(node.test))
    if isinstance(node, ast.If):
        raises = any(isinstance(s, ast.Raise) for s in node.body)
        return raises and any(n in tainted for n in _names(node.test))
    if isinstance(node, ast.Call):
        qual = ctx.qualify(node.func) or ""
        if qual.split(".")[0] in _VALIDATION_ROOTS:
            return True
        last = qual.rsplit(".", 1)[-1]
        return bool(_VALIDATE_WORD.search(last)) or last.startswith("expect_")
    return False


def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD701: data read in a scope reaches `fit`/`predict` there with nothing checking it."""
    if not ctx.imports_any(*_DATA_ROOTS, "json", "requests", *_ML_ROOTS):
        return
    if is_test_path(ctx.rel) or ctx.imports_any(*_VALIDATION_ROOTS[:5]):
        return
    # only scopes that read external data are worth a closer look
    reading = {id(ctx.scope_of(n)) for n in ctx.walk() if isinstance(n, ast.Call) and _read_api(ctx, n)}
    for scope in [ctx.tree, *ctx.functions]:
        if id(scope) not in reading:
            continue
        if any(
            (ctx.qualify(d.func if isinstance(d, ast.Call) else d) or "").startswith("pandera")
            for d in getattr(scope, "decorator_list", [])
        ):
            continue
        smell = _unvalidated_in(ctx, scope)
        if smell is not None:
            yield smell


def _unvalidated_in(ctx: FileContext, scope: ast.AST) -> Smell | None:
    tainted: dict[str, tuple[ast.Call, str]] = {}  # name -> (the read, its API)
    transformers: set[str] = set()  # names bound to a scaler, encoder, vectorizer...
    fits: list[tuple[ast.Call, tuple[ast.Call, str]]] = []
    predicts: list[tuple[ast.Call, tuple[ast.Call, str]]] = []

    def source_of(expr: ast.AST) -> tuple[ast.Call, str] | None:
        for n in ast.walk(expr):
            if isinstance(n, ast.Call):
                api = _read_api(ctx, n)
                if api is not None:
                    return n, api
            elif isinstance(n, ast.Name) and n.id in tainted:
                return tainted[n.id]
        return None

    def bind(target: ast.AST, src: tuple[ast.Call, str] | None) -> None:
        for name in _names(target):
            if src is not None:
                tainted[name] = src
            elif name in tainted and isinstance(target, ast.Name):
                del tainted[name]

    for node in ctx.walk_scope(scope):
        if _validates(ctx, node, tainted):
            return None
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            src = source_of(node.value)
            transformer = _is_transformer(ctx, node.value)
            for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                bind(t, src)
                if isinstance(t, ast.Name):
                    (transformers.add if transformer else transformers.discard)(t.id)
        elif isinstance(node, ast.AugAssign):
            src = source_of(node.value)
            if src is not None:
                bind(node.target, src)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            src = source_of(node.iter)
            if src is not None:
                bind(node.target, src)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    bind(item.optional_vars, source_of(item.context_expr))
        elif isinstance(node, ast.Call):
            func = node.func
            qual = ctx.qualify(func) or ""
            is_fit = qual in _FIT_FUNCTIONS or (isinstance(func, ast.Attribute) and func.attr in _FIT)
            is_predict = isinstance(func, ast.Attribute) and func.attr in _PREDICT
            if not (is_fit or is_predict) or (qual in _FIT_FUNCTIONS and not is_fit):
                continue
            if isinstance(func, ast.Attribute) and qual not in _FIT_FUNCTIONS:
                receiver = func.value
                if ctx.types.kind_of(receiver) in (DATAFRAME, SERIES, ARRAY, TENSOR):
                    continue
                if _is_transformer(ctx, receiver) or (isinstance(receiver, ast.Name) and receiver.id in transformers):
                    continue  # a scaler or encoder: the model fit that follows is the place
            for arg in _data_args(node):
                src = source_of(arg)
                if src is not None:
                    (fits if is_fit else predicts).append((node, src))
                    break
    chosen = fits or predicts
    if not chosen:
        return None
    call, (read, api) = chosen[0]
    verb = "trains on" if fits else "predicts on"
    reads = sorted({(r.lineno, a) for _, (r, a) in chosen})
    related: list[tuple[ast.AST | Span, str]] = [
        (_line_span(line), f"`{a}` reads external data here") for line, a in reads[:3]
    ]
    scope_name = getattr(scope, "name", "<module>")
    return ctx.smell(
        "MLD701",
        call,
        f"`{ctx.source(call)}` {verb} data read by `{api}`{_at(ctx, read.lineno)} with no validation "
        "(assert, schema check, `if ...: raise`) in between",
        key=f"{scope_name}|{api}|{_last(ctx, call.func) if isinstance(call.func, ast.Attribute) else ''}",
        related=tuple(related),
        data=(
            ("notebook", "1" if ctx.notebook else "0"),
            # where the reads are, for the rule to tell raw inputs from the project's own files
            ("reads", ",".join(sorted({f"{r.lineno}:{r.col_offset + 1}" for _, (r, _a) in chosen}))),
        ),
    )
