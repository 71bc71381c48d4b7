"""MLD830 threshold-dependent-validation: a probabilistic classifier validated only with threshold-dependent metrics."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.frameworks import Scopes, at_line, is_method_call, last_part
from mldebt.parse.detectors.types import ESTIMATOR
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class ThresholdDependentValidation(FileRule):
    id = "MLD830"
    name = "threshold-dependent-validation"


# detection ------------------------------------------------------------------------------


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


def detect(ctx: FileContext) -> Iterator[Smell]:
    if not ctx.imports_any("sklearn"):
        return
    scopes = Scopes(ctx)
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
        cls = last_part(made[0])
        metric = last_part(ctx.call_name(node) or "")
        yield ctx.smell(
            "MLD830",
            node,
            f"`{metric}` scores the thresholded `predict` output of {cls}{at_line(ctx, made[1])}, a "
            "probabilistic classifier, and no threshold-independent metric (ROC AUC, average precision, "
            "log loss, Brier score) is computed in this file",
            key=f"{metric}|{cls}",
            related=((made[1], f"{cls} is constructed here"),),
        )
        return  # one finding per file


def _predicted_by(ctx: FileContext, scopes: Scopes, pred: ast.expr) -> tuple[str, ast.Call] | None:
    value: ast.expr | None = pred
    for _ in range(4):
        if isinstance(value, ast.Name):
            value = scopes.value(value.id, value)
        else:
            break
    if not (isinstance(value, ast.Call) and is_method_call(value, "predict")):
        return None
    assert isinstance(value.func, ast.Attribute)
    if ctx.types.kind_of(value.func.value) != ESTIMATOR:
        return None
    made = scopes.constructor(value.func.value)
    if made is None or made[0] not in _PROBABILISTIC:
        return None
    return made
