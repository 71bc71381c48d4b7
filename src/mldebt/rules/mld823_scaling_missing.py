"""MLD823 scaling-missing: missing scaling before a scaling-sensitive estimator: one fit on data
traced, step by step, to a table read in the same file with no transformation on the way."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.frameworks import Scopes, at_line, is_method_call, last_part
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class ScalingMissing(FileRule):
    id = "MLD823"
    name = "scaling-missing"


# detection ------------------------------------------------------------------------------


_SCALING_SENSITIVE = frozenset(
    {
        "sklearn.svm.SVC",
        "sklearn.svm.SVR",
        "sklearn.svm.NuSVC",
        "sklearn.svm.NuSVR",
        "sklearn.svm.LinearSVC",
        "sklearn.svm.LinearSVR",
        "sklearn.svm.OneClassSVM",
        "sklearn.neighbors.KNeighborsClassifier",
        "sklearn.neighbors.KNeighborsRegressor",
        "sklearn.neighbors.RadiusNeighborsClassifier",
        "sklearn.neighbors.RadiusNeighborsRegressor",
        "sklearn.neighbors.NearestNeighbors",
        "sklearn.decomposition.PCA",
        "sklearn.decomposition.KernelPCA",
        "sklearn.decomposition.IncrementalPCA",
        "sklearn.decomposition.SparsePCA",
        "sklearn.neural_network.MLPClassifier",
        "sklearn.neural_network.MLPRegressor",
        "sklearn.linear_model.SGDClassifier",
        "sklearn.linear_model.SGDRegressor",
        "sklearn.cluster.KMeans",
        "sklearn.cluster.MiniBatchKMeans",
        # penalised linear models: the penalty weighs each coefficient by its feature's scale
        "sklearn.linear_model.Ridge",
        "sklearn.linear_model.RidgeClassifier",
        "sklearn.linear_model.Lasso",
        "sklearn.linear_model.ElasticNet",
        "sklearn.linear_model.LassoLars",
    }
)
_PIPELINE_MAKERS = frozenset(
    {
        "sklearn.pipeline.Pipeline",
        "sklearn.pipeline.make_pipeline",
        "imblearn.pipeline.Pipeline",
        "imblearn.pipeline.make_pipeline",
    }
)
# sklearn loaders of tabular data whose features are on very different scales (iris, digits and
# the pre-scaled diabetes set are left out)
_UNSCALED_LOADERS = frozenset(
    {
        "sklearn.datasets.load_wine",
        "sklearn.datasets.load_breast_cancer",
        "sklearn.datasets.fetch_california_housing",
        "sklearn.datasets.load_boston",
    }
)
# methods that return the same values, re-shaped or filtered, never re-scaled
_PASS_METHODS = frozenset(
    {
        "drop",
        "dropna",
        "fillna",
        "copy",
        "astype",
        "to_numpy",
        "reset_index",
        "select_dtypes",
        "sample",
        "head",
        "tail",
        "reshape",
        "query",
        "filter",
        "sort_values",
        "sort_index",
        "set_index",
        "drop_duplicates",
        "replace",
        "ravel",
        "squeeze",
    }
)
_PASS_ATTRS = frozenset({"values", "loc", "iloc", "T", "data"})
_PASS_FUNCTIONS = frozenset({"numpy.array", "numpy.asarray", "pandas.DataFrame", "pandas.get_dummies"})
_FIT_METHODS = frozenset({"fit", "fit_transform", "fit_predict"})
_BUILTINS = frozenset({"print", "len", "display", "type", "list", "repr", "str", "isinstance", "id", "sorted", "zip"})


def _escaped_names(ctx: FileContext) -> set[str]:
    """Names whose values may change in place, unseen: subscript/attribute writes (`X[c] = ...`),
    `+=`, and arguments of calls to code that is not a known library (a helper may scale them)."""
    out: set[str] = set()
    safe_roots = ("pandas", "numpy", "sklearn", "matplotlib", "seaborn", "scipy", "plotly", "IPython")
    for node in ctx.walk():
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for t in targets:
            while isinstance(t, (ast.Subscript, ast.Attribute)):
                t = t.value
                if isinstance(t, ast.Name):
                    out.add(t.id)
            if isinstance(t, ast.Name) and isinstance(node, ast.AugAssign):
                out.add(t.id)
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                head = func.value
                if not (isinstance(head, ast.Name) and head.id in ctx.aliases):
                    continue  # a method of a value: pandas/numpy methods do not scale their arguments
            name = ctx.call_name(node) or ""
            if name.split(".")[0] in safe_roots or name in _BUILTINS:
                continue
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                if isinstance(arg, ast.Name):
                    out.add(arg.id)
    return out


def detect(ctx: FileContext) -> Iterator[Smell]:
    if not ctx.imports_any("sklearn") or ".fit" not in ctx.text:
        return
    scopes = Scopes(ctx)
    escaped: set[str] | None = None
    for node in ctx.walk():
        if not (is_method_call(node, *_FIT_METHODS) and isinstance(node, ast.Call) and node.args):
            continue
        assert isinstance(node.func, ast.Attribute)
        made = scopes.constructor(node.func.value)
        if made is not None and made[0] in _PIPELINE_MAKERS:
            made = _unscaled_step(scopes, made[1])  # make_pipeline(PCA(2), GaussianNB())
        if made is None or made[0] not in _SCALING_SENSITIVE:
            continue
        if escaped is None:
            escaped = _escaped_names(ctx)
        data = node.args[0]
        source = _unscaled_source(ctx, scopes, data, escaped, 0)
        if source is None:
            continue
        cls = last_part(made[0])
        yield ctx.smell(
            "MLD823",
            node,
            f"`{ctx.source(node.func)}(...)` fits {cls}, which is sensitive to feature scale, on "
            f"`{ctx.source(data)}`: it comes from `{ctx.source(source)}`{at_line(ctx, source)} with no "
            "scaling on the way",
            key=f"{cls}|{ctx.source(data)}",
            related=((source, "the data is read here, unscaled"), (made[1], f"{cls} is constructed here")),
        )


def _unscaled_step(scopes: Scopes, call: ast.Call) -> tuple[str, ast.Call] | None:
    """The first scale-sensitive step of a pipeline that no scaling step precedes; None when a
    step cannot be resolved (it may scale) or a scaler comes first."""
    first: ast.expr | None = call.args[0] if call.args else None
    for k in call.keywords:
        if k.arg == "steps":
            first = k.value
    if isinstance(first, ast.List) and scopes.ctx.call_name(call) in (
        "sklearn.pipeline.Pipeline",
        "imblearn.pipeline.Pipeline",
    ):
        steps = [e.elts[1] for e in first.elts if isinstance(e, ast.Tuple) and len(e.elts) == 2]
    else:
        steps = [a for a in call.args if not isinstance(a, ast.Starred)]
    for step in steps:
        made = scopes.constructor(step)
        if made is None:
            return None
        cls = made[0]
        if cls in _SCALING_SENSITIVE:
            return made
        if not cls.startswith(("sklearn.impute.", "sklearn.feature_selection.VarianceThreshold")):
            return None  # a scaler, a column transformer, or a step that may rescale
    return None


def _unscaled_source(
    ctx: FileContext, scopes: Scopes, expr: ast.expr, escaped: set[str], depth: int
) -> ast.Call | None:
    """The reader call that `expr` is, unchanged but for pass-through steps, or None."""
    if depth > 20:
        return None
    if isinstance(expr, ast.Name):
        if expr.id in escaped:
            return None
        value = scopes.value(expr.id, expr)
        return None if value is None else _unscaled_source(ctx, scopes, value, escaped, depth + 1)
    if isinstance(expr, ast.Subscript):
        index = expr.slice
        if (isinstance(index, ast.Constant) and isinstance(index.value, str)) or (
            isinstance(index, ast.List) and len(index.elts) == 1
        ):
            return None  # one feature: nothing to scale against
        return _unscaled_source(ctx, scopes, expr.value, escaped, depth + 1)
    if isinstance(expr, ast.Attribute):
        if expr.attr in _PASS_ATTRS:
            return _unscaled_source(ctx, scopes, expr.value, escaped, depth + 1)
        return None
    if isinstance(expr, ast.Call):
        name = ctx.call_name(expr) or ""
        if name.startswith(("pandas.read_", "polars.read_")):
            return expr
        if name in _UNSCALED_LOADERS:
            return expr
        if name in _PASS_FUNCTIONS and expr.args:
            return _unscaled_source(ctx, scopes, expr.args[0], escaped, depth + 1)
        if isinstance(expr.func, ast.Attribute) and expr.func.attr in _PASS_METHODS:
            if any(k.arg == "inplace" for k in expr.keywords):
                return None
            return _unscaled_source(ctx, scopes, expr.func.value, escaped, depth + 1)
    return None
