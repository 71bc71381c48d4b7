"""Detectors of scikit-learn, PyTorch and TensorFlow misuse (Zhang et al., CAIN 2022): the
MLD823-MLD830 code smells.

Every detector is type-aware through `types.py`: a smell fires on what is proved to be a torch
module, an optimizer, a Keras model or an estimator of a named class, and on nothing it cannot
prove (an unknown value, a dynamic form, data of unknown provenance is "no finding").

- MLD823 scaling-missing: a scaling-sensitive estimator fit on data traced, step by step, to a
  table read in the same file with no transformation on the way.
- MLD824 hyperparameters-not-set: estimators and optimizers whose defaults are known to be poor or
  to have changed across releases, constructed with none of their key hyper-parameters.
- MLD825 memory-not-freed: a loss tensor (the receiver of `.backward()`) accumulated into a
  variable that outlives the iteration; Keras models built in a loop with no `clear_session()`.
- MLD826 train-eval-mode-not-toggled: a flow of each module's mode (train/eval) through the scope,
  loops iterated twice to see the back edge, and same-file helpers summarised (`evaluate(model)`
  that calls `model.eval()`).
- MLD827 forward-called-directly, MLD828 gradients-not-cleared, MLD829 tensorarray-not-used,
  MLD830 threshold-dependent-validation.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from mldebt.parse.detectors.context import FUNCTIONS, FileContext, ScopeBindings
from mldebt.parse.detectors.types import ESTIMATOR, KERAS_MODEL, OPTIMIZER, TORCH_MODULE
from mldebt.parse.facts import KeyUse, Smell

_NESTED = (*FUNCTIONS, ast.ClassDef, ast.Lambda)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_NO_GRAD = frozenset(
    {
        "torch.no_grad",
        "torch.inference_mode",
        "torch.autograd.no_grad",
        "torch.autograd.grad_mode.no_grad",
        "torch.autograd.grad_mode.inference_mode",
    }
)


# ---------------------------------------------------------------- shared helpers


def _walk(stmts: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Nodes under these statements in source order, not into nested functions, classes, lambdas."""
    stack = list(reversed(list(stmts)))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _NESTED):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _method(node: ast.AST, *names: str) -> bool:
    """Is the node a call of a method with one of these names (`x.backward()`)?"""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names


def _is_no_grad(ctx: FileContext, expr: ast.expr) -> bool:
    if not isinstance(expr, ast.Call):
        return ctx.qualify(expr) in _NO_GRAD  # `@torch.no_grad` without parentheses
    name = ctx.call_name(expr)
    if name in _NO_GRAD:
        return True
    if name in ("torch.set_grad_enabled", "torch.autograd.set_grad_enabled") and expr.args:
        arg = expr.args[0]
        return isinstance(arg, ast.Constant) and arg.value is False
    return False


def _no_grad_with(ctx: FileContext, node: ast.AST) -> bool:
    return isinstance(node, (ast.With, ast.AsyncWith)) and any(
        _is_no_grad(ctx, item.context_expr) for item in node.items
    )


def _no_grad_function(ctx: FileContext, fn: ast.AST) -> bool:
    return isinstance(fn, FUNCTIONS) and any(_is_no_grad(ctx, d) for d in fn.decorator_list)


def _under_no_grad(ctx: FileContext, node: ast.AST) -> bool:
    for a in ctx.ancestors(node):
        if _no_grad_with(ctx, a):
            return True
        if isinstance(a, _NESTED):
            return _no_grad_function(ctx, a)
    return False


def _loops_in(ctx: FileContext) -> list[ast.For | ast.AsyncFor | ast.While]:
    return [n for n in ctx.walk() if isinstance(n, _LOOPS)]


def _loops_with_backward(ctx: FileContext) -> list[ast.For | ast.AsyncFor | ast.While]:
    """The loops (within one function) around some `.backward()` call, outermost first."""
    out: dict[int, ast.For | ast.AsyncFor | ast.While] = {}
    for node in ctx.walk():
        if _method(node, "backward"):
            for a in ctx.ancestors(node):
                if isinstance(a, _NESTED):
                    break
                if isinstance(a, _LOOPS):
                    out.setdefault(id(a), a)
    return sorted(out.values(), key=lambda n: (n.lineno, n.col_offset))


def _module_functions(ctx: FileContext) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Top-level functions of the file, by name (the ones called by bare name)."""
    return {n.name: n for n in ctx.tree.body if isinstance(n, FUNCTIONS)}


def _callee_function(
    ctx: FileContext, call: ast.Call, functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]
) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, int] | None:
    """The same-file function a call calls, and how many leading parameters the call does not
    pass (1 for `self.method(...)`)."""
    if isinstance(call.func, ast.Name) and call.func.id in functions:
        return functions[call.func.id], 0
    if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) and call.func.value.id == "self":
        cls = next((a for a in ctx.ancestors(call) if isinstance(a, ast.ClassDef)), None)
        if cls is not None:
            for fn in cls.body:
                if isinstance(fn, FUNCTIONS) and fn.name == call.func.attr:
                    return fn, 1
    return None


class _Values(ScopeBindings):
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
            elif isinstance(value, ast.Call) and self.ctx.call_name(value) in _SPLITTERS:
                arrays = [a for a in value.args if not isinstance(a, ast.Starred)]
                if len(arrays) * 2 == len(target.elts):
                    parts = [arrays[i // 2] for i in range(len(target.elts))]
            elif isinstance(value, ast.Call) and _returns_x_y(self.ctx, value) and len(target.elts) == 2:
                parts = [value, None]
            for elt, part in zip(target.elts, parts, strict=True):
                self._bind(table, elt, part, end)
        elif isinstance(target, ast.Starred):
            self._bind(table, target.value, None, end)


class _Scopes:
    """`_Values` per scope, built on demand; a name unbound in its scope is looked up in the module."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self._cache: dict[int, _Values] = {}

    def values(self, scope: ast.AST) -> _Values:
        v = self._cache.get(id(scope))
        if v is None:
            v = self._cache[id(scope)] = _Values(self.ctx, scope)
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
            if isinstance(expr.func, ast.Attribute) and expr.func.attr in _RETURNS_SELF:
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


_RETURNS_SELF = frozenset(
    {"fit", "set_params", "to", "cuda", "cpu", "train", "eval", "float", "double", "half", "requires_grad_"}
)
_SPLITTERS = frozenset({"sklearn.model_selection.train_test_split", "sklearn.cross_validation.train_test_split"})


def _returns_x_y(ctx: FileContext, call: ast.Call) -> bool:
    return any(
        k.arg == "return_X_y" and isinstance(k.value, ast.Constant) and k.value.value is True for k in call.keywords
    )


def _at(ctx: FileContext, node: ast.AST) -> str:
    """` (line N)` for messages; notebooks leave it to the evidence, which names the cell."""
    line = getattr(node, "lineno", None)
    return "" if ctx.notebook or line is None else f" (line {line})"


def _last(name: str) -> str:
    return name.rsplit(".", 1)[-1]


# ------------------------------------------------------------ MLD823 scaling-missing

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


def scaling_missing(ctx: FileContext) -> Iterator[Smell]:
    if not ctx.imports_any("sklearn") or ".fit" not in ctx.text:
        return
    scopes = _Scopes(ctx)
    escaped: set[str] | None = None
    for node in ctx.walk():
        if not (_method(node, *_FIT_METHODS) and isinstance(node, ast.Call) and node.args):
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
        cls = _last(made[0])
        yield ctx.smell(
            "MLD823",
            node,
            f"`{ctx.source(node.func)}(...)` fits {cls}, which is sensitive to feature scale, on "
            f"`{ctx.source(data)}`: it comes from `{ctx.source(source)}`{_at(ctx, source)} with no "
            "scaling on the way",
            key=f"{cls}|{ctx.source(data)}",
            related=((source, "the data is read here, unscaled"), (made[1], f"{cls} is constructed here")),
        )


def _unscaled_step(scopes: _Scopes, call: ast.Call) -> tuple[str, ast.Call] | None:
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
    ctx: FileContext, scopes: _Scopes, expr: ast.expr, escaped: set[str], depth: int
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


# ----------------------------------------------------- MLD824 hyperparameters-not-set


@dataclass(frozen=True)
class _Defaults:
    keys: tuple[str, ...]  # the key hyper-parameters; any one given means "set"
    why: str


_RF = _Defaults(
    ("n_estimators", "max_features", "max_depth", "min_samples_leaf", "min_samples_split", "max_leaf_nodes"),
    "`n_estimators` changed from 10 to 100 in scikit-learn 0.22 and `max_features` from 'auto' to "
    "'sqrt' (classifiers) / 1.0 (regressors) in 1.1",
)
_SVC = _Defaults(("C", "gamma", "kernel", "nu"), "`gamma` changed from 'auto' to 'scale' in scikit-learn 0.22")
_KMEANS = _Defaults(
    ("n_clusters", "n_init", "init"),
    "`n_clusters=8` is a placeholder, and `n_init` changed from 10 to 'auto' in scikit-learn 1.4",
)
_SGD = _Defaults(
    ("loss", "alpha", "max_iter", "tol", "learning_rate", "eta0", "penalty"),
    "`max_iter` and `tol` changed in scikit-learn 0.21 and `alpha` is data-dependent",
)
_MLP = _Defaults(
    ("hidden_layer_sizes", "max_iter", "alpha", "learning_rate_init", "solver", "early_stopping"),
    "`hidden_layer_sizes=(100,)` and `max_iter=200` are placeholders that often stop before convergence",
)
_HYPER_DEFAULTS: dict[str, _Defaults] = {
    "sklearn.ensemble.RandomForestClassifier": _RF,
    "sklearn.ensemble.RandomForestRegressor": _RF,
    "sklearn.ensemble.ExtraTreesClassifier": _RF,
    "sklearn.ensemble.ExtraTreesRegressor": _RF,
    "sklearn.linear_model.LogisticRegression": _Defaults(
        ("C", "penalty", "solver", "l1_ratio"),
        "`solver` changed from 'liblinear' to 'lbfgs' in scikit-learn 0.22 and `C=1.0` regularises "
        "whatever the data's scale",
    ),
    "sklearn.svm.SVC": _SVC,
    "sklearn.svm.SVR": _SVC,
    "sklearn.svm.NuSVC": _SVC,
    "sklearn.svm.NuSVR": _SVC,
    "sklearn.svm.LinearSVC": _Defaults(
        ("C", "dual", "loss", "penalty"), "`dual` changed from True to 'auto' in scikit-learn 1.5"
    ),
    "sklearn.svm.LinearSVR": _Defaults(
        ("C", "dual", "loss", "epsilon"), "`dual` changed from True to 'auto' in scikit-learn 1.5"
    ),
    "sklearn.cluster.KMeans": _KMEANS,
    "sklearn.cluster.MiniBatchKMeans": _KMEANS,
    "sklearn.cluster.DBSCAN": _Defaults(
        ("eps", "min_samples"), "`eps=0.5` is a distance in the units of the data, rarely right for it"
    ),
    "sklearn.linear_model.SGDClassifier": _SGD,
    "sklearn.linear_model.SGDRegressor": _SGD,
    "sklearn.neural_network.MLPClassifier": _MLP,
    "sklearn.neural_network.MLPRegressor": _MLP,
    "torch.optim.SGD": _Defaults(
        ("lr",),
        "`lr` had no default in PyTorch before 2.2 and the default 1e-3 added since is rarely right for plain SGD",
    ),
}
_SEARCHES = ("SearchCV", "GridSearch", "BayesSearchCV", "TuneSearchCV")
# never hyper-parameters; a subset of MLD504's list, so a call MLD504 flags (a literal hyper-
# parameter) always carries a keyword this rule counts as "set"
_NOT_HYPER_824 = frozenset({"random_state", "seed", "n_jobs", "verbose", "verbosity"})


def _searched_names(ctx: FileContext) -> set[str]:
    """Names handed to a hyper-parameter search as its estimator."""
    out: set[str] = set()
    for node in ctx.walk():
        if isinstance(node, ast.Call) and _last(ctx.call_name(node) or "").endswith(_SEARCHES):
            first = node.args[:1] + [k.value for k in node.keywords if k.arg == "estimator"]
            out.update(a.id for a in first if isinstance(a, ast.Name))
    return out


def _tuned(ctx: FileContext, node: ast.Call, searched: set[str]) -> bool:
    """Is the construction inside a search call, or bound to a name a search receives?"""
    for a in ctx.ancestors(node):
        if isinstance(a, ast.Call) and _last(ctx.call_name(a) or "").endswith(_SEARCHES):
            return True
        if isinstance(a, ast.Assign):
            return any(isinstance(t, ast.Name) and t.id in searched for t in a.targets)
        if isinstance(a, (ast.stmt, *_NESTED)):
            return False
    return False


def hyperparameters_not_set(ctx: FileContext) -> Iterator[Smell]:
    if not ctx.imports_any("sklearn", "torch") or not any(_last(n) in ctx.text for n in _HYPER_DEFAULTS):
        return
    searched = _searched_names(ctx)
    for node in ctx.walk():
        if not isinstance(node, ast.Call):
            continue
        name = ctx.call_name(node) or ""
        defaults = _HYPER_DEFAULTS.get(name)
        if defaults is None:
            continue
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            continue  # *args / **params: given dynamically
        positional = len(node.args) - (1 if name.startswith("torch.") else 0)
        if positional > 0:
            continue
        given = {k.arg for k in node.keywords if k.arg is not None}
        if given & set(defaults.keys):
            continue
        if given - _NOT_HYPER_824:
            continue  # other hyper-parameters set: the defaults were considered
        if _tuned(ctx, node, searched):
            continue  # tuned by a search
        cls = _last(name)
        yield ctx.smell(
            "MLD824",
            node,
            f"`{ctx.source(node)}` leaves every key hyper-parameter of {cls} at its default "
            f"({', '.join(defaults.keys[:3])}{', ...' if len(defaults.keys) > 3 else ''}): {defaults.why}",
            key=name,
        )


# ----------------------------------------------------------- MLD825 memory-not-freed

_DETACHING = frozenset({"item", "detach", "tolist", "numpy", "detach_"})
_DETACHING_FUNCTIONS = frozenset({"float", "int"})


def _loss_name(expr: ast.expr) -> str | None:
    """The tensor a `.backward()` receiver is built on: `loss`, `(loss / n)`, `scaler.scale(loss)`."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.BinOp):
        return _loss_name(expr.left)
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
        if expr.func.attr == "scale" and expr.args:
            return _loss_name(expr.args[0])
        if expr.func.attr in ("mean", "sum"):
            return _loss_name(expr.func.value)
    return None


def _bare_names(expr: ast.expr) -> Iterator[ast.Name]:
    """Names an arithmetic expression adds up as they are (not inside a call or attribute)."""
    if isinstance(expr, ast.Name):
        yield expr
    elif isinstance(expr, ast.BinOp):
        yield from _bare_names(expr.left)
        yield from _bare_names(expr.right)
    elif isinstance(expr, ast.UnaryOp):
        yield from _bare_names(expr.operand)


def _detaches(ctx: FileContext, expr: ast.expr | None) -> bool:
    if expr is None:
        return True
    for sub in ast.walk(expr):
        if isinstance(sub, ast.Call):
            if isinstance(sub.func, ast.Attribute) and sub.func.attr in _DETACHING:
                return True
            if ctx.call_name(sub) in _DETACHING_FUNCTIONS:
                return True
        if isinstance(sub, ast.Attribute) and sub.attr == "data":
            return True
    return False


def memory_not_freed(ctx: FileContext) -> Iterator[Smell]:
    if ctx.imports_any("torch") and ".backward(" in ctx.text:
        yield from _accumulated_graphs(ctx)
    if ctx.imports_any("tensorflow", "keras"):
        yield from _keras_models_in_loops(ctx)


def _accumulated_graphs(ctx: FileContext) -> Iterator[Smell]:
    seen: set[int] = set()
    for loop in _loops_with_backward(ctx):
        body = list(_walk(loop.body))
        losses: dict[str, ast.Call] = {}
        for n in body:
            if _method(n, "backward") and isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
                name = _loss_name(n.func.value)
                if name is not None:
                    losses.setdefault(name, n)
        if not losses:
            continue
        assigned: dict[str, list[ast.Assign]] = {}
        for n in body:
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    for sub in ast.walk(t):
                        if isinstance(sub, ast.Name):
                            assigned.setdefault(sub.id, []).append(n)
        for n in body:
            if id(n) in seen:
                continue
            target: ast.expr | None = None
            value: ast.expr | None = None
            if isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Add):
                target, value = n.target, n.value
            elif _method(n, "append") and isinstance(n, ast.Call) and len(n.args) == 1:
                assert isinstance(n.func, ast.Attribute)
                target, value = n.func.value, n.args[0]
            if target is None or value is None or not isinstance(target, (ast.Name, ast.Attribute)):
                continue
            acc = ctx.dotted(target)
            if acc is None or acc in assigned:
                continue  # re-bound in the loop: lives one iteration
            loss = next((b for b in _bare_names(value) if b.id in losses), None)
            if loss is None or _under_no_grad(ctx, n):
                continue
            # the loss's last binding before the accumulation must not have detached it
            at = (getattr(n, "lineno", 0), getattr(n, "col_offset", 0))
            before = [a for a in assigned.get(loss.id, []) if (a.lineno, a.col_offset) < at]
            if before and _detaches(ctx, before[-1].value):
                continue
            seen.add(id(n))
            backward = losses[loss.id]
            verb = "appends" if isinstance(n, ast.Call) else "adds"
            yield ctx.smell(
                "MLD825",
                n,
                f"`{ctx.source(n)}` {verb} the loss tensor `{loss.id}` (`.backward()` is called on it"
                f"{_at(ctx, backward)}) to `{acc}`, which outlives the iteration: every iteration's "
                "autograd graph stays referenced",
                key=f"{acc}|{loss.id}",
                related=((backward, f"`{loss.id}` has autograd history: `.backward()` is called on it"),),
            )


def _keras_models_in_loops(ctx: FileContext) -> Iterator[Smell]:
    clearing: set[str] | None = None
    reported: set[int] = set()
    for node in ctx.walk():
        if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Call):
            continue
        loop = None
        for a in ctx.ancestors(node):
            if isinstance(a, _NESTED):
                break
            if isinstance(a, _LOOPS):
                loop = a
                break
        if loop is None or id(loop) in reported:
            continue
        if ctx.types.kind_of(node.value) != KERAS_MODEL:
            continue
        name = ctx.call_name(node.value) or ""
        if name.endswith("load_model"):
            continue
        if clearing is None:
            clearing = set()
            if "clear_session" in ctx.text:
                clearing = {f.name for f in ctx.functions if any(_method(n, "clear_session") for n in _walk(f.body))}
        cleared = False
        for n in _walk(loop.body):
            if _method(n, "clear_session"):
                cleared = True
            elif isinstance(n, ast.Call):
                callee = n.func.id if isinstance(n.func, ast.Name) else None
                if callee in clearing:
                    cleared = True
        if cleared:
            continue
        reported.add(id(loop))
        yield ctx.smell(
            "MLD825",
            node,
            f"`{ctx.source(node)}` builds a Keras model in a loop{_at(ctx, loop)} with no "
            "`clear_session()`: each iteration's model and graph state stay in the Keras session",
            key=f"keras|{ctx.source(node.value)}",
            related=((loop, "the loop"),),
            confidence="medium",  # a few iterations cost little; the trip count is unknown
        )


# ---------------------------------------------------- MLD826 train-eval-mode-not-toggled

TRAIN, EVAL, PARAM, UNKNOWN = "train", "eval", "param", "unknown"
_SENSITIVE_WORDS = ("dropout", "batchnorm", "batch_norm", "instancenorm", "transformer", "multiheadattention", "rrelu")
_Mode = dict[str, ast.AST]  # possible mode -> the node that set it
_State = dict[str, _Mode]


@dataclass
class _Summary:
    """What a same-file function does to each parameter's mode."""

    params: list[str]
    evaluates: dict[str, ast.AST] = field(default_factory=dict)  # run under no_grad, mode untouched
    trains: dict[str, ast.AST] = field(default_factory=dict)  # trained with its mode untouched
    ends: dict[str, tuple[str, ast.AST]] = field(default_factory=dict)  # mode at return


def _join(a: _State, b: _State) -> _State:
    out: _State = {}
    for name in set(a) | set(b):
        modes = dict(a.get(name) or {UNKNOWN: ast.Pass()})
        for mode, node in (b.get(name) or {UNKNOWN: ast.Pass()}).items():
            modes.setdefault(mode, node)
        out[name] = modes
    return out


def _copy(state: _State) -> _State:
    return {k: dict(v) for k, v in state.items()}


class _ModeFlow:
    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.functions = _module_functions(ctx)
        self.scopes = _Scopes(ctx)
        self.summaries: dict[int, _Summary] = {}
        self.found: dict[int, Smell] = {}
        self._sensitive: dict[str, bool] = {}
        self._classes = {n.name: n for n in ctx.walk() if isinstance(n, ast.ClassDef)}
        self._summary: _Summary | None = None
        self._training_scope = False
        self._loop_trains: dict[int, bool] = {}
        self._depth = 0

    # ------------------------------------------------------------------ driver

    def run(self) -> list[Smell]:
        fns = self._relevant()
        for _ in range(2):  # helpers calling helpers
            for fn in fns:
                self._function(fn, report=False)
        self.found = {}
        self._scope(self.ctx.tree, self.ctx.tree.body, {}, no_grad=False)
        for fn in fns:
            self._function(fn, report=True)
        return [self.found[k] for k in sorted(self.found)]

    def _relevant(self) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        """Functions that switch modes, evaluate, train, or call one that does (the others cannot
        change a finding)."""
        lines = self.ctx.lines
        words = ("no_grad", "inference_mode", "set_grad_enabled", ".eval(", ".train(", ".backward(")
        texts = {id(fn): "\n".join(lines[fn.lineno - 1 : fn.end_lineno or fn.lineno]) for fn in self.ctx.functions}
        relevant = {fn.name for fn in self.ctx.functions if any(w in texts[id(fn)] for w in words)}
        for _ in range(3):
            relevant |= {fn.name for fn in self.ctx.functions if any(f"{r}(" in texts[id(fn)] for r in relevant)}
        return [fn for fn in self.ctx.functions if fn.name in relevant]

    def _function(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, report: bool) -> None:
        args = fn.args
        params = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
        summary = _Summary(params)
        state: _State = {p: {PARAM: fn} for p in params if p not in ("self", "cls")}
        saved = self.found
        if not report:
            self.found = {}
        self._summary = summary
        end = self._scope(fn, fn.body, state, no_grad=_no_grad_function(self.ctx, fn))
        self._summary = None
        self.found = saved if not report else self.found
        for p in params:
            modes = end.get(p, {})
            if len(modes) == 1:
                mode, node = next(iter(modes.items()))
                if mode in (TRAIN, EVAL):
                    summary.ends[p] = (mode, node)
        if not report:
            self.summaries[id(fn)] = summary

    def _scope(self, scope: ast.AST, body: list[ast.stmt], state: _State, no_grad: bool) -> _State:
        saved = self._training_scope
        self._training_scope = isinstance(scope, FUNCTIONS) and any(_method(n, "backward") for n in _walk(body))
        out = self._block(body, state, no_grad, None)
        self._training_scope = saved
        return out

    # --------------------------------------------------------------- statements

    def _block(self, stmts: list[ast.stmt], state: _State, no_grad: bool, loop: ast.AST | None) -> _State:
        for stmt in stmts:
            state = self._stmt(stmt, state, no_grad, loop)
        return state

    def _stmt(self, stmt: ast.stmt, state: _State, no_grad: bool, loop: ast.AST | None) -> _State:
        if isinstance(stmt, _NESTED):
            return state
        if isinstance(stmt, ast.If):
            self._expr(stmt.test, state, no_grad, loop)
            a = self._block(stmt.body, _copy(state), no_grad, loop)
            b = self._block(stmt.orelse, _copy(state), no_grad, loop)
            return _join(a, b)
        if isinstance(stmt, _LOOPS):
            head = stmt.iter if isinstance(stmt, (ast.For, ast.AsyncFor)) else stmt.test
            self._expr(head, state, no_grad, loop)
            self._depth += 1
            first = self._block(stmt.body, _copy(state), no_grad, stmt)
            if self._depth <= 3:  # the back edge; deeper loops once (2**depth passes otherwise)
                first = self._block(stmt.body, _join(state, first), no_grad, stmt)
            self._depth -= 1
            after = _join(state, first)
            return self._block(stmt.orelse, after, no_grad, loop)
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                self._expr(item.context_expr, state, no_grad, loop)
            inner = no_grad or _no_grad_with(self.ctx, stmt)
            return self._block(stmt.body, state, inner, loop)
        if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            body = self._block(stmt.body, _copy(state), no_grad, loop)  # type: ignore[attr-defined]
            out = body
            for h in stmt.handlers:  # type: ignore[attr-defined]
                out = _join(out, self._block(h.body, _copy(state), no_grad, loop))
            out = self._block(stmt.orelse, out, no_grad, loop)  # type: ignore[attr-defined]
            return self._block(stmt.finalbody, out, no_grad, loop)  # type: ignore[attr-defined]
        if isinstance(stmt, ast.Match):
            self._expr(stmt.subject, state, no_grad, loop)
            out = state
            for case in stmt.cases:
                out = _join(out, self._block(case.body, _copy(state), no_grad, loop))
            return out
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.expr):
                self._expr(child, state, no_grad, loop)
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                self._assign(target, stmt.value, stmt, state)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            self._assign(stmt.target, stmt.value, stmt, state)
        return state

    def _assign(self, target: ast.expr, value: ast.expr, stmt: ast.stmt, state: _State) -> None:
        name = self.ctx.dotted(target) if isinstance(target, (ast.Name, ast.Attribute)) else None
        if name is None:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name):
                    state.pop(sub.id, None)
            return
        # `model = model.to(device)` keeps the mode; `model = Net()` starts in training mode
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in _RETURNS_SELF:
            inner = self.ctx.dotted(value.func.value)
            if inner is not None and inner in state and value.func.attr not in ("train", "eval"):
                state[name] = dict(state[inner])
                return
        if self._constructs_module(value):
            state[name] = {TRAIN: stmt}
        else:
            state.pop(name, None)

    def _constructs_module(self, value: ast.expr) -> bool:
        while (
            isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in _RETURNS_SELF
        ):
            if value.func.attr in ("train", "eval"):
                return False
            value = value.func.value
        if not isinstance(value, ast.Call):
            return False
        name = self.ctx.call_name(value) or ""
        last = _last(name)
        if name.startswith("torch.nn.") and last[:1].isupper():
            return True
        if name.startswith("torchvision.models.") and last[:1].islower():
            return True
        return (
            isinstance(value.func, ast.Name)
            and value.func.id in self._classes
            and self.ctx.types.kind_of(value) == TORCH_MODULE
        )

    # -------------------------------------------------------------- expressions

    def _expr(self, expr: ast.expr, state: _State, no_grad: bool, loop: ast.AST | None) -> None:
        for node in _walk([expr]):
            if isinstance(node, ast.Call):
                self._call(node, state, no_grad, loop)

    def _call(self, call: ast.Call, state: _State, no_grad: bool, loop: ast.AST | None) -> None:
        func = call.func
        # mode switches
        if isinstance(func, ast.Attribute) and func.attr in ("train", "eval"):
            name = self.ctx.dotted(func.value)
            if name is not None and (name in state or self.ctx.types.kind_of(func.value) == TORCH_MODULE):
                mode = EVAL if func.attr == "eval" or _false_arg(call) else TRAIN
                state[name] = {mode: call}
            return
        # a same-file helper
        callee = _callee_function(self.ctx, call, self.functions)
        if callee is not None:
            self._helper(call, callee[0], callee[1], state)
            return
        # the module itself: `model(x)` / `model.forward(x)`
        target = func.value if isinstance(func, ast.Attribute) and func.attr == "forward" else func
        name = self.ctx.dotted(target)
        if name is None or name not in state:
            return
        modes = state[name]
        if PARAM not in modes and self.ctx.types.kind_of(target) != TORCH_MODULE:
            return
        if no_grad:
            if set(modes) == {TRAIN} and self._is_sensitive(name, target):
                why = modes[TRAIN]
                self._report(
                    call,
                    f"`{name}` runs under `torch.no_grad()` (for evaluation) while in training mode "
                    f"({_why_train(self.ctx, why)}): dropout and batch-norm behave as in training",
                    name,
                    why,
                )
            if set(modes) == {PARAM} and self._summary is not None:
                self._summary.evaluates.setdefault(name, call)
        elif self._trains(call, loop):
            if EVAL in modes and self._is_sensitive(name, target):
                why = modes[EVAL]
                self._report(
                    call,
                    f"`{name}` is trained here (its loop calls `.backward()`) but may still be in evaluation "
                    f"mode: `{self.ctx.source(why)}`{_at(self.ctx, why)} is not undone by "
                    f"`{name}.train()`",
                    name,
                    why,
                )
            if set(modes) == {PARAM} and self._summary is not None:
                self._summary.trains.setdefault(name, call)

    def _helper(self, call: ast.Call, fn: ast.AST, skip: int, state: _State) -> None:
        summary = self.summaries.get(id(fn))
        if summary is None:
            return
        bound: list[tuple[str, ast.expr]] = []
        params = summary.params[skip:]
        for i, arg in enumerate(call.args):
            if isinstance(arg, ast.Starred):
                return
            if i < len(params):
                bound.append((params[i], arg))
        for kw in call.keywords:
            if kw.arg is not None:
                bound.append((kw.arg, kw.value))
        fname = getattr(fn, "name", "?")
        for param, arg in bound:
            name = self.ctx.dotted(arg)
            if name is None or name not in state:
                continue
            modes = state[name]
            is_module = PARAM in modes or self.ctx.types.kind_of(arg) == TORCH_MODULE
            if not is_module:
                continue
            if param in summary.evaluates and set(modes) == {TRAIN} and self._is_sensitive(name, arg):
                use = summary.evaluates[param]
                why = modes[TRAIN]
                self._report(
                    call,
                    f"`{name}` is passed in training mode ({_why_train(self.ctx, why)}) to `{fname}`, "
                    f"which runs it under `torch.no_grad()`{_at(self.ctx, use)} without `.eval()`",
                    name,
                    why,
                )
            if param in summary.trains and EVAL in modes and self._is_sensitive(name, arg):
                use = summary.trains[param]
                why = modes[EVAL]
                self._report(
                    call,
                    f"`{fname}` trains `{name}`{_at(self.ctx, use)} without `.train()`, but "
                    f"`{name}` may still be in evaluation mode here (`{self.ctx.source(why)}`{_at(self.ctx, why)})",
                    name,
                    why,
                )
            if self._summary is not None and set(modes) == {PARAM}:
                if param in summary.evaluates:
                    self._summary.evaluates.setdefault(name, call)
                if param in summary.trains:
                    self._summary.trains.setdefault(name, call)
            if param in summary.ends:
                mode, _ = summary.ends[param]
                state[name] = {mode: call}

    def _trains(self, call: ast.Call, loop: ast.AST | None) -> bool:
        if loop is not None:
            known = self._loop_trains.get(id(loop))
            if known is None:
                known = self._loop_trains[id(loop)] = any(
                    _method(n, "backward") for n in _walk(getattr(loop, "body", []))
                )
            return known
        return self._training_scope

    def _report(self, node: ast.AST, message: str, name: str, why: ast.AST) -> None:
        key = getattr(node, "lineno", 0) * 10000 + getattr(node, "col_offset", 0)
        if key in self.found:
            return
        related: tuple[tuple[ast.AST, str], ...] = ()
        if hasattr(why, "lineno"):
            related = ((why, f"the mode of `{name}` is set here"),)
        self.found[key] = self.ctx.smell("MLD826", node, message, key=f"{name}|{message[:40]}", related=related)

    # ------------------------------------------------------------- sensitivity

    def _is_sensitive(self, name: str, node: ast.expr) -> bool:
        """Can the module's mode matter (dropout, batch-norm)? Unknown -> yes."""
        made = self.scopes.constructor(node)
        if made is None:
            return True
        return self._call_sensitive(made[1], 0)

    def _call_sensitive(self, call: ast.Call, depth: int) -> bool:
        name = self.ctx.call_name(call) or ""
        last = _last(name)
        if depth > 6:
            return True
        if name.startswith("torch.nn."):
            if any(w in last.lower() for w in _SENSITIVE_WORDS):
                return True
            if last in ("Sequential", "ModuleList", "ModuleDict"):
                return any(
                    isinstance(a, ast.Call) and self._call_sensitive(a, depth + 1)
                    for a in ast.walk(call)
                    if a is not call
                )
            return False
        if isinstance(call.func, ast.Name) and call.func.id in self._classes:
            return self._class_sensitive(call.func.id, depth + 1)
        return True

    def _class_sensitive(self, cls_name: str, depth: int) -> bool:
        if cls_name in self._sensitive:
            return self._sensitive[cls_name]
        self._sensitive[cls_name] = True  # recursion guard
        cls = self._classes[cls_name]
        result = False
        for base in cls.bases:
            q = self.ctx.qualify(base) or ""
            if q in ("torch.nn.Module", "torch.nn.modules.module.Module"):
                continue
            if isinstance(base, ast.Name) and base.id in self._classes:
                result = result or self._class_sensitive(base.id, depth + 1)
            else:
                result = True
        for node in ast.walk(cls):
            word = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
            if word and (any(w in word.lower() for w in _SENSITIVE_WORDS) or word == "training"):
                result = True
            if isinstance(node, ast.Call) and not result and isinstance(node.func, (ast.Name, ast.Attribute)):
                q = self.ctx.call_name(node) or ""
                if isinstance(node.func, ast.Name) and node.func.id in self._classes:
                    if node.func.id != cls_name:
                        result = self._class_sensitive(node.func.id, depth + 1)
                elif _last(q)[:1].isupper() and q.split(".")[0] not in ("torch", "math", "numpy", "super"):
                    result = True  # a block of unknown make (imported, or defined elsewhere)
        self._sensitive[cls_name] = result
        return result


def _false_arg(call: ast.Call) -> bool:
    args = [*call.args, *(k.value for k in call.keywords if k.arg == "mode")]
    return bool(args) and isinstance(args[0], ast.Constant) and args[0].value is False


def _why_train(ctx: FileContext, node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        return f"`{ctx.source(node)}`{_at(ctx, node)}"
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        return f"a new module starts in training mode, constructed{_at(ctx, node)}"
    return f"set{_at(ctx, node)}"


def train_eval_mode_not_toggled(ctx: FileContext) -> Iterator[Smell]:
    if not ctx.imports_any("torch"):
        return
    # a finding needs a no_grad evaluation, or an `.eval()` and a `.backward()`
    text = ctx.text
    evaluates = "no_grad" in text or "inference_mode" in text or "set_grad_enabled" in text
    if not evaluates and (".backward(" not in text or (".eval(" not in text and ".train(" not in text)):
        return
    yield from _ModeFlow(ctx).run()


# ------------------------------------------------------ MLD827 forward-called-directly


def forward_called_directly(ctx: FileContext) -> Iterator[Smell]:
    if not ctx.imports_any("torch") or ".forward(" not in ctx.text:
        return
    for node in ctx.walk():
        if not (_method(node, "forward") and isinstance(node, ast.Call)):
            continue
        assert isinstance(node.func, ast.Attribute)
        receiver = node.func.value
        if isinstance(receiver, ast.Call) and ctx.call_name(receiver) == "super":
            continue
        if isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
            continue
        if ctx.types.kind_of(receiver) != TORCH_MODULE:
            continue
        text = ctx.source(receiver)
        yield ctx.smell(
            "MLD827",
            node,
            f"`{text}.forward(...)` calls the torch module's `forward` directly: the module's hooks "
            f"(forward pre-hooks, forward hooks) are skipped",
            key=text,
        )


# ------------------------------------------------------ MLD828 gradients-not-cleared


def _optimizerish(ctx: FileContext, expr: ast.expr) -> bool:
    """An optimizer by type, or (type unknown) by name: `optimizer`, `self.optim`, `opt`."""
    kind = ctx.types.kind_of(expr)
    if kind is not None:
        return kind == OPTIMIZER
    last = (ctx.dotted(expr) or "").rsplit(".", 1)[-1].lower()
    return ("optim" in last or last == "opt") and "sched" not in last


def _optimizer_step(ctx: FileContext, call: ast.Call) -> bool:
    assert isinstance(call.func, ast.Attribute)
    receiver = call.func.value
    if _optimizerish(ctx, receiver):
        return not call.args or not _closure(ctx, call.args[0])
    last = (ctx.dotted(receiver) or "").rsplit(".", 1)[-1].lower()
    if "scaler" in last and call.args:  # `scaler.step(optimizer)` under AMP
        return _optimizerish(ctx, call.args[0])
    return False


def _closure(ctx: FileContext, arg: ast.expr) -> bool:
    return isinstance(arg, (ast.Name, ast.Lambda, ast.Attribute))  # `step(closure)`: LBFGS-style


def _clears(node: ast.AST) -> bool:
    if _method(node, "zero_grad", "clear_grad", "clear_gradients"):
        return True
    if _method(node, "zero_", "detach_", "requires_grad_") and isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Attribute)
        return any(isinstance(s, ast.Attribute) and s.attr == "grad" for s in ast.walk(node.func.value))
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Attribute) and t.attr == "grad" for t in node.targets)
    return False


def gradients_not_cleared(ctx: FileContext) -> Iterator[Smell]:
    if not ctx.imports_any("torch") or ".backward(" not in ctx.text or ".step(" not in ctx.text:
        return
    clearing = {fn.name for fn in ctx.functions if any(_clears(n) for n in _walk(fn.body))}
    both: dict[int, tuple[ast.Call, ast.Call]] = {}
    cleared: set[int] = set()
    loops = _loops_with_backward(ctx)
    for loop in loops:
        backward = step = None
        for n in _walk(loop.body):
            if _clears(n):
                cleared.add(id(loop))
            elif isinstance(n, ast.Call):
                if _method(n, "backward") and backward is None:
                    backward = n
                elif _method(n, "step") and step is None and _optimizer_step(ctx, n):
                    step = n
                else:
                    callee = n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", None)
                    if callee in clearing:
                        cleared.add(id(loop))
        if backward is not None and step is not None:
            both[id(loop)] = (backward, step)
    for loop in loops:
        if id(loop) not in both or id(loop) in cleared:
            continue
        if any(isinstance(n, _LOOPS) and n is not loop and id(n) in both for n in _walk(loop.body)):
            continue  # an inner loop holds both: that one is reported
        backward, step = both[id(loop)]
        assert isinstance(step.func, ast.Attribute)
        yield ctx.smell(
            "MLD828",
            backward,
            f"the loop{_at(ctx, loop)} calls `{ctx.source(backward)}` and "
            f"`{ctx.source(step)}`{_at(ctx, step)} but never clears the gradients: each "
            "iteration adds to the previous iterations' gradients",
            key=ctx.source(step),
            related=((step, "the optimizer steps on the accumulated gradients here"), (loop, "the loop")),
        )


# ------------------------------------------------------ MLD829 tensorarray-not-used

_TF_FUNCTION = frozenset({"tensorflow.function", "tensorflow.compat.v1.function", "tensorflow.compat.v2.function"})
_TF_BUILD = frozenset({"tensorflow.stack", "tensorflow.concat", "tensorflow.convert_to_tensor", "tensorflow.constant"})


def tensorarray_not_used(ctx: FileContext) -> Iterator[Smell]:
    if not ctx.imports_any("tensorflow"):
        return
    for fn in ctx.functions:
        decorators = [d.func if isinstance(d, ast.Call) else d for d in fn.decorator_list]
        if not any(ctx.qualify(d) in _TF_FUNCTION for d in decorators):
            continue
        body = list(_walk(fn.body))
        empty_lists = {
            t.id
            for n in body
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.List) and not n.value.elts
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        stacked = {
            sub.id
            for n in body
            if isinstance(n, ast.Call) and ctx.call_name(n) in _TF_BUILD
            for a in n.args
            for sub in ast.walk(a)
            if isinstance(sub, ast.Name)
        }
        for loop in (n for n in body if isinstance(n, _LOOPS)):
            for n in _walk(loop.body):
                if _method(n, "append") and isinstance(n, ast.Call):
                    assert isinstance(n.func, ast.Attribute)
                    lst = n.func.value
                    if isinstance(lst, ast.Name) and lst.id in empty_lists and lst.id in stacked:
                        yield ctx.smell(
                            "MLD829",
                            n,
                            f"`{ctx.source(n)}` grows a Python list in a loop inside `@tf.function` "
                            f"`{fn.name}` to build a tensor: the loop is unrolled into the graph (or fails "
                            "under AutoGraph)",
                            key=f"{fn.name}|{lst.id}",
                        )
                elif isinstance(n, ast.Assign) and isinstance(n.value, ast.Call):
                    if ctx.call_name(n.value) != "tensorflow.concat" or len(n.targets) != 1:
                        continue
                    target = n.targets[0]
                    if not isinstance(target, ast.Name):
                        continue
                    grown = any(
                        isinstance(s, ast.Name) and s.id == target.id for a in n.value.args for s in ast.walk(a)
                    )
                    if grown:
                        yield ctx.smell(
                            "MLD829",
                            n,
                            f"`{ctx.source(n)}` grows a tensor by concatenation in a loop inside "
                            f"`@tf.function` `{fn.name}`: every iteration copies it",
                            key=f"{fn.name}|{target.id}",
                        )


# ---------------------------------------------- MLD830 threshold-dependent-validation

_THRESHOLD_METRICS = frozenset(
    {
        "sklearn.metrics.accuracy_score",
        "sklearn.metrics.precision_score",
        "sklearn.metrics.recall_score",
        "sklearn.metrics.f1_score",
        "sklearn.metrics.fbeta_score",
        "sklearn.metrics.balanced_accuracy_score",
    }
)
_INDEPENDENT = (
    "roc_auc",
    "average_precision",
    "log_loss",
    "brier",
    "roc_curve",
    "precision_recall_curve",
    "RocCurveDisplay",
    "PrecisionRecallDisplay",
    "det_curve",
    "auc",
    "AUC",
    "neg_log_loss",
)
_PROBABILISTIC = frozenset(
    {
        "sklearn.linear_model.LogisticRegression",
        "sklearn.linear_model.LogisticRegressionCV",
        "sklearn.ensemble.RandomForestClassifier",
        "sklearn.ensemble.ExtraTreesClassifier",
        "sklearn.ensemble.GradientBoostingClassifier",
        "sklearn.ensemble.HistGradientBoostingClassifier",
        "sklearn.ensemble.AdaBoostClassifier",
        "sklearn.ensemble.BaggingClassifier",
        "sklearn.tree.DecisionTreeClassifier",
        "sklearn.neighbors.KNeighborsClassifier",
        "sklearn.naive_bayes.GaussianNB",
        "sklearn.naive_bayes.MultinomialNB",
        "sklearn.naive_bayes.BernoulliNB",
        "sklearn.naive_bayes.ComplementNB",
        "sklearn.neural_network.MLPClassifier",
        "sklearn.discriminant_analysis.LinearDiscriminantAnalysis",
        "sklearn.discriminant_analysis.QuadraticDiscriminantAnalysis",
        "sklearn.gaussian_process.GaussianProcessClassifier",
        "sklearn.calibration.CalibratedClassifierCV",
        "xgboost.XGBClassifier",
        "xgboost.sklearn.XGBClassifier",
        "lightgbm.LGBMClassifier",
        "catboost.CatBoostClassifier",
    }
)


_MULTICLASS_DATA = frozenset(
    {
        "sklearn.datasets.load_iris",
        "sklearn.datasets.load_digits",
        "sklearn.datasets.load_wine",
        "sklearn.datasets.fetch_covtype",
        "sklearn.datasets.fetch_20newsgroups",
        "sklearn.datasets.fetch_20newsgroups_vectorized",
        "sklearn.datasets.fetch_olivetti_faces",
        "sklearn.datasets.fetch_lfw_people",
    }
)
_MULTICLASS_NAMES = ("mnist", "fashion", "cifar", "iris", "digits", "letter", "covtype")


def _multiclass_data(ctx: FileContext) -> bool:
    """Does the file load a well-known multi-class data set (accuracy is the norm there)?"""
    for node in ctx.walk():
        if not isinstance(node, ast.Call):
            continue
        name = ctx.call_name(node) or ""
        if name in _MULTICLASS_DATA:
            return True
        if name.endswith(("fetch_openml", "load_data")) or ".datasets." in name:
            words = [name.lower()] + [
                a.value.lower()
                for a in [*node.args, *(k.value for k in node.keywords)]
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ]
            if any(m in w for w in words for m in _MULTICLASS_NAMES):
                return True
    return False


def _mentions_independent(ctx: FileContext) -> bool:
    for node in ctx.walk():
        word = ""
        if isinstance(node, ast.Name):
            word = node.id
        elif isinstance(node, ast.Attribute):
            word = node.attr
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 40:
            word = node.value
        elif isinstance(node, ast.alias):
            word = node.name
        if word and any(w in word for w in _INDEPENDENT):
            return True
    return False


def threshold_dependent_validation(ctx: FileContext) -> Iterator[Smell]:
    if not ctx.imports_any("sklearn"):
        return
    scopes = _Scopes(ctx)
    checked = False
    metrics = [n for n in ctx.walk() if isinstance(n, ast.Call) and ctx.call_name(n) in _THRESHOLD_METRICS]
    for node in sorted(metrics, key=lambda n: (n.lineno, n.col_offset)):
        average = next((k.value for k in node.keywords if k.arg == "average"), None)
        if average is not None and not (isinstance(average, ast.Constant) and average.value == "binary"):
            continue  # multi-class averaging: no single threshold to validate
        pred = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "y_pred"), None)
        if pred is None or any(isinstance(s, ast.Compare) for s in ast.walk(pred)):
            continue  # a hand-set cut of scores is MLD601's
        made = _predicted_by(ctx, scopes, pred)
        if made is None:
            continue
        if not checked:
            if _mentions_independent(ctx) or _multiclass_data(ctx):
                return
            checked = True
        cls = _last(made[0])
        metric = _last(ctx.call_name(node) or "")
        yield ctx.smell(
            "MLD830",
            node,
            f"`{metric}` scores the thresholded `predict` output of {cls}{_at(ctx, made[1])}, a "
            "probabilistic classifier, and no threshold-independent metric (ROC AUC, average precision, "
            "log loss, Brier score) is computed in this file",
            key=f"{metric}|{cls}",
            related=((made[1], f"{cls} is constructed here"),),
        )
        return  # one finding per file


def _predicted_by(ctx: FileContext, scopes: _Scopes, pred: ast.expr) -> tuple[str, ast.Call] | None:
    value: ast.expr | None = pred
    for _ in range(4):
        if isinstance(value, ast.Name):
            value = scopes.value(value.id, value)
        else:
            break
    if not (isinstance(value, ast.Call) and _method(value, "predict")):
        return None
    assert isinstance(value.func, ast.Attribute)
    if ctx.types.kind_of(value.func.value) != ESTIMATOR:
        return None
    made = scopes.constructor(value.func.value)
    if made is None or made[0] not in _PROBABILISTIC:
        return None
    return made


DETECTORS: tuple[Callable[[FileContext], Iterable[Smell | KeyUse]], ...] = (
    scaling_missing,
    hyperparameters_not_set,
    memory_not_freed,
    train_eval_mode_not_toggled,
    forward_called_directly,
    gradients_not_cleared,
    tensorarray_not_used,
    threshold_dependent_validation,
)
