"""Data leakage (MLD801-MLD804): a data-flow analysis over one scope, in statement order.

Every value carries a set of provenance tokens:
  root:NAME@L    data whose origin this scope does not see (a read, a parameter, a global)
  train:S test:S the train / test side of split S (train_test_split, or a CV splitter's folds)
  fitted:P       transformed by preprocessor P (fit_transform / transform)
  resampled:L    rows made by an oversampler or augmenter at line L
  pred:M         predictions of model M
A preprocessor's fit, a model's fit, a split and an evaluation are recorded with the tokens of
the data they touch; the leakage kinds are then questions about those records:
  MLD801  a preprocessor fit on data whose rows later reach a test side (or a cross-validation)
  MLD802  test rows reaching training: oversampling before the split, or a fit on test data
          that is evaluated on that test set afterwards
  MLD803  one test set used to select among models (evaluations in a loop that also fits)
  MLD804  a model evaluated only on the data it was fit on
The analysis is per function (or per notebook / script body): data passed to or returned from
other functions starts a new root, so what it cannot see it does not report.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from mldebt.parse.detectors.context import FUNCTIONS, FileContext
from mldebt.parse.facts import KeyUse, Smell

Tokens = frozenset[str]
_EMPTY: Tokens = frozenset()

# Preprocessors whose fit learns statistics of the rows it sees.
_PREP_MODULES = (
    "sklearn.preprocessing.",
    "sklearn.impute.",
    "sklearn.feature_selection.",
    "sklearn.decomposition.",
    "sklearn.feature_extraction.text.",
    "sklearn.manifold.",
    "category_encoders.",
    "sklearn.random_projection.",
    "sklearn.cross_decomposition.",
)
# Stateless or per-row transformers: fitting them learns nothing about other rows.
_STATELESS = frozenset(
    {
        "Normalizer",
        "FunctionTransformer",
        "PolynomialFeatures",
        "Binarizer",
        "HashingVectorizer",
        "SplineTransformer",
        "GaussianRandomProjection",
        "SparseRandomProjection",
    }
)
# Encoders that learn a vocabulary of categories, not statistics of the rows: fitting them on all
# data before the split is common and harmless enough (at worst, no unknown category in test).
_VOCABULARY = frozenset({"LabelEncoder", "LabelBinarizer", "MultiLabelBinarizer", "OneHotEncoder", "OrdinalEncoder"})
# Preprocessors that learn from the target: leakage through them inflates scores the most.
_SUPERVISED = ("sklearn.feature_selection.", "category_encoders.", "sklearn.preprocessing.TargetEncoder")
_SPLITTERS = frozenset(
    {
        "sklearn.model_selection.train_test_split",
        "sklearn.cross_validation.train_test_split",
    }
)
_CV_SPLITTERS = (
    "sklearn.model_selection.KFold",
    "sklearn.model_selection.StratifiedKFold",
    "sklearn.model_selection.GroupKFold",
    "sklearn.model_selection.RepeatedKFold",
    "sklearn.model_selection.RepeatedStratifiedKFold",
    "sklearn.model_selection.ShuffleSplit",
    "sklearn.model_selection.StratifiedShuffleSplit",
    "sklearn.model_selection.TimeSeriesSplit",
    "sklearn.model_selection.LeaveOneOut",
    "sklearn.model_selection.StratifiedGroupKFold",
)
_CV_EVALS = frozenset(
    {
        "sklearn.model_selection.cross_val_score",
        "sklearn.model_selection.cross_validate",
        "sklearn.model_selection.cross_val_predict",
        "sklearn.model_selection.learning_curve",
        "sklearn.model_selection.validation_curve",
    }
)
_SEARCHES = ("SearchCV", "CV")  # GridSearchCV, RandomizedSearchCV, HalvingGridSearchCV, LogisticRegressionCV
_RESAMPLERS = ("imblearn.",)
_MODEL_PACKAGES = ("sklearn.", "xgboost.", "lightgbm.", "catboost.", "imblearn.")
_METRICS = "sklearn.metrics."
_UNSUPERVISED = (
    "sklearn.cluster.",
    "sklearn.mixture.",
    "sklearn.decomposition.",
    "sklearn.manifold.",
    "sklearn.neighbors.NearestNeighbors",
    "sklearn.neighbors.KernelDensity",
    "sklearn.neighbors.LocalOutlierFactor",
    "sklearn.ensemble.IsolationForest",
    "sklearn.svm.OneClassSVM",
    "sklearn.covariance.",
)
_SCORE_METHODS = frozenset({"score", "evaluate"})
_PREDICT_METHODS = frozenset({"predict", "predict_proba", "predict_log_proba", "decision_function"})


@dataclass
class _Fit:
    name: str  # the variable (or "<inline>")
    cls: str  # qualified class
    node: ast.expr
    data: Tokens
    in_loop: ast.AST | None = None


@dataclass
class _Eval:
    model: str
    node: ast.expr
    data: Tokens
    loop: ast.AST | None


@dataclass
class _Split:
    node: ast.expr
    sid: str
    inputs: Tokens


@dataclass
class _Scope:
    env: dict[str, Tokens] = field(default_factory=dict)
    classes: dict[str, str] = field(default_factory=dict)  # variable -> qualified estimator class
    ident: dict[str, str] = field(default_factory=dict)  # variable -> the estimator object it holds now
    versions: dict[str, int] = field(default_factory=dict)
    prep_fits: dict[str, _Fit] = field(default_factory=dict)  # preprocessor var -> its (last) fit
    model_fits: dict[str, list[_Fit]] = field(default_factory=dict)
    evals: list[_Eval] = field(default_factory=list)
    splits: dict[str, _Split] = field(default_factory=dict)
    resamples: dict[str, ast.AST] = field(default_factory=dict)  # token -> node
    escaped: set[str] = field(default_factory=set)  # models handed to code we do not see
    cv_evaluated: set[str] = field(default_factory=set)
    reported: set[int] = field(default_factory=set)


def _roots(tokens: Tokens) -> Tokens:
    return frozenset(t for t in tokens if t.startswith("root:"))


def _signature(tokens: Tokens) -> Tokens:
    """Which rows: the sources, the split sides and slices (not what was done to them)."""
    return frozenset(t for t in tokens if t.startswith(("root:", "train:", "test:", "resampled:", "slice:")))


def _shown(ident: str) -> str:
    """An estimator's name in messages: `m` for the second object bound to `m` too."""
    name = ident.split("#", 1)[0]
    if name.startswith("<"):
        return name[1:].split("@", 1)[0] + "(...)"
    return name


class _Analysis:
    def __init__(self, ctx: FileContext, scope: ast.AST) -> None:
        self.ctx = ctx
        self.scope = scope
        self.s = _Scope()
        self.smells: list[Smell] = []
        self.loops: list[ast.AST] = []

    # ------------------------------------------------------------ driving

    def run(self) -> list[Smell]:
        body = scope_body(self.scope)
        self.block(body)
        self.finish()
        return self.smells

    def block(self, stmts: list[ast.stmt]) -> None:
        for stmt in stmts:
            self.statement(stmt)

    def statement(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, (*FUNCTIONS, ast.ClassDef)):
            return
        if isinstance(stmt, ast.Assign):
            value = self.expr(stmt.value)
            for target in stmt.targets:
                self.bind(target, stmt.value, value)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.bind(stmt.target, stmt.value, self.expr(stmt.value))
        elif isinstance(stmt, ast.AugAssign):
            tokens = self.expr(stmt.value) | self.expr(stmt.target)
            self.bind(stmt.target, stmt.value, tokens)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            self.for_loop(stmt)
        elif isinstance(stmt, ast.While):
            self.expr(stmt.test)
            self.loops.append(stmt)
            self.block(stmt.body)
            self.loops.pop()
            self.block(stmt.orelse)
        elif isinstance(stmt, ast.If):
            self.expr(stmt.test)
            self.block(stmt.body)
            self.block(stmt.orelse)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                tokens = self.expr(item.context_expr)
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, None, tokens)
            self.block(stmt.body)
        elif isinstance(stmt, ast.Try):
            self.block(stmt.body)
            for handler in stmt.handlers:
                self.block(handler.body)
            self.block(stmt.orelse)
            self.block(stmt.finalbody)
        elif isinstance(stmt, ast.Expr):
            self.expr(stmt.value)
        elif isinstance(stmt, ast.Return) and stmt.value is not None:
            self.escape(stmt.value)
            self.expr(stmt.value)
        else:
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.expr):
                    self.expr(child)

    def for_loop(self, stmt: ast.For | ast.AsyncFor) -> None:
        it = stmt.iter
        tokens = self.expr(it)
        folds = self.cv_folds(it)
        if folds is not None and isinstance(stmt.target, ast.Tuple) and len(stmt.target.elts) == 2:
            sid = folds
            train_t, test_t = stmt.target.elts
            self.bind(train_t, None, frozenset({f"train:{sid}"}))
            self.bind(test_t, None, frozenset({f"test:{sid}"}))
        else:
            self.bind(stmt.target, None, tokens)
        self.loops.append(stmt)
        self.block(stmt.body)
        self.loops.pop()
        self.block(stmt.orelse)

    def cv_folds(self, it: ast.expr) -> str | None:
        """`kf.split(X, y)` of a CV splitter: the loop walks its folds (split id returned)."""
        if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr == "split"):
            return None
        receiver = it.func.value
        cls = None
        if isinstance(receiver, ast.Name):
            cls = self.s.classes.get(receiver.id)
        elif isinstance(receiver, ast.Call):
            cls = self.ctx.qualify(receiver.func)
        if cls is None or not cls.startswith(_CV_SPLITTERS):
            return None
        sid = f"{it.lineno}"
        inputs = frozenset().union(*(self.tokens_of(a) for a in it.args)) if it.args else _EMPTY
        self.s.splits[sid] = _Split(it, sid, inputs)
        self.check_split(self.s.splits[sid], it.args, "are then split into cross-validation folds by")
        return sid

    # --------------------------------------------------------- expressions

    def tokens_of(self, node: ast.expr) -> Tokens:
        """The provenance of an expression, without recording events."""
        return self.combine(node, {})

    def name_tokens(self, name: str) -> Tokens:
        if name in self.s.classes or (name in self.ctx.aliases and name not in self.s.env):
            return _EMPTY  # an estimator object or an imported module is not data
        known = self.s.env.get(name)
        return known if known is not None else frozenset({f"root:{name}"})

    def expr(self, node: ast.expr) -> Tokens:
        """Evaluate an expression for its provenance, recording fits, splits and evaluations."""
        # inner calls first, in evaluation order
        calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
        results: dict[int, Tokens] = {}
        for call in sorted(calls, key=lambda c: (c.end_lineno or 0, c.end_col_offset or 0)):
            results[id(call)] = self.call(call, results)
        return self.combine(node, results)

    def combine(self, node: ast.expr, results: dict[int, Tokens]) -> Tokens:
        if isinstance(node, ast.Call) and id(node) in results:
            return results[id(node)]
        if isinstance(node, ast.Name):
            return self.name_tokens(node.id)
        if isinstance(node, (ast.Lambda, ast.Constant)):
            return _EMPTY
        out: set[str] = set()
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            out.add(f"slice:{ast.unparse(node.slice)}")  # X[:1000] and X[1000:] are other rows
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                out |= self.combine(child, results)
        return frozenset(out)

    def arg_tokens(self, call: ast.Call, results: dict[int, Tokens]) -> list[Tokens]:
        return [self.combine(a.value if isinstance(a, ast.Starred) else a, results) for a in call.args]

    def call(self, call: ast.Call, results: dict[int, Tokens]) -> Tokens:
        name = self.ctx.qualify(call.func) or ""
        args = self.arg_tokens(call, results)
        everything = frozenset().union(*args, *(self.combine(k.value, results) for k in call.keywords))
        if name in _CV_EVALS:
            self.cross_validation(call, args)
            return everything
        if name.startswith(_METRICS):
            data = frozenset(t for t in everything if not t.startswith("pred:"))
            for model in sorted({t.removeprefix("pred:") for t in everything if t.startswith("pred:")}):
                self.record_eval(model, call, data)
            return _EMPTY
        if isinstance(call.func, ast.Attribute):
            method = call.func.attr
            receiver = call.func.value
            cls, var = self.estimator_of(receiver)
            if cls is not None:
                return self.estimator_call(call, cls, var, method, args, everything)
            receiver_tokens = self.combine(receiver, results)
            return receiver_tokens | everything
        if name and self.ctx.aliases.get(name.split(".")[0]) is None and "." not in name:
            # a call of this file's own function or a builtin: a model passed may be evaluated there
            for a in call.args:
                self.escape(a)
        if _transparent(name):
            return everything
        # What a reader or a function returns is data of its own: `load("train.pkl")` and
        # `load("val.pkl")` are other rows, though both came through `load` and `data_dir`.
        return everything | {f"root:{call.lineno}:{call.col_offset}"}

    def estimator_of(self, receiver: ast.expr) -> tuple[str | None, str]:
        if isinstance(receiver, ast.Name) and receiver.id in self.s.classes:
            return self.s.classes[receiver.id], self.s.ident.get(receiver.id, receiver.id)
        if isinstance(receiver, ast.Call):
            cls = self.effective_class(receiver)
            if cls is not None:
                return cls, f"<{cls.rsplit('.', 1)[-1]}@{receiver.lineno}>"
        return None, ""

    def effective_class(self, call: ast.Call) -> str | None:
        """The estimator class a constructor call makes; a pipeline counts as its last step, a
        column transformer or feature union as a preprocessor."""
        cls = self.ctx.qualify(call.func)
        if cls is None:
            return None
        last = cls.rsplit(".", 1)[-1]
        if last in ("ColumnTransformer", "make_column_transformer", "FeatureUnion", "make_union"):
            return "sklearn.preprocessing.<ColumnTransformer>" if cls.startswith("sklearn.") else None
        if cls in ("sklearn.pipeline.Pipeline", "sklearn.pipeline.make_pipeline", "imblearn.pipeline.Pipeline"):
            step: ast.expr | None = None
            if last == "make_pipeline" and call.args:
                step = call.args[-1]
            elif call.args and isinstance(call.args[0], ast.List) and call.args[0].elts:
                pair = call.args[0].elts[-1]
                if isinstance(pair, ast.Tuple) and len(pair.elts) >= 2:
                    step = pair.elts[1]
            inner = self.effective_class(step) if isinstance(step, ast.Call) else None
            return inner if inner is not None and _is_prep(inner) else "sklearn.pipeline.Pipeline"
        if _is_estimator_class(cls) or cls.startswith(_CV_SPLITTERS):
            return cls
        return None

    def estimator_call(
        self, call: ast.Call, cls: str, var: str, method: str, args: list[Tokens], everything: Tokens
    ) -> Tokens:
        data = args[0] if args else _EMPTY
        if _is_prep(cls):
            if method in ("fit", "fit_transform") and args:
                fit = _Fit(var, cls, call, frozenset().union(*args[:2]), self.loops[-1] if self.loops else None)
                self.s.prep_fits[var] = fit
                if method == "fit":
                    return _EMPTY
                return data | {f"fitted:{var}"}
            if method == "transform":
                out = data | {f"fitted:{var}"}
                self.check_transform(var, call, out)
                return out
            return everything
        if cls.startswith(_RESAMPLERS) and method == "fit_resample":
            token = f"resampled:{call.lineno}"
            self.s.resamples[token] = call
            return everything | {token}
        if method in ("fit", "fit_transform", "fit_predict"):
            fit = _Fit(var, cls, call, frozenset().union(*args[:2]), self.loops[-1] if self.loops else None)
            self.s.model_fits.setdefault(var, []).append(fit)
            self.s.escaped.discard(var)
            if cls.rsplit(".", 1)[-1].endswith(_SEARCHES):
                self.check_cv_data(call, fit.data)
            if method == "fit":
                return _EMPTY
            return data | {f"pred:{var}" if method == "fit_predict" else f"fitted:{var}"}
        if method in _PREDICT_METHODS:
            return data | {f"pred:{var}"}
        if method in _SCORE_METHODS and args:
            self.record_eval(var, call, frozenset().union(*args))
            return _EMPTY
        return everything

    # ------------------------------------------------------------ bindings

    def bind(self, target: ast.expr, value: ast.expr | None, tokens: Tokens) -> None:
        if isinstance(target, ast.Name):
            self.s.env[target.id] = tokens
            self.s.classes.pop(target.id, None)
            self.s.ident.pop(target.id, None)
            if isinstance(value, ast.Call):
                cls = self.effective_class(value)
                if cls is not None:
                    self.s.classes[target.id] = cls
                    self.s.env[target.id] = _EMPTY
                    self.new_ident(target.id)
                elif (
                    isinstance(value.func, ast.Attribute)
                    and value.func.attr in ("fit", "set_params")
                    and isinstance(value.func.value, ast.Call)
                ):
                    inner = self.effective_class(value.func.value)
                    if inner is not None:
                        # `m = Model().fit(X, y)`: rename the inline estimator's records to `m`
                        self.rename(f"<{inner.rsplit('.', 1)[-1]}@{value.func.value.lineno}>", target.id, inner)
            elif isinstance(value, ast.Name) and value.id in self.s.classes:
                self.s.classes[target.id] = self.s.classes[value.id]
                self.s.ident[target.id] = self.s.ident.get(value.id, value.id)
            return
        if (
            isinstance(target, (ast.Tuple, ast.List))
            and len(target.elts) == 2
            and isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id == "next"
            and value.args
        ):
            folds = self.cv_folds(value.args[0])  # `train_idx, test_idx = next(cv.split(X, y))`
            if folds is not None:
                self.bind(target.elts[0], None, frozenset({f"train:{folds}"}))
                self.bind(target.elts[1], None, frozenset({f"test:{folds}"}))
                return
        if isinstance(target, (ast.Tuple, ast.List)):
            split = self.split_of(value)
            if split is not None:
                self.bind_split(target, value, split)
                return
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts):
                for t, v in zip(target.elts, value.elts, strict=True):
                    self.bind(t, v, self.tokens_of(v))
                return
            for t in target.elts:
                self.bind(t.value if isinstance(t, ast.Starred) else t, None, tokens)
            return
        if isinstance(target, (ast.Subscript, ast.Attribute)):
            # df["x"] = ... or obj.attr = ...: the container now also holds this data
            base: ast.expr = target
            while isinstance(base, (ast.Subscript, ast.Attribute)):
                base = base.value
            if isinstance(base, ast.Name):
                self.s.env[base.id] = self.s.env.get(base.id, frozenset({f"root:{base.id}"})) | tokens

    def new_ident(self, name: str) -> str:
        n = self.s.versions.get(name, 0) + 1
        self.s.versions[name] = n
        ident = name if n == 1 else f"{name}#{n}"
        self.s.ident[name] = ident
        return ident

    def rename(self, old: str, name: str, cls: str) -> None:
        self.s.classes[name] = cls
        self.s.env[name] = _EMPTY
        new = self.new_ident(name)
        if old in self.s.prep_fits:
            fit = self.s.prep_fits.pop(old)
            fit.name = new
            self.s.prep_fits[new] = fit
        if old in self.s.model_fits:
            fits = self.s.model_fits.pop(old)
            for f in fits:
                f.name = new
            self.s.model_fits.setdefault(new, []).extend(fits)

    def split_of(self, value: ast.expr | None) -> ast.Call | None:
        if isinstance(value, ast.Call) and self.ctx.qualify(value.func) in _SPLITTERS:
            return value
        return None

    def bind_split(self, target: ast.Tuple | ast.List, value: ast.expr | None, call: ast.Call) -> None:
        sid = f"{call.lineno}:{call.col_offset}"
        arrays = [a for a in call.args if not isinstance(a, ast.Starred)]
        inputs = [self.tokens_of(a) for a in arrays]
        split = _Split(call, sid, frozenset().union(*inputs) if inputs else _EMPTY)
        self.s.splits[sid] = split
        self.check_split(split, arrays)
        elts = target.elts
        if len(elts) == 2 * len(arrays):
            for i, toks in enumerate(inputs):
                self.bind(elts[2 * i], None, toks | {f"train:{sid}"})
                self.bind(elts[2 * i + 1], None, toks | {f"test:{sid}"})
        else:
            for t in elts:
                self.bind(t, None, split.inputs)

    def escape(self, node: ast.expr) -> None:
        """A model handed to code we do not see may be evaluated there."""
        todo = [node]
        while todo:
            sub = todo.pop()
            if isinstance(sub, ast.Name) and sub.id in self.s.classes:
                self.s.escaped.add(self.s.ident.get(sub.id, sub.id))
            elif isinstance(sub, (ast.List, ast.Tuple, ast.Set)):
                todo.extend(sub.elts)
            elif isinstance(sub, ast.Dict):
                todo.extend(v for v in sub.values if v is not None)
            elif isinstance(sub, ast.Starred):
                todo.append(sub.value)

    # -------------------------------------------------------------- checks

    def check_split(
        self, split: _Split, arrays: list[ast.expr], how: str = "are then split into train and test by"
    ) -> None:
        """Data reaching a split already carries a preprocessor's statistics, or resampled rows."""
        for token in sorted(split.inputs):
            if token.startswith("fitted:"):
                prep = token.removeprefix("fitted:")
                fit = self.s.prep_fits.get(prep)
                if fit is not None and not _is_split_side(fit.data):
                    self.report_prep(fit, split.node, how)
            elif token.startswith("resampled:"):
                node = self.s.resamples.get(token)
                if node is not None and id(node) not in self.s.reported:
                    self.s.reported.add(id(node))
                    self.smells.append(
                        self.ctx.smell(
                            "MLD802",
                            node,
                            f"`{self.ctx.source(node)}` makes new rows before the split "
                            f"(`{self.ctx.source(split.node)}`): copies and synthetic neighbours of training rows "
                            "land in the test set",
                            key=f"resample:{self.ctx.source(node)}",
                            related=((split.node, "the resampled data is split here"),),
                        )
                    )

    def check_transform(self, prep: str, call: ast.Call, out: Tokens) -> None:
        """A preprocessor fit on all rows transforms a test side: the test rows were in its fit."""
        fit = self.s.prep_fits.get(prep)
        if fit is None or _is_split_side(fit.data):
            return
        for token in out:
            if token.startswith("test:"):
                split = self.s.splits.get(token.removeprefix("test:"))
                if (
                    split is not None
                    and _roots(fit.data) & _roots(split.inputs)
                    and fit.node.lineno < split.node.lineno
                ):
                    self.report_prep(fit, split.node, "are then split into train and test by")
                    return

    def check_cv_data(self, call: ast.Call, data: Tokens) -> None:
        for token in sorted(data):
            if token.startswith("fitted:"):
                fit = self.s.prep_fits.get(token.removeprefix("fitted:"))
                if fit is not None and not _is_split_side(fit.data):
                    self.report_prep(fit, call, "are then cross-validated by")

    def cross_validation(self, call: ast.Call, args: list[Tokens]) -> None:
        if call.args and isinstance(call.args[0], ast.Name):
            self.s.cv_evaluated.add(self.s.ident.get(call.args[0].id, call.args[0].id))
        data = frozenset().union(*args[1:3]) if len(args) > 1 else _EMPTY
        self.check_cv_data(call, data)

    def report_prep(self, fit: _Fit, where: ast.AST, how: str) -> None:
        if id(fit.node) in self.s.reported:
            return
        self.s.reported.add(id(fit.node))
        cls = fit.cls.rsplit(".", 1)[-1].strip("<>")
        supervised = fit.cls.startswith(_SUPERVISED)
        # Scaling before cross-validation leaks little (means and variances of the other folds);
        # selecting features or encoding targets on them leaks a lot.
        confidence = "medium" if "cross-validat" in how and not supervised else ""
        learns = "learns from the target and the features of" if supervised else "learns its statistics from"
        self.smells.append(
            self.ctx.smell(
                "MLD801",
                fit.node,
                f"`{cls}` {learns} rows that {how} `{self.ctx.source(where)}`: "
                "the evaluation sees data the preprocessing was fit on",
                key=f"prep:{cls}:{self.ctx.source(fit.node)}",
                related=((where, "the rows it was fit on reach the evaluation here"),),
                confidence=confidence,
                data=(("supervised", "yes" if supervised else "no"),),
            )
        )

    def record_eval(self, model: str, node: ast.expr, data: Tokens) -> None:
        self.s.evals.append(_Eval(model, node, data, self.loops[-1] if self.loops else None))

    # --------------------------------------------------------------- finish

    def finish(self) -> None:
        self.fit_on_test()
        self.model_selection_on_test()
        self.evaluation_on_training_data()

    def fit_on_test(self) -> None:
        for name, fits in sorted(self.s.model_fits.items()):
            for fit in fits:
                tests = {t.removeprefix("test:") for t in fit.data if t.startswith("test:")}
                if not tests:
                    continue
                later = [
                    e
                    for e in self.s.evals
                    if e.model == name
                    and e.node.lineno > fit.node.lineno
                    and any(f"test:{sid}" in e.data for sid in tests)
                ]
                if not later:
                    continue  # a final refit on all data after the evaluation is good practice
                if id(fit.node) in self.s.reported:
                    continue
                self.s.reported.add(id(fit.node))
                ev = later[0]
                self.smells.append(
                    self.ctx.smell(
                        "MLD802",
                        fit.node,
                        f"`{_shown(name)}` is fit on rows of a test set and then evaluated on that test set "
                        f"(`{self.ctx.source(ev.node)}`)",
                        key=f"fit-on-test:{_shown(name)}",
                        related=((ev.node, "evaluated on the same test rows here"),),
                    )
                )

    def model_selection_on_test(self) -> None:
        """Evaluations on one test set inside a loop that also fits: choosing by the test score.

        A held-out set used only inside the loop is a validation set (early stopping, tuning):
        the smell is the same set also giving the final estimate after the loop, or a set the
        code itself calls a test set.
        """
        for ev in self.s.evals:
            if ev.loop is None or id(ev.loop) in self.s.reported:
                continue
            tests = sorted(t for t in ev.data if t.startswith("test:"))
            if not tests:
                continue
            sid = tests[0].removeprefix("test:")
            split = self.s.splits.get(sid)
            if split is None or _within(split.node, ev.loop):
                continue  # a fresh split per iteration (repeated hold-out): not one reused test set
            fits_in_loop = [
                f
                for fits in self.s.model_fits.values()
                for f in fits
                if f.in_loop is not None and _within(f.node, ev.loop)
            ]
            if not fits_in_loop:
                continue
            final = [
                e
                for e in self.s.evals
                if e.loop is None and f"test:{sid}" in e.data and e.node.lineno > (ev.loop.end_lineno or 0)  # type: ignore[attr-defined]
            ]
            hint = self.ctx.source(ev.node).lower()
            if "val" in hint and "test" not in hint:
                continue  # the code calls it a validation set: selecting on it is its purpose
            if not final and "test" not in hint:
                continue
            self.s.reported.add(id(ev.loop))
            related: list[tuple[ast.AST, str]] = [
                (fits_in_loop[0].node, "a candidate is fit in the loop here"),
                (split.node, "the test set is split off here"),
            ]
            if final:
                related.append((final[0].node, "and the same test set gives the final estimate here"))
            self.smells.append(
                self.ctx.smell(
                    "MLD803",
                    ev.node,
                    f"one test set scores every candidate fit in this loop (`{self.ctx.source(ev.node)}`): "
                    "choosing among them by it leaves no untouched data for the final estimate",
                    key=f"multi-test:{self.ctx.source(ev.node)}",
                    related=tuple(related),
                )
            )

    def evaluation_on_training_data(self) -> None:
        by_model: dict[str, list[_Eval]] = {}
        for ev in self.s.evals:
            by_model.setdefault(ev.model, []).append(ev)
        for name, evals in sorted(by_model.items()):
            fits = self.s.model_fits.get(name)
            if not fits or name in self.s.escaped or name in self.s.cv_evaluated:
                continue
            fit = fits[-1]
            if fit.cls.startswith(_UNSUPERVISED):
                continue  # clustering and density models are scored on the data they describe
            fit_sig = _signature(fit.data)
            if not fit_sig or any(t.startswith("test:") for t in fit_sig):
                continue  # fit on test rows: MLD802's finding
            if all(_signature(e.data) == fit_sig for e in evals):
                ev = evals[0]
                self.smells.append(
                    self.ctx.smell(
                        "MLD804",
                        ev.node,
                        f"`{_shown(name)}` is evaluated only on the data it was fit on: "
                        "the score measures memory, not generalisation",
                        key=f"train-eval:{_shown(name)}",
                        related=((fit.node, "fit on this data"),),
                    )
                )


def _is_split_side(tokens: Tokens) -> bool:
    return any(t.startswith("train:") for t in tokens)


def _within(node: ast.AST, outer: ast.AST) -> bool:
    start: int = getattr(outer, "lineno", 0)
    end: int = getattr(outer, "end_lineno", None) or start
    return start <= getattr(node, "lineno", -1) <= end


def _is_prep(cls: str) -> bool:
    last = cls.rsplit(".", 1)[-1]
    return cls.startswith(_PREP_MODULES) and last[:1].isupper() and last not in _STATELESS | _VOCABULARY


_TRANSPARENT_BUILTINS = frozenset({"list", "tuple", "sorted", "reversed", "zip", "dict", "set", "enumerate"})


def _transparent(name: str) -> bool:
    """Calls whose result is rows of their arguments (concatenations, conversions, arithmetic)."""
    if name in _TRANSPARENT_BUILTINS:
        return True
    if name.startswith(("numpy.", "pandas.", "torch.", "scipy.")):
        last = name.rsplit(".", 1)[-1]
        return not last.startswith(("read_", "load", "from_", "fromfile", "genfromtxt")) and ".random." not in name
    return False


def _is_estimator_class(cls: str) -> bool:
    last = cls.rsplit(".", 1)[-1]
    if not last[:1].isupper():
        return False
    if cls.startswith("sklearn.model_selection.") and not last.endswith(_SEARCHES):
        return False
    if ".metrics." in cls:
        return False
    return cls.startswith(_MODEL_PACKAGES) or cls.startswith(_PREP_MODULES)


def scope_body(scope: ast.AST) -> list[ast.stmt]:
    return list(getattr(scope, "body", []))


def data_leakage(ctx: FileContext) -> Iterator[Smell]:
    if not ctx.imports_any("sklearn", "imblearn", "category_encoders", "xgboost", "lightgbm", "catboost"):
        return
    scopes: list[ast.AST] = [ctx.tree, *ctx.functions]
    for scope in scopes:
        yield from _Analysis(ctx, scope).run()


DETECTORS: tuple[Callable[[FileContext], Iterable[Smell | KeyUse]], ...] = (data_leakage,)
