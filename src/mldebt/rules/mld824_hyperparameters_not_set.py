"""MLD824 hyperparameters-not-set: estimators and optimizers whose defaults are known to be poor or
to have changed across releases, constructed with every key hyper-parameter left at its default."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.frameworks import NESTED, last_part
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class HyperparametersNotSet(FileRule):
    id = "MLD824"
    name = "hyperparameters-not-set"


# detection ------------------------------------------------------------------------------


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
        if isinstance(node, ast.Call) and last_part(ctx.call_name(node) or "").endswith(_SEARCHES):
            first = node.args[:1] + [k.value for k in node.keywords if k.arg == "estimator"]
            out.update(a.id for a in first if isinstance(a, ast.Name))
    return out


def _tuned(ctx: FileContext, node: ast.Call, searched: set[str]) -> bool:
    """Is the construction inside a search call, or bound to a name a search receives?"""
    for a in ctx.ancestors(node):
        if isinstance(a, ast.Call) and last_part(ctx.call_name(a) or "").endswith(_SEARCHES):
            return True
        if isinstance(a, ast.Assign):
            return any(isinstance(t, ast.Name) and t.id in searched for t in a.targets)
        if isinstance(a, (ast.stmt, *NESTED)):
            return False
    return False


def detect(ctx: FileContext) -> Iterator[Smell]:
    if not ctx.imports_any("sklearn", "torch") or not any(last_part(n) in ctx.text for n in _HYPER_DEFAULTS):
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
        cls = last_part(name)
        yield ctx.smell(
            "MLD824",
            node,
            f"`{ctx.source(node)}` leaves every key hyper-parameter of {cls} at its default "
            f"({', '.join(defaults.keys[:3])}{', ...' if len(defaults.keys) > 3 else ''}): {defaults.why}",
            key=name,
        )
