"""The leakage data flow that MLD801-MLD805 share (`flow_of`, once per file; each rule's
question, the code that decides its finding and words it, is `detect` in its rule module), and
the function summaries it yields for the project phase (`detect` here emits them).

The analysis runs over one scope at a time, in statement order. Every value carries a set of
provenance tokens:
  root:NAME@L    data whose origin this scope does not see (a read, a parameter, a global)
  train:S test:S the train / test side of split S (train_test_split, or a CV splitter's folds)
  fitted:P       transformed by preprocessor P (fit_transform / transform)
  resampled:L    rows made by an oversampler or augmenter at line L
  pred:M|N       predictions of model M after its N-th fit
  ext:K[.I]      what the imported function of summary event K returned (element I of a tuple)
A preprocessor's fit, a model's fit, a split and an evaluation are recorded with the tokens of
the data they touch (`FlowState`); rows that carry a fit's, a statistic's or a resampling's
knowledge into a split or cross-validation are recorded as they flow (`Leak`, one per fit,
statistic or resampling), and so is every refit of a preprocessor (`Refit`). The rules ask:
  MLD801  a preprocessor fit on data whose rows later reach a test side (or a cross-validation)
  MLD802  test rows reaching training: oversampling before the split, or a fit on test data
          that is evaluated on that test set afterwards
  MLD803  one test set used to select among models (evaluations in a loop that also fits)
  MLD804  a model evaluated only on the data it was fit on
  MLD805  a preprocessor fit again on a test side
The analysis is per function (or per notebook / script body), and each yields a summary
(`LeakSummary`: its steps on its parameters and `self` attributes, in statement order, and what
it returns). A call of the file's own function, method or instance replays the callee's summary
at the call (`ScopeFlow.apply`); a call of an imported function is recorded for the project phase
(graph/leakage.py), and its result starts a new root here. What it cannot see it does not report.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from mldebt.parse.detectors.context import FUNCTIONS, FileContext
from mldebt.parse.facts import FileFacts, LeakEvent, LeakSummary, Span

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
SUPERVISED = ("sklearn.feature_selection.", "category_encoders.", "sklearn.preprocessing.TargetEncoder")
_SPLITTERS = frozenset(
    {
        "sklearn.model_selection.train_test_split",
        "sklearn.cross_validation.train_test_split",
        "torch.utils.data.random_split",
        "torch.utils.data.dataset.random_split",
    }
)
# Splitter classes, in today's `model_selection` and in the old `cross_validation` module (whose
# `KFold(n, n_folds)` / `StratifiedKFold(y, n_folds)` objects are iterated directly).
_CV_SPLITTER_NAMES = (
    "KFold",
    "StratifiedKFold",
    "GroupKFold",
    "RepeatedKFold",
    "RepeatedStratifiedKFold",
    "ShuffleSplit",
    "StratifiedShuffleSplit",
    "GroupShuffleSplit",
    "TimeSeriesSplit",
    "LeaveOneOut",
    "LeavePOut",
    "LeaveOneGroupOut",
    "LeavePGroupsOut",
    "LeaveOneLabelOut",
    "LeavePLabelOut",
    "LabelKFold",
    "LabelShuffleSplit",
    "PredefinedSplit",
    "StratifiedGroupKFold",
)
_CV_SPLITTERS = tuple(
    f"sklearn.{module}.{name}" for module in ("model_selection", "cross_validation") for name in _CV_SPLITTER_NAMES
)
_CV_EVALS = frozenset(
    f"sklearn.{module}.{name}"
    for module in ("model_selection", "cross_validation", "learning_curve")
    for name in ("cross_val_score", "cross_validate", "cross_val_predict", "learning_curve", "validation_curve")
)
# Statistics of the rows they are computed on (pandas / NumPy methods and functions).
_STAT_METHODS = frozenset(
    {"mean", "median", "mode", "std", "var", "min", "max", "quantile", "nanmean", "nanmedian", "nanstd"}
)
_STAT_FUNCTIONS = frozenset(
    {
        *(f"numpy.{n}" for n in ("mean", "median", "std", "var", "min", "max", "amin", "amax", "percentile")),
        *(f"numpy.{n}" for n in ("quantile", "nanmean", "nanmedian", "nanstd", "nanvar", "nanmin", "nanmax")),
        *(f"numpy.{n}" for n in ("nanpercentile", "nanquantile", "average", "ptp")),
        "pandas.qcut",
        "scipy.stats.zscore",
        "scipy.stats.mode",
    }
)
# scikit-learn's function forms of its scalers: a fit and a transform on the rows given.
_SCALE_FUNCTIONS = frozenset(
    f"sklearn.preprocessing.{n}"
    for n in ("scale", "minmax_scale", "maxabs_scale", "robust_scale", "quantile_transform", "power_transform")
)
_SELECTIONS = frozenset(
    {"max", "min", "sorted", "numpy.argmax", "numpy.argmin", "numpy.max", "numpy.min", "numpy.argsort"}
)
_SELECTION_METHODS = frozenset({"idxmax", "idxmin", "sort_values", "nlargest", "nsmallest", "argmax", "argmin"})
_SEARCHES = ("SearchCV", "CV")  # GridSearchCV, RandomizedSearchCV, HalvingGridSearchCV, LogisticRegressionCV
_RESAMPLERS = ("imblearn.over_sampling.", "imblearn.under_sampling.", "imblearn.combine.")
_RESAMPLE_METHODS = frozenset({"fit_resample", "fit_sample"})  # `fit_sample`: imblearn < 0.4
_MODEL_PACKAGES = ("sklearn.", "xgboost.", "lightgbm.", "catboost.", "imblearn.")
_METRICS = "sklearn.metrics."
_SCORE_METHODS = frozenset({"score", "evaluate"})
# keys that name a part of the rows (`splits["X_train"]`, `data["valid"]`), not a column
_SPLIT_KEY = re.compile(r"(?i)train|test|valid|holdout|(^|_)(val|dev)($|_)")
# builtins that only look at an object (its type, its text): no evaluation can happen there
_LOOKS_AT = frozenset({"type", "isinstance", "hasattr", "getattr", "id", "str", "repr", "print"})
# methods that make a parameter the caller's estimator (`def evaluate(model, X, y): model.fit(...)`)
_MODEL_METHODS = frozenset({"fit", "fit_predict", "predict", "predict_proba", "decision_function", "score"})
_PREDICT_METHODS = frozenset({"predict", "predict_proba", "predict_log_proba", "decision_function"})


@dataclass(frozen=True)
class Origin:
    """Where a fit or a statistic replayed from a callee's summary really happens."""

    function: str  # the callee, as written at the call ("scale", "self.preprocess")
    span: Span
    text: str


@dataclass
class Fit:
    name: str  # the variable (or "<inline>")
    cls: str  # qualified class
    node: ast.expr
    data: Tokens
    in_loop: ast.AST | None = None
    origin: Origin | None = None  # a fit inside a function this scope called


@dataclass
class Eval:
    model: str
    node: ast.expr
    data: Tokens
    loop: ast.AST | None
    fit_no: int = 0  # how many fits of the model came before the predictions it scores


@dataclass
class Split:
    node: ast.expr
    sid: str
    inputs: Tokens
    weak: bool = False  # rows told apart by position or sampling: a split only once evaluated


@dataclass
class Stat:
    node: ast.expr  # the statistic's expression: `df["age"].mean()`, `pd.qcut(...)`
    data: Tokens  # the rows it summarises
    scale: bool = False  # `preprocessing.scale(X)`: the statistic applied to the rows at once
    origin: Origin | None = None


@dataclass
class CallSite:
    """A call of a function the project may define (this file's, with its summary, or another
    module's, resolved in the project phase), with what each argument holds: MLD803 and MLD804
    ask the callee's summary whether it fits and scores a model it is given, and on which rows."""

    node: ast.Call
    callee: str  # this file's: as written ("evaluate", "self.evaluate"); another module's: qualified name
    summary: LeakSummary | None  # None: another module's function (graph phase)
    offset: int  # 1 for a method called on an instance (its `self` is not an argument)
    slots: dict[str, Tokens]  # "0", "1", ... or a keyword -> what the argument holds
    models: dict[str, tuple[str, str]]  # slot -> (the estimator object passed, its class)
    fits: dict[str, int]  # estimator object -> how many fits of it came before the call
    loop: ast.AST | None
    result: str  # the token its result carries ("via:L:C" here, "ext:K" for another module's)
    made: dict[str, int] = field(default_factory=dict)  # slot -> the site whose call returned it (a model?)


@dataclass
class FlowState:
    env: dict[str, Tokens] = field(default_factory=dict)
    classes: dict[str, str] = field(default_factory=dict)  # variable -> qualified estimator class
    ident: dict[str, str] = field(default_factory=dict)  # variable -> the estimator object it holds now
    versions: dict[str, int] = field(default_factory=dict)
    prep_fits: dict[str, Fit] = field(default_factory=dict)  # preprocessor var -> its (last) fit
    model_fits: dict[str, list[Fit]] = field(default_factory=dict)
    evals: list[Eval] = field(default_factory=list)
    splits: dict[str, Split] = field(default_factory=dict)
    resamples: dict[str, ast.AST] = field(default_factory=dict)  # token -> node
    escaped: set[str] = field(default_factory=set)  # models handed to code we do not see
    cv_evaluated: set[str] = field(default_factory=set)
    reported: set[int] = field(default_factory=set)  # fits, statistics, resamplings with a `Leak`
    stats: dict[str, Stat] = field(default_factory=dict)  # token -> the statistic
    keyed: dict[tuple[str, ...], Tokens] = field(default_factory=dict)  # data["train"]["X"] -> its rows
    keyed_names: set[str] = field(default_factory=set)
    candidates: set[str] = field(default_factory=set)  # names of lists / dicts of models
    selections: list[tuple[ast.expr, Tokens]] = field(default_factory=list)  # max(scores), ...
    stat_lines: set[str] = field(default_factory=set)
    # `df.groupby(k).mean()`: one row per group, made from that group's rows only ("agg:" token ->
    # the call and the rows it summarises); a statistic of the rows only once merged back onto them
    aggs: dict[str, tuple[ast.expr, Tokens]] = field(default_factory=dict)
    agg_stats: dict[str, Tokens] = field(default_factory=dict)
    sites: list[CallSite] = field(default_factory=list)  # calls a model or rows are passed to
    made: dict[str, int] = field(default_factory=dict)  # variable -> the site (another module's) that returned it


@dataclass(frozen=True, slots=True)
class Leak:
    """Rows that carry a preprocessor's fit, a statistic (MLD801) or a resampling (MLD802) of
    more than a training side reach a split, a cross-validation or an evaluation: one per fit,
    statistic or resampling node, the first in statement order (`FlowState.reported`)."""

    node: ast.AST  # the fit, the statistic or the resampling
    where: ast.AST  # the split or cross-validation the rows reach
    how: str  # "are then split into train and test by", ...
    fit: Fit | None = None
    stat: Stat | None = None
    what: str = ""  # a resampling: "split" or "cross-validation"
    lands_in: str = ""  # a resampling: where its rows land ("the test set")


@dataclass(frozen=True, slots=True)
class Refit:
    """A preprocessor's fit, and the one before it of the same object (MLD805's question)."""

    fit: Fit
    before: Fit | None
    call: ast.Call


def roots(tokens: Tokens) -> Tokens:
    return frozenset(t for t in tokens if t.startswith("root:"))


def signature(tokens: Tokens) -> Tokens:
    """Which rows: the sources, the split sides and slices (not what was done to them)."""
    return frozenset(t for t in tokens if t.startswith(("root:", "train:", "test:", "resampled:", "slice:", "rows:")))


def shown(ident: str) -> str:
    """An estimator's name in messages: `m` for the second object bound to `m` too."""
    name = ident.split("#", 1)[0]
    if name.startswith("<"):
        return name[1:].split("@", 1)[0] + "(...)"
    return name


class ScopeFlow:
    def __init__(self, ctx: FileContext, scope: ast.AST, reg: _Registry | None = None) -> None:
        self.ctx = ctx
        self.scope = scope
        self.reg = reg if reg is not None else _Registry(ctx)
        self.params, self.self_name = _params(scope, self.reg.is_method(scope))
        self.star, self.dstar = _stars(scope)
        self.instances: dict[str, str] = {}  # variable -> this file's class it is an instance of
        self.objects: dict[str, tuple[str, int]] = {}  # variable -> (imported class, its constructor's event)
        self.held: dict[str, list[str]] = {}  # dict / list / tuple -> its elements that are estimators
        self.handing: set[int] = set()  # id(call) of `prep.fit(df)` on a parameter, being recorded
        self.trace: list[LeakEvent] = []  # what the summary says this scope does, in order
        self.event_of: dict[str, int] = {}  # fitted ident / split id / stat token -> its event
        self.ext: dict[int, int] = {}  # id(call) -> index of its "call" event (an imported function)
        self.parts: dict[int, tuple[Tokens, ...]] = {}  # id(call) -> what a summarised call returns
        self.produced: dict[int, Fit] = {}  # id(call) -> the fit of the model a summarised call returns
        self.site_of: dict[int, int] = {}  # id(call) -> its index in `FlowState.sites`
        self.returned: list[tuple[Tokens, ...]] = []
        self.returned_keys: list[dict[str, Tokens] | None] = []  # per return: a dict's entries ("train/X")
        self.keyed_parts: dict[int, dict[str, Tokens]] = {}  # id(call) -> the entries of the dict it returns
        self.ext_dicts: dict[str, int] = {}  # variable -> the imported call whose result (perhaps a dict) it holds
        self.replayed = 0  # steps of callees recorded in this scope's summary
        self.s = FlowState()
        if self.self_name:  # `self.scaler = StandardScaler()` in any method: an estimator in every method
            for attr, cls in self.reg.attributes(self):
                var = f"{self.self_name}.{attr}"
                self.s.classes[var] = cls
                self.s.env[var] = _EMPTY
                self.s.ident[var] = var
        for pname, default in _defaults(scope):
            made = self.effective_class(default) if isinstance(default, ast.Call) else None
            if made is not None and _is_prep(made):  # `def scale(df, scaler=StandardScaler())`
                self.s.classes[pname] = made
                self.s.env[pname] = _EMPTY
                self.s.ident[pname] = pname
        self.leaks: list[Leak] = []  # in statement order
        self.refits: list[Refit] = []
        self.loops: list[ast.AST] = []
        self.pairs = _position_pairs(ctx, scope)
        self.fold_loops: dict[str, ast.AST] = {}  # fold split id -> the loop over its folds
        self.splitter_args: dict[str, Tokens] = {}  # old-API splitter object -> the rows it was given

    # ------------------------------------------------------------ driving

    def run(self) -> None:
        self.block(scope_body(self.scope))

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
            parts = self.expr_parts(stmt.value)
            ret = stmt.value
            elts = ret.elts if isinstance(ret, (ast.Tuple, ast.List)) else [ret]
            if len(elts) == len(parts):  # `return model`: which fit of which model it is
                parts = tuple(p | self.fitted_model(e) for p, e in zip(parts, elts, strict=True))
            self.returned.append(parts)
        else:
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.expr):
                    self.expr(child)

    def for_loop(self, stmt: ast.For | ast.AsyncFor) -> None:
        it = stmt.iter
        target = stmt.target
        tokens = self.expr(it)
        if (  # `for i, (train_idx, test_idx) in enumerate(kf.split(X))`
            isinstance(it, ast.Call)
            and isinstance(it.func, ast.Name)
            and it.func.id == "enumerate"
            and it.args
            and isinstance(target, ast.Tuple)
            and len(target.elts) == 2
            and isinstance(target.elts[1], (ast.Tuple, ast.List))
        ):
            self.bind(target.elts[0], None, _EMPTY)
            it, target = it.args[0], target.elts[1]
        folds = self.cv_folds(it)
        model = self.candidate_target(it, target)
        if folds is not None and isinstance(target, (ast.Tuple, ast.List)) and len(target.elts) == 2:
            sid = folds
            self.fold_loops[sid] = stmt
            train_t, test_t = target.elts
            self.bind(train_t, None, frozenset({f"train:{sid}"}))
            self.bind(test_t, None, frozenset({f"test:{sid}"}))
        elif model is not None:
            self.bind(target, None, _EMPTY)
            self.s.classes[model.id] = "<candidate>"
            self.new_ident(model.id)
        else:
            self.bind(target, None, tokens)
        self.loops.append(stmt)
        self.block(stmt.body)
        self.loops.pop()
        self.block(stmt.orelse)

    def candidate_target(self, it: ast.expr, target: ast.expr) -> ast.Name | None:
        """The loop variable that holds each model of a list or dict of candidate models."""
        source = it
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr in ("items", "values"):
            source = it.func.value
        elif isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "enumerate" and it.args:
            source = it.args[0]
        known = (isinstance(source, ast.Name) and source.id in self.s.candidates) or (
            isinstance(source, (ast.List, ast.Tuple, ast.Dict)) and self.models_in(source) >= 2
        )
        if not known:
            return None
        if isinstance(target, (ast.Tuple, ast.List)) and target.elts:
            target = target.elts[-1]
        return target if isinstance(target, ast.Name) else None

    def models_in(self, node: ast.expr) -> int:
        """How many estimator constructors a list, tuple or dict literal holds (`("name", Model())` too)."""
        elts = node.values if isinstance(node, ast.Dict) else getattr(node, "elts", [])
        n = 0
        for e in elts:
            if isinstance(e, ast.Tuple) and e.elts:
                e = e.elts[-1]
            if isinstance(e, ast.Call) and self.effective_class(e) is not None:
                n += 1
        return n

    def cv_folds(self, it: ast.expr, how: str = "are then split into cross-validation folds by") -> str | None:
        """`kf.split(X, y)` of a CV splitter, or an old-API splitter (`KFold(n, n_folds=5)`,
        `StratifiedKFold(y, n_folds=5)`) iterated directly: the loop walks its folds."""
        receiver: ast.expr | None = None
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr == "split":
            receiver = it.func.value
            arg_nodes = it.args
        elif isinstance(it, ast.Call) and (self.ctx.qualify(it.func) or "").startswith(_CV_SPLITTERS):
            arg_nodes = it.args  # `for tr, te in KFold(len(X), n_folds=5)`
        elif isinstance(it, ast.Name) and it.id in self.splitter_args:
            sid = f"{it.lineno}"
            self.s.splits[sid] = Split(it, sid, self.splitter_args[it.id])
            self.check_split(self.s.splits[sid], [], how)
            return sid
        else:
            return None
        if receiver is not None:
            cls = None
            if isinstance(receiver, ast.Name):
                cls = self.s.classes.get(receiver.id)
            elif isinstance(receiver, ast.Call):
                cls = self.ctx.qualify(receiver.func)
            if cls is None or not cls.startswith(_CV_SPLITTERS):
                return None
        sid = f"{it.lineno}"
        inputs = frozenset().union(*(self.tokens_of(a) for a in arg_nodes)) if arg_nodes else _EMPTY
        self.s.splits[sid] = Split(it, sid, inputs)
        self.record("split", it, inputs, obj=sid)
        self.check_split(self.s.splits[sid], it.args, how)
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

    def expr_parts(self, node: ast.expr) -> tuple[Tokens, ...]:
        """What a returned expression holds, element by element for a tuple (`return X_tr, X_te`)."""
        self.returned_keys.append(None)  # (returns only: a returned dict's entries)
        split = self.split_of(node)
        if split is not None:  # `return train_test_split(X, y)`
            return self.split_parts(split)
        calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
        results: dict[int, Tokens] = {}
        for call in sorted(calls, key=lambda c: (c.end_lineno or 0, c.end_col_offset or 0)):
            results[id(call)] = self.call(call, results)
        self.returned_keys[-1] = self.entries(node, results)
        if isinstance(node, (ast.Tuple, ast.List)) and not any(isinstance(e, ast.Starred) for e in node.elts):
            return tuple(self.combine(e, results) for e in node.elts)
        if isinstance(node, ast.Call) and id(node) in self.parts:
            return self.parts[id(node)]
        return (self.combine(node, results),)

    def entries(self, node: ast.expr, results: dict[int, Tokens]) -> dict[str, Tokens] | None:
        """A returned dict's rows by key path (`{"train": {"X": X_tr}}`: "train", "train/X"), or
        None: not a dict whose keys this scope knows."""
        if isinstance(node, ast.Name) and node.id in self.s.keyed_names:
            return {"/".join(k[1:]): v for k, v in self.s.keyed.items() if k[0] == node.id}
        if not isinstance(node, ast.Dict):
            return None
        out: dict[str, Tokens] = {}
        for k, v in zip(node.keys, node.values, strict=True):
            if not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
                return None  # `{**base, ...}`, keys computed at run time
            out[k.value] = self.combine(v, results)
            inner = self.entries(v, results) if isinstance(v, ast.Dict) else None
            for path, toks in (inner or {}).items():
                out[f"{k.value}/{path}"] = toks
        return out

    def combine(self, node: ast.expr, results: dict[int, Tokens]) -> Tokens:
        if isinstance(node, ast.Call) and id(node) in results:
            return results[id(node)]
        if isinstance(node, ast.Name):
            return self.name_tokens(node.id)
        if (
            isinstance(node, ast.Attribute)
            and self.var_of(node) is not None
            and self.var_of(node.value) not in self.s.classes
        ):
            return self.name_tokens(f"{node.value.id}.{node.attr}")  # type: ignore[attr-defined]
        if isinstance(node, (ast.Lambda, ast.Constant)):
            return _EMPTY
        if isinstance(node, ast.Subscript):
            return self.subscript(node, results)
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.attr.endswith("_")
            and not node.attr.startswith("_")
        ):
            ident = self.s.ident.get(node.value.id, node.value.id)
            if node.value.id in self.s.classes and ident in self.s.prep_fits:
                return frozenset({f"fitted:{ident}"})  # skb.scores_, pca.components_: learnt from its rows
        out: set[str] = set()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                out |= self.combine(child, results)
        return frozenset(out)

    def subscript(self, node: ast.Subscript, results: dict[int, Tokens]) -> Tokens:
        path = _key_path(node)
        if path is not None and path[0] in self.s.keyed_names:
            for k in range(len(path), 1, -1):
                got = self.s.keyed.get(path[:k])
                if got is not None:
                    return got  # data["test"]["X"]: that entry's rows, not the whole dict's
        forwarded = self.forwarded(node)
        if forwarded is not None:
            return forwarded
        if path is not None and len(path) > 1 and path[0] in self.ext_dicts and path[0] not in self.s.keyed_names:
            # data["test"]["X"] of what an imported function returned: that entry, if it returns a dict
            k = self.ext_dicts[path[0]]
            whole = self.name_tokens(path[0]) - {f"ext:{k}"}
            named = {f"rows:{path[-1]}"} if _SPLIT_KEY.search(path[-1]) else set()  # X_train, X_val: other rows
            return whole | named | {f"ext:{k}.@{'/'.join(path[1:])}"}
        base = self.combine(node.value, results)
        sl = node.slice
        if isinstance(sl, ast.Constant) and isinstance(sl.value, str) and _SPLIT_KEY.search(sl.value):
            return base | {f"rows:{sl.value}"}  # data["X_train"], data["X_val"] of a returned dict: other rows
        if is_transductive(base) and _other_rows(sl):
            # full.loc[train.index], full.iloc[: len(train)]: the training rows taken back out of
            # `pd.concat([train, test])` (what was fit on the whole keeps its own token)
            base = frozenset(t for t in base if not t.startswith("transductive:"))
        rows = _row_slice(sl)
        if rows is not None:
            side = self.position_side(node, rows)
            if side is not None:
                return base | side
            out = set(base)
            out.add(f"slice:{ast.unparse(rows)}")  # X[:1000] and X[1000:] are other rows
            for part in (rows.lower, rows.upper, rows.step):
                if part is not None:
                    out |= self.combine(part, results)
            return frozenset(out)
        index = self.combine(sl, results)
        # a statistic in a row filter (`df[df.price < df.price.quantile(0.99)]`) selects rows, it
        # is not a feature value
        index = frozenset(t for t in index if not t.startswith(("stat:", "score:")))
        if not _constant(sl):
            index |= {f"rows:{ast.unparse(sl)}"}  # X[train_idx], X[mask]: some of the rows
        return base | index

    def forwarded(self, node: ast.Subscript) -> Tokens | None:
        """`args[0]` of this function's `*args`, `kwargs["X"]` of its `**kwargs` (not rebound):
        that one element's rows, which a caller binds."""
        value, sl = node.value, node.slice
        if not isinstance(value, ast.Name) or value.id in self.s.env or not isinstance(sl, ast.Constant):
            return None
        if value.id == self.star and isinstance(sl.value, int) and not isinstance(sl.value, bool) and sl.value >= 0:
            return frozenset({f"root:{value.id}[{sl.value}]"})
        if value.id == self.dstar and isinstance(sl.value, str):
            return frozenset({f"root:{value.id}[{sl.value}]"})
        return None

    def spreads(
        self, call: ast.Call, results: dict[int, Tokens]
    ) -> tuple[
        list[tuple[str, Tokens]],
        tuple[Tokens, Callable[[int], Tokens | None]] | None,
        tuple[Tokens, Callable[[str], Tokens | None]] | None,
    ]:
        """A call's arguments for `LeakSummary.bind`: positions and keywords, then a `*xs` (this
        function's own `*args` forwarded element by element; any other sequence is not followed)
        and a `**kw` (this function's own `**kwargs`, entry by entry)."""
        args: list[tuple[str, Tokens]] = []
        spread: tuple[Tokens, Callable[[int], Tokens | None]] | None = None
        for i, a in enumerate(call.args):
            if isinstance(a, ast.Starred):
                v = a.value
                if isinstance(v, ast.Name) and v.id == self.star and v.id not in self.s.env:
                    spread = (frozenset({f"root:{v.id}"}), lambda k, n=v.id: frozenset({f"root:{n}[{k}]"}))
                break
            args.append((str(i), self.combine(a, results)))
        kwspread: tuple[Tokens, Callable[[str], Tokens | None]] | None = None
        for kw in call.keywords:
            if kw.arg:
                args.append((kw.arg, self.combine(kw.value, results)))
            elif isinstance(kw.value, ast.Name) and kw.value.id == self.dstar and kw.value.id not in self.s.env:
                d = kw.value.id
                kwspread = (frozenset({f"root:{d}"}), lambda key, n=d: frozenset({f"root:{n}[{key}]"}))
        return args, spread, kwspread

    def position_side(self, node: ast.Subscript, sl: ast.Slice) -> Tokens | None:
        """`X[:n]` and `X[n:]` both in this scope: a split by position (the first part trains)."""
        if sl.step is not None or (sl.lower is None) == (sl.upper is None):
            return None
        bound = sl.upper if sl.upper is not None else sl.lower
        assert bound is not None
        return self.pair_side(node.value, bound, train=sl.upper is not None, node=node)

    def pair_side(
        self, base: ast.expr, bound: ast.expr, train: bool, node: ast.expr, weak: bool = True
    ) -> Tokens | None:
        """A weak split (`X[:n]`, `X[n:]`: the second part may be an unlabelled competition test
        set) is judged at an evaluation; `ds.take(n)` / `ds.skip(n)` at once."""
        key = (ast.unparse(base), ast.unparse(bound))
        if key not in self.pairs:
            return None
        sid = f"pos:{key[0]}:{key[1]}"
        if sid not in self.s.splits:
            self.s.splits[sid] = Split(node, sid, self.tokens_of(base), weak=weak)
            if not weak:
                self.check_split(self.s.splits[sid], [])
        return frozenset({f"{'train' if train else 'test'}:{sid}"})

    def regroup(self, tokens: Tokens) -> Tokens:
        """Rows that took a per-group aggregate onto them: the aggregate becomes a statistic of the
        rows it summarised (recorded once, at its own expression)."""
        out = set(tokens)
        for t in sorted(tokens):
            if t.startswith("agg:") and t in self.s.aggs:
                out.discard(t)
                if t not in self.s.agg_stats:
                    node, data = self.s.aggs[t]
                    self.s.agg_stats[t] = self.statistic(node, data)
                out |= self.s.agg_stats[t]
        return frozenset(out)

    def statistic(self, node: ast.expr, data: Tokens, scale: bool = False) -> Tokens:
        token = f"stat:{node.lineno}:{node.col_offset}"
        self.s.stats[token] = Stat(node, data, scale)
        self.record("stat", node, data, obj=token, kind="scale" if scale else "")
        return frozenset({token})

    def arg_tokens(self, call: ast.Call, results: dict[int, Tokens]) -> list[Tokens]:
        return [self.combine(a.value if isinstance(a, ast.Starred) else a, results) for a in call.args]

    def call(self, call: ast.Call, results: dict[int, Tokens]) -> Tokens:
        local = self.reg.resolve(call, self)
        if local is not None:  # this file's function or method: apply its summary
            summary, label, recv = local
            for a in call.args:
                if self.model_arg(a) is None:
                    self.escape(a)  # a model passed is judged by what the summary does with it (`CallSite`)
            parts = self.apply(call, summary, label, recv, results)
            tag = f"via:{call.lineno}:{call.col_offset}"
            if any(t.startswith("score:#") for part in summary.returns for t in part):
                parts = tuple(p | {tag if len(parts) == 1 else f"{tag}.{i}"} for i, p in enumerate(parts))
            self.parts[id(call)] = parts
            self.site(call, label, summary, 0 if recv is None else 1, results, tag)
            self.returned_model(call, label, summary, recv, results)
            return frozenset().union(*parts) if parts else _EMPTY
        func = call.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in _HANDED_METHODS
            and isinstance(func.value, ast.Name)
            and func.value.id in self.params
            and func.value.id != self.self_name
            and (func.value.id not in self.s.env or self.s.classes.get(func.value.id) == "@model")
            and self.s.classes.get(func.value.id, "@")[:1] == "@"  # no class, or only "the caller's"
            and id(call) not in self.handing
        ):
            # recorded for the caller, then evaluated as any other call on a parameter
            self.handing.add(id(call))
            try:
                return self.handed_method(call, func.value.id, func.attr, results) | self.call(call, results)
            finally:
                self.handing.discard(id(call))
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in self.objects:
            qual, made = self.objects[func.value.id]  # `p.split()` of an imported class's instance
            for a in call.args:
                self.escape(a)
            everything = frozenset().union(
                *self.arg_tokens(call, results), *(self.combine(k.value, results) for k in call.keywords)
            )
            k = self.external(call, f"{qual}.{func.attr}", results, everything, made)
            return everything | {f"root:{call.lineno}:{call.col_offset}", f"ext:{k}"}
        name = self.ctx.qualify(call.func) or ""
        args = self.arg_tokens(call, results)
        everything = frozenset().union(*args, *(self.combine(k.value, results) for k in call.keywords))
        if name in _MERGE_FUNCTIONS and _has_agg(everything) and not all(_has_agg(a) for a in args):
            everything = self.regroup(everything)  # pd.merge(df, stats, on="city"): onto the rows
        if name in _CV_EVALS:
            self.cross_validation(call, args)
            return everything
        if name.startswith(_METRICS):
            data = frozenset(t for t in everything if not t.startswith("pred:"))
            scores: set[str] = set()
            for pred in sorted({t.removeprefix("pred:") for t in everything if t.startswith("pred:")}):
                model, _, fit_no = pred.rpartition("|")
                scores |= self.record_eval(model, call, data, int(fit_no))
            return frozenset(scores)
        if name in _SELECTIONS and score_tokens(everything):
            self.s.selections.append((call, everything))
            return everything
        if name in _SELECTIONS and _called(everything):
            self.s.selections.append((call, everything))  # max(results) of a helper's scores
        if name in _SCALE_FUNCTIONS and args:
            return args[0] | self.statistic(call, args[0], scale=True)
        if name in _STAT_FUNCTIONS and args and not _row_wise(call, method=False) and _is_data(args[0]):
            return self.statistic(call, args[0]) | (
                args[0] if name in ("pandas.qcut", "scipy.stats.zscore") else _EMPTY
            )
        if name in _ROW_CONCATS:
            everything |= self.transductive(call)
        if isinstance(call.func, ast.Attribute) and not self.is_module(call.func.value):
            method = call.func.attr
            receiver = call.func.value
            if isinstance(receiver, ast.Name) and method in _MODEL_METHODS:
                self.param_model(receiver.id)
            cls, var = self.estimator_of(receiver)
            if cls is not None:
                if not args:  # model.fit(X=X_train, y=y_train)
                    named = {k.arg: self.combine(k.value, results) for k in call.keywords if k.arg}
                    data_kw = named.get("X", named.get("x"))
                    if data_kw is not None:
                        args = [data_kw] + ([named["y"]] if "y" in named else [])
                return self.estimator_call(call, cls, var, method, args, everything)
            return self.data_method(call, method, receiver, self.combine(receiver, results), args, everything)
        if name and self.ctx.aliases.get(name.split(".")[0]) is None and "." not in name:
            # a call of this file's own function or a builtin: a model passed may be evaluated there
            for a in call.args:
                self.escape(a)
        if _transparent(name):
            return everything
        if name and self.maybe_project(call.func, name):
            for a in call.args:
                if self.model_arg(a) is None:
                    self.escape(a)
            k = self.external(call, name, results, everything)
            self.site(call, name, None, 0, results, f"ext:{k}")
            return everything | {f"root:{call.lineno}:{call.col_offset}", f"ext:{k}"}
        # What a reader or a function returns is data of its own: `load("train.pkl")` and
        # `load("val.pkl")` are other rows, though both came through `load` and `data_dir`.
        return everything | {f"root:{call.lineno}:{call.col_offset}"}

    def maybe_project(self, func: ast.expr, name: str) -> bool:
        """An imported function that is not a known library's: perhaps the project's."""
        base = _base_name(func)
        if base is None or base not in self.ctx.aliases or base in self.s.env or base in self.s.classes:
            return False
        root = name.split(".", 1)[0]
        return root not in _LIBRARIES and root not in sys.stdlib_module_names and not name.startswith("__future__")

    def is_module(self, node: ast.expr) -> bool:
        """`pd` in `pd.read_csv(...)`, `np.random` in `np.random.rand(...)`: an imported module."""
        base = _base_name(node)
        return (
            base is not None
            and base in self.ctx.aliases
            and base not in self.s.env
            and base not in self.s.classes
            and all(isinstance(n, ast.Attribute) for n in _attr_chain(node))
        )

    def data_method(
        self, call: ast.Call, method: str, receiver: ast.expr, tokens: Tokens, args: list[Tokens], everything: Tokens
    ) -> Tokens:
        """A method of a frame, an array or anything else that is not an estimator."""
        if method in _SELECTION_METHODS and score_tokens(tokens):
            self.s.selections.append((call, tokens))
            return tokens
        if method in _SELECTION_METHODS and _called(tokens):
            self.s.selections.append((call, tokens))  # results.sort_values(...) of a helper's scores
        reduce = method in _STAT_METHODS or (method in ("agg", "aggregate") and bool(call.args or call.keywords))
        if reduce and _grouped(receiver) and _is_data(tokens):
            # df.groupby("customer").mean(): each output row is made from its own group's rows, so
            # splitting those rows later leaks nothing; merged back onto the rows, it is a statistic
            token = f"agg:{call.lineno}:{call.col_offset}"
            self.s.aggs[token] = (call, tokens)
            return tokens | {token}
        if method in _MERGES and _has_agg(everything) and not _has_agg(tokens):
            # df.merge(stats, on="city"), df["city"].map(means): the groups' statistic on each row
            return self.regroup(tokens | everything)
        if (
            method in ("transform", "agg", "aggregate")
            and call.args
            and isinstance(call.args[0], ast.Constant)
            and call.args[0].value in _STAT_METHODS
            and _is_data(tokens)
        ):
            return tokens | self.statistic(call, tokens)  # df.groupby("city")["price"].transform("mean")
        if method in _STAT_METHODS and not _row_wise(call, method=True) and _is_data(tokens):
            if score_tokens(tokens):
                self.s.selections.append((call, tokens))
                return tokens
            return self.statistic(call, tokens)
        if method == "sample" and any(k.arg == "replace" and _is_true(k.value) for k in call.keywords):
            token = f"resampled:{call.lineno}"  # df_minority.sample(n_major, replace=True): oversampling
            self.s.resamples[token] = call
            self.record("resample", call, tokens, obj=token)
            return tokens | {token}
        if method == "sample" and _fraction(call):
            sid = f"sample:{call.lineno}:{call.col_offset}"  # train = df.sample(frac=0.8)
            self.s.splits[sid] = Split(call, sid, tokens, weak=True)
            return tokens | {f"train:{sid}"}
        if method == "drop":
            # test = df.drop(train.index): the rows a sample left out
            sides = {t.removeprefix("train:") for t in everything if t.startswith("train:")}
            sample = sorted(sid for sid in sides if sid.startswith("sample:"))
            if sample:
                return tokens | {f"test:{sample[0]}"}
        if method in ("take", "skip") and len(call.args) == 1:
            side = self.pair_side(receiver, call.args[0], train=method == "take", node=call, weak=False)
            if side is not None:
                return tokens | side  # tf.data: train = ds.take(n); test = ds.skip(n)
        out = tokens | everything
        if method == "append" and call.args:
            out |= self.transductive(call, [receiver, *call.args])
        base = self.base_var(receiver)
        if base is not None and (
            any(k.arg == "inplace" and _is_true(k.value) for k in call.keywords)
            or (method in _MUTATORS and isinstance(receiver, ast.Name))
        ):
            # df["age"].fillna(df["age"].mean(), inplace=True); scores.append(score)
            self.s.env[base] = self.s.env.get(base, frozenset({f"root:{base}"})) | everything
        return out

    def transductive(self, call: ast.Call, parts: list[ast.expr] | None = None) -> Tokens:
        """`pd.concat([train, test])` of a training set and a test set that was never split off:
        preprocessing fit on it is transductive (the unlabelled test rows shape it)."""
        if parts is None:
            parts = []
            for a in call.args[:1]:
                parts.extend(a.elts if isinstance(a, (ast.List, ast.Tuple)) else [a])
        texts = [self.ctx.source(p).lower() for p in parts]
        if not any("test" in t for t in texts) or not any("train" in t for t in texts):
            return _EMPTY
        if any(is_split_side(self.tokens_of(p)) or has_test(self.tokens_of(p)) for p in parts):
            return _EMPTY  # train and test sides of one split glued back together: another smell
        return frozenset({f"transductive:{call.lineno}"})

    def estimator_of(self, receiver: ast.expr) -> tuple[str | None, str]:
        var = self.var_of(receiver)
        if var is not None and var in self.s.classes:
            return self.s.classes[var], self.s.ident.get(var, var)
        if isinstance(receiver, ast.Call):
            cls = self.effective_class(receiver)
            if cls is not None:
                return cls, f"<{cls.rsplit('.', 1)[-1]}@{receiver.lineno}>"
            func = receiver.func
            if isinstance(func, ast.Attribute) and func.attr in ("fit", "set_params"):
                return self.estimator_of(func.value)  # Ridge().fit(X, y).score(X_te, y_te)
        return None, ""

    def effective_class(self, call: ast.Call) -> str | None:
        """The estimator class a constructor call makes; a pipeline counts as its last step, a
        column transformer or feature union as a preprocessor."""
        cls = self.ctx.qualify(call.func)
        if cls is None:
            return None
        if cls in _UNIONS:
            # every branch is fit on the rows: the container leaks what its most telling step learns
            inner = [self.step_class(s) for s in _steps(call)]
            preps = [c for c in inner if c is not None and _is_prep(c)]
            supervised = [c for c in preps if c.startswith(SUPERVISED)]
            if supervised or preps:
                return (supervised or preps)[0]
            return "sklearn.preprocessing.FunctionTransformer"  # stateless steps only
        if cls in _PIPELINES:
            steps = _steps(call)
            last_cls = self.step_class(steps[-1]) if steps else None
            if last_cls is not None and _is_prep(last_cls):
                return last_cls  # a pipeline of preprocessing only: a preprocessor
            return "imblearn.pipeline.Pipeline" if cls.startswith("imblearn.") else "sklearn.pipeline.Pipeline"
        if _is_estimator_class(cls) or cls.startswith(_CV_SPLITTERS):
            return cls
        return None

    def step_class(self, step: ast.expr) -> str | None:
        if isinstance(step, ast.Call):
            return self.effective_class(step)
        if isinstance(step, ast.Name):
            return self.s.classes.get(step.id)
        return None

    def estimator_call(
        self, call: ast.Call, cls: str, var: str, method: str, args: list[Tokens], everything: Tokens
    ) -> Tokens:
        data = args[0] if args else _EMPTY
        if _is_prep(cls):
            if method in ("fit", "fit_transform") and args:
                fit = Fit(var, cls, call, frozenset().union(*args[:2]), self.loops[-1] if self.loops else None)
                self.test_refit(fit, self.s.prep_fits.get(var), call)
                self.s.prep_fits[var] = fit
                self.record("fit", call, fit.data, obj=var, cls=cls, kind=_kind(cls))
                if method == "fit":
                    return _EMPTY
                return data | {f"fitted:{var}"}
            if method == "transform":
                out = data | {f"fitted:{var}"}
                self.record("transform", call, data, obj=var, cls=cls)
                self.check_transform(var, call, out)
                return out
            if method in ("get_support", "get_feature_names_out", "get_feature_names") and var in self.s.prep_fits:
                return frozenset({f"fitted:{var}"})  # columns chosen by a fitted selector
            return everything
        if cls.startswith(_RESAMPLERS) and method in _RESAMPLE_METHODS:
            token = f"resampled:{call.lineno}"
            self.s.resamples[token] = call
            self.record("resample", call, everything, obj=token)
            return everything | {token}
        if method in ("fit", "fit_transform") and cls.startswith(_PREP_MODULES) and args:
            # a vocabulary encoder or a stateless transformer: in the summary, never a leak
            self.record("fit", call, frozenset().union(*args[:2]), obj=var, cls=cls, kind=_kind(cls))
        if method in ("fit", "fit_transform", "fit_predict"):
            fit = Fit(var, cls, call, frozenset().union(*args[:2]), self.loops[-1] if self.loops else None)
            self.s.model_fits.setdefault(var, []).append(fit)
            self.s.escaped.discard(var)
            if not cls.startswith(_PREP_MODULES):
                self.model_event("mfit", call, var, fit.data, cls)
            if cls.rsplit(".", 1)[-1].endswith(_SEARCHES):
                self.check_cv_data(call, fit.data)
            if method == "fit":
                return _EMPTY
            return data | {self.pred(var) if method == "fit_predict" else f"fitted:{var}"}
        if method in _PREDICT_METHODS:
            return data | {self.pred(var)}
        if method in _SCORE_METHODS and args:
            return self.record_eval(var, call, frozenset().union(*args), len(self.s.model_fits.get(var, ())))
        return everything

    # ------------------------------------------------------------ summaries

    def record(
        self,
        op: str,
        node: ast.AST,
        data: Tokens,
        obj: str = "",
        cls: str = "",
        kind: str = "",
        args: tuple[tuple[str, tuple[str, ...]], ...] = (),
        replayed: bool = False,
    ) -> None:
        """One step of this scope's summary (see `LeakEvent`), its tokens made symbolic. Steps
        replayed from callees are kept only while the summary is short (`_MAX_REPLAYED`): a chain
        of helpers each calling the last would otherwise carry every step of the chain, and cost
        grow with the square of its length."""
        if replayed:
            if self.replayed >= _MAX_REPLAYED:
                return
            self.replayed += 1
        shown = ""
        sn = self.self_name
        if op == "call":
            shown = obj
        elif op in ("fit", "transform") and sn and obj.startswith(sn + "."):
            shown = "self." + obj[len(sn) + 1 :].split("#", 1)[0]  # shared by the class's methods
        if op == "call":  # what matters of a call is what each argument holds (and, on a handed object, its text)
            text = self.ctx.source(node) if cls.startswith("@") else ""
            event = LeakEvent(op, self.ctx.span(node), (), cls, kind, shown, text, args)
        else:
            event = LeakEvent(op, self.ctx.span(node), self.sym(data), cls, kind, shown, self.ctx.source(node), args)
        if obj and op != "transform":
            self.event_of[obj] = len(self.trace)
        self.trace.append(event)

    def sym(self, tokens: Tokens) -> tuple[str, ...]:
        """This scope's tokens in a summary's terms: parameters, `self` attributes, its events."""
        out: set[str] = set()
        sn = self.self_name
        for t in tokens:
            kind, _, rest = t.partition(":")
            if kind == "root":
                if (rest in self.params and rest != sn) or (
                    rest.endswith("]") and rest.partition("[")[0] in (self.star, self.dstar)
                ):
                    out.add("@" + rest)  # a parameter, or an element of `*args` / an entry of `**kwargs`
                elif sn and rest.startswith(sn + "."):
                    out.add("@self." + rest[len(sn) + 1 :])
                else:
                    out.add("src")
            elif kind in ("fitted", "train", "test", "stat", "resampled"):
                i = self.event_of.get(t if kind in ("stat", "resampled") else rest)
                if i is not None:
                    out.add(f"{kind}:#{i}")
                elif kind == "fitted" and sn and rest.startswith(sn + "."):
                    out.add("fitted:self." + rest[len(sn) + 1 :].split("#", 1)[0])
            elif kind == "transductive":
                out.add("transductive")
            elif kind in ("slice", "rows"):
                out.add("src")  # some of the rows: to a caller, rows of their own (as before summaries)
            elif kind == "ext":
                out.add("ret:" + rest)
            elif kind == "fitmodel":  # a model fit here, returned
                i = self.event_of.get(t)
                if i is not None:
                    out.add(f"model:#{i}")
            elif kind == "scored":  # the score an evaluation here computed
                i = self.event_of.get(t)
                if i is not None:
                    out.add(f"score:#{i}")
        return tuple(sorted(out))

    def external(
        self, call: ast.Call, name: str, results: dict[int, Tokens], everything: Tokens, receiver: int | None = None
    ) -> int:
        """A call of an imported function that may be the project's: the project phase applies
        its summary (graph/leakage.py). A method call names its instance by the event of the
        instance's constructor (`self`: "obj:K"). Returns the index of its event."""
        args: list[tuple[str, tuple[str, ...]]] = [("self", (f"obj:{receiver}",))] if receiver is not None else []
        for i, a in enumerate(call.args):
            if isinstance(a, ast.Starred):  # `*args` from here on: the project phase may forward it
                args.append((f"*{i}", self.sym(self.combine(a.value, results))))
                break
            args.append((str(i), self.sym(self.combine(a, results)) + self.identity(a)))
        for kw in call.keywords:
            args.append((kw.arg or "**", self.sym(self.combine(kw.value, results)) + self.identity(kw.value)))
        k = len(self.trace)
        self.record("call", call, everything, obj=str(k), cls=name, args=tuple(args))
        self.ext[id(call)] = k
        return k

    def identity(self, node: ast.expr) -> tuple[str, ...]:
        """An object handed to another module's function, for the methods it calls on it there:
        "obj:K" an imported class's instance (its constructor's event), "est:KIND:CLASS" a
        preprocessor."""
        var = self.var_of(node)
        if var is not None and var in self.objects:
            return (f"obj:{self.objects[var][1]}",)
        cls = self.s.classes.get(var) if var is not None else None
        if cls is None and isinstance(node, ast.Call):
            cls = self.effective_class(node)
        return (f"est:{_kind(cls)}:{cls}",) if cls is not None and _is_prep(cls) else ()

    def handed_call(
        self, call: ast.Call, var: str, method: str, args: list[tuple[str, Tokens]], label: str, ev: LeakEvent
    ) -> int | tuple[Tokens, ...] | None:
        """A callee's `prep.fit(df)` on the object `var` this scope handed it, done here at the
        call: an estimator's fit or transform, a method of this file's class replayed, a method
        of an imported class's instance (or of an object this scope was handed in turn) recorded
        for the project phase (its event's index). Returns what the method returned."""
        everything = frozenset().union(*(t for _, t in args)) if args else _EMPTY
        if var in self.s.classes:
            cls = self.s.classes[var]
            if not _is_prep(cls) or method not in _HANDED_METHODS:
                return None  # a model handed to a helper: MLD803 / MLD804 ask of models in their own scope
            positional = [t for a, t in sorted((a, t) for a, t in args if a.isdigit())][:2]
            if not positional:
                return None
            ident = self.s.ident.get(var, var)
            out = self.estimator_call(call, cls, ident, method, positional, everything)
            fit = self.s.prep_fits.get(ident)
            if fit is not None and fit.node is call and fit.origin is None:
                fit.origin = Origin(label, ev.span, ev.text)  # the fit happens inside the callee
            return (out,)
        if var in self.instances:
            found = self.reg.method(self.instances[var], method)
            if found is None:
                return None
            return self.replay(call, found, f"{label}: {var}.{method}", var, found.bind(args, True), {})
        if var in self.objects:
            qual, made = self.objects[var]
            cls, receiver = f"{qual}.{method}", (f"obj:{made}",)
        else:
            cls, receiver = f"@{var}.{method}", (f"@{var}",)
        k = len(self.trace)
        given = (("self", receiver), *((a, self.sym(t)) for a, t in args))
        self.record("call", call, everything, obj=str(k), cls=cls, args=given, replayed=True)
        return k if len(self.trace) > k else None

    def handed_method(self, call: ast.Call, param: str, method: str, results: dict[int, Tokens]) -> Tokens:
        """`prep.fit(df)` on a parameter this function does not know the class of: recorded for
        the caller, which knows what it hands over (`handed_call`, and graph/leakage.py)."""
        args: list[tuple[str, tuple[str, ...]]] = [("self", (f"@{param}",))]
        for i, a in enumerate(call.args):
            if isinstance(a, ast.Starred):
                break
            args.append((str(i), self.sym(self.combine(a, results))))
        args.extend((kw.arg, self.sym(self.combine(kw.value, results))) for kw in call.keywords if kw.arg)
        everything = frozenset().union(*(self.combine(a, results) for a in call.args), _EMPTY)
        k = len(self.trace)
        self.record("call", call, everything, obj=str(k), cls=f"@{param}.{method}", args=tuple(args))
        return everything | {f"ext:{k}"}

    def apply(
        self, call: ast.Call, summary: LeakSummary, label: str, recv: str | None, results: dict[int, Tokens]
    ) -> tuple[Tokens, ...]:
        """Replay a summarised function's steps at its call, on the rows this call passes (and,
        for a method, the instance's attributes): its fits, statistics and splits become this
        scope's, so the checks here see them in statement order. Returns what it returns."""
        given, spread, kwspread = self.spreads(call, results)
        bound = summary.bind(given, recv is not None, spread, kwspread)
        return self.replay(call, summary, label, recv, bound, self.handed_objects(call, summary, recv is not None))

    def handed_objects(self, call: ast.Call, summary: LeakSummary, method: bool) -> dict[str, str]:
        """The callee's parameters this call hands an object to: an estimator, an instance of a
        project class, or an object this function was itself handed (param -> the variable)."""

        def known(node: ast.expr) -> str | None:
            var = self.var_of(node)
            cls = self.effective_class(node) if isinstance(node, ast.Call) else None
            if cls is not None and _is_prep(cls):  # `normalise(MinMaxScaler(), X)`: a new object
                var = f"<{cls.rsplit('.', 1)[-1]}@{node.lineno}>"
                self.s.classes[var] = cls
                self.s.ident[var] = var
                return var
            if var is None:
                return None
            if var in self.s.classes or var in self.instances or var in self.objects:
                return var
            return var if var in self.params and var != self.self_name and var not in self.s.env else None

        given = [(str(i), a) for i, a in enumerate(call.args)]
        if any(isinstance(a, ast.Starred) for _, a in given):
            given = given[: next(i for i, (_, a) in enumerate(given) if isinstance(a, ast.Starred))]
        given.extend((k.arg, k.value) for k in call.keywords if k.arg)
        names = [(key, frozenset({var})) for key, node in given if (var := known(node)) is not None]
        return {p: next(iter(v)) for p, v in summary.bind(names, method).items() if len(v) == 1 and "[" not in p}

    def replay(
        self,
        call: ast.Call,
        summary: LeakSummary,
        label: str,
        recv: str | None,
        bound: dict[str, Tokens],
        handed: dict[str, str],
    ) -> tuple[Tokens, ...]:
        """`apply` with the parameters bound: the callee's steps, at `call`."""
        at = f"{call.lineno}:{call.col_offset}"
        got: dict[str, tuple[Tokens, ...]] = {}  # a handed object's method call -> what it returned
        local: dict[str, Tokens] = {}
        kmap: dict[str, int] = {}

        memo: dict[tuple[str, ...], Tokens] = {}

        def tr(data: tuple[str, ...]) -> Tokens:
            if data in memo:
                return memo[data]
            out: set[str] = set()
            for t in data:
                if t.startswith("@self."):
                    if recv is not None:
                        out |= self.name_tokens(f"{recv}.{t[6:]}")
                elif t.startswith("@"):
                    out |= LeakSummary.param_rows(bound, t[1:])
                elif t == "src":
                    out.add(f"root:{at}")
                elif t == "transductive":
                    out.add(f"transductive:{call.lineno}")
                elif t.startswith("fitted:self."):
                    ident = self.s.ident.get(f"{recv}.{t[12:]}") if recv is not None else None
                    if ident is not None and ident in self.s.prep_fits:
                        out.add(f"fitted:{ident}")
                elif t.startswith("ret:"):
                    k, dot, i = t[4:].partition(".")
                    if k in kmap:
                        out.add(f"ext:{kmap[k]}{dot}{i}")
                    elif k in got:
                        parts = got[k]
                        out |= parts[int(i)] if i.isdigit() and int(i) < len(parts) else frozenset().union(*parts)
                else:
                    out |= local.get(t, _EMPTY)
            memo[data] = frozenset(out)
            return memo[data]

        loop = self.loops[-1] if self.loops else None
        for i, ev in enumerate(summary.events):
            data = tr(ev.data)
            origin = Origin(label, ev.span, ev.text)
            if ev.op == "fit" and ev.kind in ("supervised", "scaler"):
                before: Fit | None = None
                if ev.obj.startswith("self.") and recv is not None:
                    var = f"{recv}.{ev.obj[5:]}"
                    before = self.s.prep_fits.get(self.s.ident.get(var, ""))
                    self.s.classes[var] = ev.cls
                    self.s.env[var] = _EMPTY
                    ident = self.new_ident(var)
                    memo.clear()  # `fitted:self.<var>` now names this fit
                else:
                    ident = f"<{ev.cls.rsplit('.', 1)[-1]}@{label}:{at}#{i}>"
                fit = Fit(ident, ev.cls, call, data, loop, origin)
                mine = f"test:{at}#"
                if not any(t.startswith(mine) for t in data):  # a test side the callee split off: its finding
                    self.test_refit(fit, before, call)
                self.s.prep_fits[ident] = fit
                local[f"fitted:#{i}"] = frozenset({f"fitted:{ident}"})
                self.record("fit", call, data, obj=ident, cls=ev.cls, kind=ev.kind, replayed=True)
            elif ev.op == "stat":
                token = f"stat:{at}#{i}"
                self.s.stats[token] = Stat(call, data, ev.kind == "scale", origin)
                local[f"stat:#{i}"] = frozenset({token})
                self.record("stat", call, data, obj=token, kind=ev.kind, replayed=True)
            elif ev.op == "split":
                sid = f"{at}#{i}"
                split = Split(call, sid, data)
                self.s.splits[sid] = split
                self.record("split", call, data, obj=sid, replayed=True)
                self.check_split(split, [])
                local[f"train:#{i}"] = frozenset({f"train:{sid}"})
                local[f"test:#{i}"] = frozenset({f"test:{sid}"})
            elif ev.op == "cv":
                self.check_cv_data(call, data)
            elif ev.op == "transform" and ev.obj.startswith("self.") and recv is not None:
                known = self.s.ident.get(f"{recv}.{ev.obj[5:]}")
                if known is not None and known in self.s.prep_fits:
                    self.record("transform", call, data, obj=known, cls=ev.cls, replayed=True)
                    self.check_transform(known, call, data | {f"fitted:{known}"})
            elif ev.op == "resample":
                token = f"resampled:{at}#{i}"
                self.s.resamples[token] = call
                local[f"resampled:#{i}"] = frozenset({token})
                self.record("resample", call, data, obj=token, replayed=True)
            elif ev.op == "call" and ev.cls.startswith("@"):
                # the callee calls a method of an object this call hands it (`prep.fit(df)`)
                param, _, meth = ev.cls[1:].partition(".")
                obj = handed.get(param)
                if obj is not None:
                    evargs = [(a, tr(t)) for a, t in ev.args if a != "self"]
                    k = self.handed_call(call, obj, meth, evargs, label, ev)
                    if isinstance(k, int):
                        kmap[ev.obj] = k
                    elif k is not None:
                        got[ev.obj] = k
            elif ev.op == "call":
                # the callee calls an imported function: this scope's summary carries the call on
                k = len(self.trace)
                args = tuple(_forward(summary, ev.args, bound, lambda toks: self.sym(tr(toks))))
                self.record("call", call, data, obj=str(k), cls=ev.cls, args=args, replayed=True)
                if len(self.trace) > k:
                    kmap[ev.obj] = k
        if recv is not None:
            for attr, toks in summary.attrs:
                var = f"{recv}.{attr[5:]}"
                self.s.env[var] = tr(toks)
                self.s.classes.pop(var, None)
        if summary.keys:
            self.keyed_parts[id(call)] = {path: tr(toks) for path, toks in summary.keys}
        return tuple(tr(part) for part in summary.returns)

    def param_model(self, name: str) -> None:
        """`model.fit(...)` / `.predict(...)` / `.score(...)` on a parameter never rebound: the
        caller's estimator (`@model` in the summary; the caller knows its class)."""
        if name == self.self_name or name in self.s.classes:
            return
        if name in self.params and name not in self.s.env:
            self.s.classes[name] = "@model"
            self.s.env[name] = _EMPTY
            self.new_ident(name)
            return
        # `for name, model in models.items()` / `model = list(models.values())[i]` of a parameter
        # `models`: each is one of the caller's candidate models
        held = self.s.env.get(name, _EMPTY)
        named = {t.removeprefix("root:") for t in held if t.startswith("root:") and not t[5:6].isdigit()}
        if named and named <= set(self.params) and all(t.startswith(("root:", "rows:")) for t in held) and self.loops:
            self.s.classes[name] = "<candidate>"
            self.s.env[name] = _EMPTY
            self.new_ident(name)

    def model_arg(self, node: ast.expr) -> tuple[str, str] | None:
        """(the estimator object, its class) of an argument that names or makes one."""
        if isinstance(node, ast.Name) and node.id in self.s.classes:
            cls = self.s.classes[node.id]
            if not cls.startswith(_CV_SPLITTERS):
                return self.s.ident.get(node.id, node.id), cls
        elif isinstance(node, ast.Call):  # `evaluate(RandomForestClassifier(), X, y)`
            made = self.effective_class(node)
            if made is not None and not made.startswith(_CV_SPLITTERS):
                return f"<{made.rsplit('.', 1)[-1]}@{node.lineno}:{node.col_offset}>", made
        return None

    def site(
        self,
        call: ast.Call,
        callee: str,
        summary: LeakSummary | None,
        offset: int,
        results: dict[int, Tokens],
        tag: str,
    ) -> None:
        slots: dict[str, Tokens] = {}
        models: dict[str, tuple[str, str]] = {}
        named = [(str(i), a) for i, a in enumerate(call.args)]
        if any(isinstance(a, ast.Starred) for a in call.args):
            named = named[: next(i for i, a in enumerate(call.args) if isinstance(a, ast.Starred))]
        named += [(k.arg, k.value) for k in call.keywords if k.arg]
        made: dict[str, int] = {}
        for slot, a in named:
            slots[slot] = self.combine(a, results)
            model = self.model_arg(a)
            if model is not None:
                models[slot] = model
            elif isinstance(a, ast.Name) and a.id in self.s.made:
                made[slot] = self.s.made[a.id]
        fits = {ident: len(self.s.model_fits.get(ident, ())) for ident, _ in models.values()}
        loop = self.loops[-1] if self.loops else None
        self.site_of[id(call)] = len(self.s.sites)
        self.s.sites.append(CallSite(call, callee, summary, offset, slots, models, fits, loop, tag, made))

    def model_event(self, op: str, node: ast.AST, ident: str, data: Tokens, cls: str = "") -> str:
        """A model's fit ("mfit") or evaluation ("eval") in the summary: `obj` is "@P" for the
        caller's estimator given as parameter P, "local:NAME" for one made here. An evaluation's
        key token (returned as `scored:...`, in the summary `score:#I`) names the score it gives."""
        base = ident.split("#", 1)[0]
        sn = self.self_name
        if base.startswith("<") or (sn and base.startswith(sn + ".")):
            ref = f"local:{ident}"
        elif self.s.classes.get(base) == "@model":
            ref = "@" + base
        else:
            ref = f"local:{ident}"
        key = f"scored:{getattr(node, 'lineno', 0)}:{getattr(node, 'col_offset', 0)}" if op == "eval" else ""
        if key:
            self.event_of[key] = len(self.trace)
        if op == "mfit":
            self.event_of[f"fitmodel:{ident}"] = len(self.trace)
        kind = ""
        if op == "eval" and self.loops:  # a candidate fit and scored in one loop here
            loop = self.loops[-1]
            if any(f.in_loop is not None and within(f.node, loop) for f in self.s.model_fits.get(ident, ())):
                kind = "loop"
        self.trace.append(LeakEvent(op, self.ctx.span(node), self.sym(data), cls, kind, ref, self.ctx.source(node)))
        return key

    def fitted_model(self, node: ast.expr) -> Tokens:
        """`return model` of a model fit here: its fit, for the caller (`model:#I` in the summary)."""
        if isinstance(node, ast.Name) and node.id in self.s.classes:
            ident = self.s.ident.get(node.id, node.id)
            if self.s.model_fits.get(ident) and self.s.classes[node.id] != "@model":
                return frozenset({f"fitmodel:{ident}"})
        return _EMPTY

    def returned_model(
        self, call: ast.Call, label: str, summary: LeakSummary, recv: str | None, results: dict[int, Tokens]
    ) -> None:
        """`model = train_model(X, y)` of this file's function that fits a model and returns it:
        the caller's variable holds an estimator fit on the rows the call passed."""
        if len(summary.returns) != 1:
            return
        found = [t for t in summary.returns[0] if t.startswith("model:#")]
        if len(found) != 1:
            return
        k = int(found[0].removeprefix("model:#"))
        if k >= len(summary.events) or summary.events[k].op != "mfit":
            return
        slots = {str(i): self.combine(a, results) for i, a in enumerate(call.args) if not isinstance(a, ast.Starred)}
        slots.update({kw.arg: self.combine(kw.value, results) for kw in call.keywords if kw.arg})
        rows = rows_of(summary.events[k].data, bound_params(summary, 0 if recv is None else 1, slots))
        if rows is not None:
            ev = summary.events[k]
            self.produced[id(call)] = Fit("", ev.cls or "<returned>", call, rows, None, Origin(label, ev.span, ev.text))

    def handed(self) -> list[LeakEvent]:
        """A parameter model used other than by its own methods (returned, passed on, stored,
        cross-validated): the caller cannot know every evaluation of it ("hand")."""
        models = sorted(p for p in self.params if self.s.classes.get(p) == "@model")
        if not models:
            return []
        receivers: set[int] = set()
        loads: list[ast.Name] = []
        for node in self.ctx.walk_scope(self.scope):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in models:
                receivers.add(id(node.value))  # `model.fit`, `model.predict`, `model.classes_`
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _LOOKS_AT:
                receivers.update(id(a) for a in node.args)  # `type(model).__name__`, `print(model)`
            elif isinstance(node, ast.FormattedValue):
                receivers.add(id(node.value))  # f"{model}"
            elif isinstance(node, ast.Name) and node.id in models and isinstance(node.ctx, ast.Load):
                loads.append(node)
        out: list[LeakEvent] = []
        for p in models:
            first = next((n for n in loads if n.id == p and id(n) not in receivers), None)
            if first is not None:
                out.append(LeakEvent("hand", self.ctx.span(first), (), "", "", "@" + p))
        return out

    def summary(self) -> LeakSummary | None:
        qual = self.reg.qualname(self.scope)
        if qual is None:
            return None
        rets = [tuple(self.sym(p) for p in r) for r in self.returned]
        returns: tuple[tuple[str, ...], ...] = ()
        if rets:
            n = len(rets[0])
            if all(len(r) == n for r in rets):
                returns = tuple(tuple(sorted(set().union(*(r[i] for r in rets)))) for i in range(n))
            else:
                returns = (tuple(sorted({t for r in rets for part in r for t in part})),)
        attrs: list[tuple[str, tuple[str, ...]]] = []
        sn = self.self_name
        if sn:
            for name in sorted(self.s.env):
                if name.startswith(sn + ".") and name not in self.s.classes:
                    attr = "self." + name[len(sn) + 1 :]
                    toks = self.sym(self.s.env[name])
                    if toks and toks != ("@" + attr,):
                        attrs.append((attr, toks))
        return LeakSummary(qual, self.params, (*self.trace, *self.handed()), returns, tuple(attrs))

    def returned_entries(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The entries of the dict every `return` returns, by key path (`LeakSummary.keys`)."""
        if not self.returned_keys or any(k is None for k in self.returned_keys):
            return ()
        merged: dict[str, set[str]] = {}
        for entry in self.returned_keys:
            for path, rows in (entry or {}).items():
                merged.setdefault(path, set()).update(self.sym(rows))
        return tuple((path, tuple(sorted(rows))) for path, rows in sorted(merged.items()))

    # ------------------------------------------------------------ bindings

    def bind(self, target: ast.expr, value: ast.expr | None, tokens: Tokens) -> None:
        name = self.var_of(target)
        if name is not None:
            self.bind_name(name, value, tokens)
            return
        if (
            isinstance(target, (ast.Tuple, ast.List))
            and len(target.elts) == 2
            and isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id == "next"
            and value.args
        ):
            # `train_idx, test_idx = next(cv.split(X, y))`: one hold-out split, not folds
            folds = self.cv_folds(value.args[0], "are then split into train and test by")
            if folds is not None:
                self.bind(target.elts[0], None, frozenset({f"train:{folds}"}))
                self.bind(target.elts[1], None, frozenset({f"test:{folds}"}))
                return
        if isinstance(target, (ast.Tuple, ast.List)):
            split = self.split_of(value)
            if split is not None:
                self.bind_split(target, value, split)
                return
            parts = self.parts.get(id(value)) if isinstance(value, ast.Call) else None
            n = len(target.elts)
            if parts is not None and len(parts) >= n and not any(isinstance(t, ast.Starred) for t in target.elts):
                # (more parts than targets: a split of a `*args` whose count the callee did not know)
                for t, toks in zip(target.elts, parts[:n], strict=True):
                    self.bind(t, None, toks)  # `X_tr, X_te = prepare(train, test)`: each its own rows
                return
            k = self.ext.get(id(value)) if isinstance(value, ast.Call) else None
            if k is not None and not any(isinstance(t, ast.Starred) for t in target.elts):
                # `X_tr, X_te = load_split(...)`: each element its own rows (and its own root)
                own = f"root:{value.lineno}:{value.col_offset}"  # type: ignore[union-attr]
                whole = frozenset(t for t in tokens if not t.startswith("ext:") and t != own)
                for i, t in enumerate(target.elts):
                    self.bind(t, None, whole | {f"ext:{k}.{i}", f"{own}.{i}"})
                return
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts):
                for t, v in zip(target.elts, value.elts, strict=True):
                    self.bind(t, v, self.tokens_of(v))
                return
            for t in target.elts:
                self.bind(t.value if isinstance(t, ast.Starred) else t, None, tokens)
            return
        held = self.held_var(target)
        if held is not None and self.makes_estimator(value):
            # fitted["scaler"] = StandardScaler().fit(X): the element is an estimator of its own
            self.bind_name(held[1], value, _EMPTY)
            self.held.setdefault(held[0], []).append(held[1])
            return
        path = _key_path(target)
        if path is not None and len(path) > 1:
            # data["test"] = {...}: that entry holds these rows (and the dict all of them)
            self.s.keyed_names.add(path[0])
            self.s.keyed = {k: v for k, v in self.s.keyed.items() if k[: len(path)] != path}
            self.s.keyed[path] = tokens
            if isinstance(value, ast.Dict):
                self.bind_keys(path, value)
        if isinstance(target, (ast.Subscript, ast.Attribute)):
            # df["x"] = ... or obj.attr = ...: the container now also holds this data
            var = self.base_var(target)
            if var is not None:
                rows = self.s.env.get(var, frozenset({f"root:{var}"}))
                if isinstance(target, ast.Subscript) and _has_agg(tokens) and not _has_agg(rows):
                    tokens = self.regroup(tokens)  # df["city_mean"] = means: onto the rows
                self.s.env[var] = rows | tokens

    def bind_name(self, name: str, value: ast.expr | None, tokens: Tokens) -> None:
        """Bind a variable (or an attribute of `self` / of an instance of this file's class)."""
        source = (
            self.var_of(value.func.value)
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
            else None
        )
        if (  # `imputer = imputer.fit(X)`: fit returns the estimator itself
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr in ("fit", "set_params")
            and source is not None
            and source in self.s.classes
        ):
            self.s.env[name] = _EMPTY
            self.s.classes[name] = self.s.classes[source]
            self.s.ident[name] = self.s.ident.get(source, source)
            return
        self.s.env[name] = tokens
        self.s.classes.pop(name, None)
        self.s.ident.pop(name, None)
        for var in self.held.pop(name, ()):  # `steps = {...}` again: its old estimators are gone
            self.s.classes.pop(var, None)
            self.s.ident.pop(var, None)
            self.s.env.pop(var, None)
        self.s.candidates.discard(name)
        self.s.made.pop(name, None)
        if isinstance(value, ast.Call) and id(value) in self.produced:
            fit = self.produced[id(value)]  # `model = train_model(X, y)`: fit there, on these rows
            self.s.classes[name] = fit.cls
            self.s.env[name] = _EMPTY
            ident = self.new_ident(name)
            self.s.model_fits.setdefault(ident, []).append(
                Fit(ident, fit.cls, fit.node, fit.data, fit.in_loop, fit.origin)
            )
            return
        if isinstance(value, ast.Call) and "." not in name:
            made = self.site_of.get(id(value))
            if made is not None and self.s.sites[made].summary is None:
                self.s.made[name] = made  # `model = train_model(X, y)` of another module: a model, perhaps
        self.splitter_args.pop(name, None)
        self.instances.pop(name, None)
        self.objects.pop(name, None)
        self.ext_dicts.pop(name, None)
        if name in self.s.keyed_names:
            self.s.keyed_names.discard(name)
            self.s.keyed = {k: v for k, v in self.s.keyed.items() if k[0] != name}
        if isinstance(value, ast.Dict):
            self.bind_keys((name,), value)
        elif isinstance(value, ast.Call) and id(value) in self.keyed_parts:
            # data = make_splits(df) of this file: the dict's entries, each its own rows
            self.s.keyed_names.add(name)
            for path, toks in self.keyed_parts[id(value)].items():
                self.s.keyed[(name, *path.split("/"))] = toks
        elif isinstance(value, ast.Call) and id(value) in self.ext:
            self.ext_dicts[name] = self.ext[id(value)]
        if isinstance(value, (ast.List, ast.Tuple, ast.Dict)):
            self.hold(name, value)
            if self.models_in(value) >= 2:
                self.s.candidates.add(name)
        if isinstance(value, ast.Call):
            cls = self.effective_class(value)
            local = self.reg.local_class(value.func, self) if "." not in name else None
            if cls is not None:
                self.s.classes[name] = cls
                self.s.env[name] = _EMPTY
                self.new_ident(name)
                if cls.startswith(_CV_SPLITTERS):
                    given = [*value.args, *(k.value for k in value.keywords if k.arg in ("y", "n", "labels"))]
                    self.splitter_args[name] = frozenset().union(*(self.tokens_of(a) for a in given))
            elif id(value) in self.ext and (self.ctx.qualify(value.func) or ".").rsplit(".", 1)[-1][:1].isupper():
                # `p = Prep(df)` of an imported class: its method calls are recorded on it
                self.objects[name] = (self.ctx.qualify(value.func) or "", self.ext[id(value)])
            elif local is not None:
                # `p = Prep(df)`: an instance of this file's class; its methods share `p.<attr>`
                self.instances[name] = local
                self.s.env[name] = _EMPTY
                init = self.reg.method(local, "__init__")
                if init is not None:
                    self.apply(value, init, f"{local}()", name, {})
            elif (
                isinstance(value.func, ast.Attribute)
                and value.func.attr in ("fit", "set_params")
                and isinstance(value.func.value, ast.Call)
            ):
                inner = self.effective_class(value.func.value)
                if inner is not None:
                    # `m = Model().fit(X, y)`: rename the inline estimator's records to `m`
                    self.rename(f"<{inner.rsplit('.', 1)[-1]}@{value.func.value.lineno}>", name, inner)
        elif isinstance(value, ast.Name) and value.id in self.s.classes:
            self.s.classes[name] = self.s.classes[value.id]
            self.s.ident[name] = self.s.ident.get(value.id, value.id)

    def var_of(self, node: ast.expr | None) -> str | None:
        """A variable: a name, or `self.X` in a method (`p.X` for an instance `p` of this file's
        class), whose attributes are tracked one by one so methods share them."""
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            base = node.value.id
            if base == self.self_name or base in self.instances:
                return f"{base}.{node.attr}"
        held = self.held_var(node)
        if held is not None and held[1] in self.s.classes:
            return held[1]
        return None

    def held_var(self, node: ast.expr | None) -> tuple[str, str] | None:
        """`steps["scaler"]`, `preps[0]`, `self.steps["pca"]`: (the container, the element named
        as a variable), so an estimator kept in a dict, list or tuple is tracked as one."""
        if not isinstance(node, ast.Subscript) or not isinstance(node.slice, ast.Constant):
            return None
        key = node.slice.value
        if not isinstance(key, (str, int)) or isinstance(key, bool):
            return None
        base = self.var_of(node.value)
        return (base, _held(base, key)) if base is not None else None

    def makes_estimator(self, value: ast.expr | None) -> bool:
        """An estimator object: made here, one already held, or what its `fit` returns."""
        if isinstance(value, ast.Name):
            return value.id in self.s.classes
        if not isinstance(value, ast.Call):
            return False
        if self.effective_class(value) is not None:
            return True
        func = value.func
        return (
            isinstance(func, ast.Attribute)
            and func.attr in ("fit", "set_params")
            and self.estimator_of(func.value)[0] is not None
        )

    def hold(self, container: str, value: ast.expr) -> None:
        """Estimators in a dict, list or tuple literal bound to `container`: each a variable."""
        for key, v in _elements(value):
            if key is not None and self.makes_estimator(v):
                var = _held(container, key)
                self.bind_name(var, v, _EMPTY)
                self.held.setdefault(container, []).append(var)

    def base_var(self, node: ast.expr) -> str | None:
        """The variable a subscript or attribute chain starts from (`self.df` in `self.df["x"]`)."""
        while isinstance(node, (ast.Subscript, ast.Attribute)):
            var = self.var_of(node)
            if var is not None:
                return var
            node = node.value
        return node.id if isinstance(node, ast.Name) else None

    def bind_keys(self, path: tuple[str, ...], value: ast.Dict) -> None:
        for k, v in zip(value.keys, value.values, strict=True):
            if isinstance(k, ast.Constant) and isinstance(k.value, str):
                sub = (*path, k.value)
                self.s.keyed_names.add(path[0])
                self.s.keyed[sub] = self.tokens_of(v)
                if isinstance(v, ast.Dict):
                    self.bind_keys(sub, v)

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
        if old in self.event_of:
            self.event_of[new] = self.event_of[old]
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
        parts = self.split_parts(call)
        elts = target.elts
        if len(elts) == len(parts):
            for t, toks in zip(elts, parts, strict=True):
                self.bind(t, None, toks)
        else:
            whole = frozenset().union(*parts) if parts else _EMPTY
            for t in elts:
                self.bind(t, None, frozenset(x for x in whole if not x.startswith(("train:", "test:"))))

    def split_parts(self, call: ast.Call) -> tuple[Tokens, ...]:
        """`train_test_split(X, y)`: record the split; its results, train and test of each array."""
        sid = f"{call.lineno}:{call.col_offset}"
        arrays = [a for a in call.args if not isinstance(a, ast.Starred)]
        if (self.ctx.qualify(call.func) or "").endswith(".random_split"):
            arrays = arrays[:1]  # random_split(dataset, [n_train, n_test])
        inputs = [self.tokens_of(a) for a in arrays]
        last = call.args[-1] if call.args else None
        if isinstance(last, ast.Starred) and len(arrays) == len(call.args) - 1:
            starred = last.value
            # `train_test_split(*arrays)`: each array the caller passes (this function's own
            # `*args`, element by element), else the rows of the sequence, for any count
            own = isinstance(starred, ast.Name) and starred.id == self.star and starred.id not in self.s.env
            whole = self.tokens_of(starred)
            for k in range(_MAX_SPREAD):
                inputs.append(frozenset({f"root:{self.star}[{k}]"}) if own else whole)
        split = Split(call, sid, frozenset().union(*inputs) if inputs else _EMPTY)
        self.s.splits[sid] = split
        self.record("split", call, split.inputs, obj=sid)
        self.check_split(split, arrays)
        return tuple(toks | {f"{side}:{sid}"} for toks in inputs for side in ("train", "test"))

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

    # ---------------------------------------------------------- leak records

    def check_split(
        self, split: Split, arrays: list[ast.expr], how: str = "are then split into train and test by"
    ) -> None:
        """Data reaching a split already carries a preprocessor's statistics, or resampled rows."""
        self._check_evaluated(split.inputs, split.node, how, "split", "the test set")

    def check_transform(self, prep: str, call: ast.Call, out: Tokens) -> None:
        """A preprocessor fit on all rows transforms a test side: the test rows were in its fit."""
        fit = self.s.prep_fits.get(prep)
        if fit is None or is_split_side(fit.data):
            return
        for token in out:
            if token.startswith("test:"):
                split = self.s.splits.get(token.removeprefix("test:"))
                if split is not None and roots(fit.data) & roots(split.inputs) and fit.node.lineno < split.node.lineno:
                    self.leak_fit(fit, split.node, "are then split into train and test by")
                    return

    def check_cv_data(self, call: ast.Call, data: Tokens) -> None:
        self.record("cv", call, data)
        self._check_evaluated(data, call, "are then cross-validated by", "cross-validation", "the validation folds")

    def _check_evaluated(self, data: Tokens, where: ast.AST, how: str, what: str, lands_in: str) -> None:
        """Rows reaching a split or a cross-validation that carry a fit's or a statistic's
        knowledge of all rows (MLD801), or rows made by resampling them (MLD802)."""
        for token in sorted(data):
            if token.startswith(("fitted:", "stat:")):
                self.leak_into(token, where, how)
            elif token.startswith("resampled:"):
                node = self.s.resamples.get(token)
                if node is not None and node is not where and id(node) not in self.s.reported:
                    self.s.reported.add(id(node))
                    self.leaks.append(Leak(node, where, how, what=what, lands_in=lands_in))

    def leak_into(self, token: str, where: ast.AST, how: str, sid: str = "") -> None:
        """A preprocessor's or a statistic's rows reach an evaluation: leakage unless it saw only
        a training side (or only a test side: MLD805's finding)."""
        # Before a cross-validation, fitting on the training side is not enough: the validation
        # folds are training rows too. Only a fit on one fold's training rows is clean.
        cv = "cross-validat" in how
        if token.startswith("fitted:"):
            fit = self.s.prep_fits.get(token.removeprefix("fitted:"))
            if fit is not None and fit.node is where:
                return  # a fit and a split inside one callee: the callee's own finding
            if fit is not None and not self.clean_side(fit.data, cv, where, sid) and not has_test(fit.data):
                self.leak_fit(fit, where, how)
        elif token.startswith("stat:"):
            stat = self.s.stats.get(token)
            if (
                stat is not None
                and stat.node is not where
                and not self.clean_side(stat.data, cv, where, sid)
                and not has_test(stat.data)
                and roots(stat.data)
            ):
                self.leak_stat(stat, where, how)

    def clean_side(self, tokens: Tokens, cv: bool, where: ast.AST, sid: str = "") -> bool:
        """Rows a preprocessor may be fit on: a training side; before a cross-validation, only the
        training rows of the fold being evaluated (inside that fold's loop)."""
        if sid and f"train:{sid}" in tokens:
            return True  # the training side of the very split being evaluated
        if not cv:
            return is_split_side(tokens)
        for t in tokens:
            if t.startswith("train:"):
                loop = self.fold_loops.get(t.removeprefix("train:"))
                if loop is not None and within(where, loop):
                    return True
        return False

    def test_refit(self, fit: Fit, before: Fit | None, call: ast.Call) -> None:
        """A preprocessor's fit, with the fit of the same object before it (MLD805 asks whether it
        is a fit on a test side)."""
        self.refits.append(Refit(fit, before, call))

    def cross_validation(self, call: ast.Call, args: list[Tokens]) -> None:
        if call.args and isinstance(call.args[0], ast.Name):
            self.s.cv_evaluated.add(self.s.ident.get(call.args[0].id, call.args[0].id))
        data = frozenset().union(*args[1:3]) if len(args) > 1 else _EMPTY
        self.check_cv_data(call, data)

    def leak_fit(self, fit: Fit, where: ast.AST, how: str) -> None:
        if id(fit.node) in self.s.reported:
            return
        self.s.reported.add(id(fit.node))
        self.leaks.append(Leak(fit.node, where, how, fit=fit))

    def leak_stat(self, stat: Stat, where: ast.AST, how: str) -> None:
        line = f"stat-line:{stat.node.lineno}"
        if id(stat.node) in self.s.reported or line in self.s.stat_lines:
            return  # `(x - x.mean()) / x.std()`: one finding for the line
        self.s.reported.add(id(stat.node))
        self.s.stat_lines.add(line)
        self.leaks.append(Leak(stat.node, where, how, stat=stat))

    def pred(self, var: str) -> str:
        return f"pred:{var}|{len(self.s.model_fits.get(var, ()))}"

    def record_eval(self, model: str, node: ast.expr, data: Tokens, fit_no: int) -> Tokens:
        self.s.evals.append(Eval(model, node, data, self.loops[-1] if self.loops else None, fit_no))
        scored = self.model_event("eval", node, model, data)
        sids = sorted(t.removeprefix("test:") for t in data if t.startswith("test:"))
        for sid in sids:
            split = self.s.splits.get(sid)
            if split is None:
                continue
            how = (
                "are then split by position or sampling into train and test by"
                if split.weak
                else "are then split into train and test by"
            )
            if sid in self.fold_loops:
                how = "are then split into cross-validation folds by"
            for token in sorted(data):
                if token.startswith(("fitted:", "stat:")) and self.fit_before(token, node, data):
                    self.leak_into(token, split.node, how, sid)
        return frozenset({f"score:{model}|{sid}" for sid in sids} | ({scored} if scored else set()))

    def fit_before(self, token: str, node: ast.AST, data: Tokens) -> bool:
        """The preprocessor or statistic came before this evaluation, from some of its rows."""
        at = getattr(node, "lineno", 0)
        if token.startswith("fitted:"):
            fit = self.s.prep_fits.get(token.removeprefix("fitted:"))
            return fit is not None and fit.node.lineno <= at and bool(roots(fit.data) & roots(data))
        stat = self.s.stats.get(token)
        return stat is not None and stat.node.lineno <= at and bool(roots(stat.data) & roots(data))


def inside(origin: Origin, what: str = "fit happens") -> str:
    return f"the {what} inside `{origin.function}()`, line {origin.span.line}: `{origin.text}`"


_MERGES = frozenset({"merge", "join", "map", "replace", "combine_first", "update", "fillna"})
_MERGE_FUNCTIONS = frozenset({"pandas.merge", "pandas.merge_asof", "pandas.merge_ordered"})


def _grouped(node: ast.expr) -> bool:
    """`df.groupby(k)`, `df.groupby(k)["price"]`: a grouping, whose reductions give a row per group
    (as do a time series' buckets, `ts.resample("D")`)."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("groupby", "resample")
    )


def _other_rows(sl: ast.expr) -> bool:
    """A row selection by another frame's labels or length: `train.index`, `len(train)`,
    `train.shape[0]`."""
    for n in ast.walk(sl):
        if isinstance(n, ast.Attribute) and n.attr in ("index", "shape"):
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "len":
            return True
    return False


def _has_agg(tokens: Tokens) -> bool:
    return any(t.startswith("agg:") for t in tokens)


def is_split_side(tokens: Tokens) -> bool:
    return any(t.startswith("train:") for t in tokens)


def has_test(tokens: Tokens) -> bool:
    return any(t.startswith("test:") for t in tokens)


def is_transductive(tokens: Tokens) -> bool:
    return any(t.startswith("transductive:") for t in tokens)


def bound_params(summary: LeakSummary, offset: int, slots: Mapping[str, Tokens]) -> dict[str, Tokens]:
    """A call's arguments (by position "0", "1", ... or keyword) bound to the callee's parameters."""
    params = summary.params[offset:]
    out: dict[str, Tokens] = {}
    for slot, tokens in slots.items():
        if slot.isdigit():
            if int(slot) < len(params):
                out[params[int(slot)]] = tokens
        elif slot in summary.params:
            out[slot] = tokens
    return out


def param_of(summary: LeakSummary, offset: int, slot: str) -> str | None:
    params = summary.params[offset:]
    if slot.isdigit():
        return params[int(slot)] if int(slot) < len(params) else None
    return slot if slot in summary.params else None


def rows_of(data: tuple[str, ...], bound: Mapping[str, Tokens]) -> Tokens | None:
    """The caller's rows a summary step touches (what preprocessing did to them aside), or None
    when it touches rows the caller does not pass (its own reads, splits, a default)."""
    out: set[str] = set()
    for t in data:
        if t.startswith("@") and not t.startswith("@self."):
            got = bound.get(t[1:])
            if got is None:
                return None
            out |= got
        elif not t.startswith(("fitted:", "stat:")):
            return None
    return frozenset(out)


def site_spec(site: CallSite, given: Mapping[str, Tokens] | None = None, **extra: object) -> str:
    """A call site as `Smell.data` carries it to the project phase (JSON: the callee, the rows of
    each argument, or `given`), for a question that needs another module's summary."""
    slots = {k: sorted(signature(v)) for k, v in sorted((site.slots if given is None else given).items())}
    return json.dumps({"callee": site.callee, "offset": site.offset, "slots": slots, **extra}, sort_keys=True)


def spec_slots(spec: Mapping[str, object]) -> dict[str, Tokens]:
    slots = spec.get("slots")
    if not isinstance(slots, dict):
        return {}
    return {str(k): frozenset(str(t) for t in v) for k, v in slots.items() if isinstance(v, list)}


def summary_named(facts: FileFacts | None, qualname: str) -> LeakSummary | None:
    if facts is None:
        return None
    return next((s for s in facts.leak_summaries if s.function == qualname), None)


def _called(tokens: Tokens) -> bool:
    """What a call of the project's function returned (a helper's scores, perhaps)."""
    return any(t.startswith(("via:", "ext:")) for t in tokens)


def score_tokens(tokens: Tokens) -> Tokens:
    return frozenset(t for t in tokens if t.startswith("score:"))


def _is_data(tokens: Tokens) -> bool:
    """Rows of some data (not only a score, a statistic or a prediction)."""
    return any(t.startswith(("root:", "train:", "test:", "slice:", "rows:", "fitted:", "resampled:")) for t in tokens)


def _row_wise(call: ast.Call, method: bool) -> bool:
    """`X.mean(axis=1)`, `np.std(X, axis=-1)`: a statistic of each row, not of the rows."""
    axis: ast.expr | None = None
    for k in call.keywords:
        if k.arg in ("axis", "dim"):
            axis = k.value
    if axis is None:
        # positional: `X.mean(1)`, `np.mean(X, 1)` (the function's first argument is the data)
        last = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        q_first = last in ("quantile", "percentile", "nanquantile", "nanpercentile")  # (a, q, axis)
        at = (0 if method else 1) + (1 if q_first else 0)
        if last not in ("qcut",) and len(call.args) > at:
            axis = call.args[at]
    if isinstance(axis, (ast.Constant, ast.UnaryOp)):
        return ast.unparse(axis) not in ("0", "'index'", "'rows'", "None")
    return False


def _fraction(call: ast.Call) -> bool:
    """`df.sample(frac=0.8)`: part of the rows (`frac=1` only shuffles)."""
    for k in call.keywords:
        if k.arg == "frac" and isinstance(k.value, ast.Constant) and isinstance(k.value.value, float):
            return 0 < k.value.value < 1
    return False


def _is_true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _constant(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_constant(e) or isinstance(e, ast.Slice) for e in node.elts)
    return False


def _attr_chain(node: ast.expr) -> list[ast.expr]:
    out: list[ast.expr] = []
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        out.append(node)
        node = node.value
    return out


def _base_name(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _key_path(node: ast.expr) -> tuple[str, ...] | None:
    """`data["train"]["X"]` -> ("data", "train", "X"); None when a key is not a string literal."""
    keys: list[str] = []
    while isinstance(node, ast.Subscript):
        if not (isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)):
            return None
        keys.append(node.slice.value)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return (node.id, *reversed(keys))


def _steps(call: ast.Call) -> list[ast.expr]:
    """The steps of a Pipeline / FeatureUnion / ColumnTransformer / DataFrameMapper constructor."""
    first: ast.expr | None = call.args[0] if call.args else None
    for k in call.keywords:
        if k.arg in ("steps", "transformer_list", "transformers", "features"):
            first = k.value
    if isinstance(first, (ast.List, ast.Tuple)):
        out: list[ast.expr] = []
        for e in first.elts:
            if isinstance(e, ast.Tuple) and len(e.elts) >= 2:
                out.append(e.elts[1])  # ("name", step) or ("name", step, columns)
            else:
                out.append(e)
        return out
    return [a for a in call.args if not isinstance(a, ast.Starred)]  # make_pipeline(a, b)


def _position_pairs(ctx: FileContext, scope: ast.AST) -> frozenset[tuple[str, str]]:
    """(base, bound) of `X[:n]` / `X[n:]` and `ds.take(n)` / `ds.skip(n)` pairs in the scope: both
    halves present is a split by position."""
    seen: dict[tuple[str, str], set[str]] = {}
    for node in ctx.walk_scope(scope):
        sl = _row_slice(node.slice) if isinstance(node, ast.Subscript) else None
        if isinstance(node, ast.Subscript) and sl is not None:
            if sl.step is None and (sl.lower is None) != (sl.upper is None):
                bound = sl.upper if sl.upper is not None else sl.lower
                assert bound is not None
                key = (ast.unparse(node.value), ast.unparse(bound))
                seen.setdefault(key, set()).add("head" if sl.upper is not None else "tail")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("take", "skip")
            and len(node.args) == 1
        ):
            key = (ast.unparse(node.func.value), ast.unparse(node.args[0]))
            seen.setdefault(key, set()).add("head" if node.func.attr == "take" else "tail")
    return frozenset(k for k, v in seen.items() if len(v) == 2)


def _row_slice(sl: ast.expr) -> ast.Slice | None:
    """The rows a subscript slices: `X[:n]`, and `X[:n, :]` / `X[:-100,]` (NumPy, rows first);
    `X[:, 0]` takes a column of every row, no slice of the rows."""
    if isinstance(sl, ast.Slice):
        return sl
    if isinstance(sl, ast.Tuple) and sl.elts and isinstance(sl.elts[0], ast.Slice):
        rows = sl.elts[0]
        if rows.lower is not None or rows.upper is not None or rows.step is not None:
            return rows
    return None


def within(node: ast.AST, outer: ast.AST) -> bool:
    start: int = getattr(outer, "lineno", 0)
    end: int = getattr(outer, "end_lineno", None) or start
    return start <= getattr(node, "lineno", -1) <= end


def _is_prep(cls: str) -> bool:
    last = cls.rsplit(".", 1)[-1]
    return cls.startswith(_PREP_MODULES) and last[:1].isupper() and last not in _STATELESS | _VOCABULARY


_UNIONS = frozenset(
    {
        "sklearn.compose.ColumnTransformer",
        "sklearn.compose.make_column_transformer",
        "sklearn.pipeline.FeatureUnion",
        "sklearn.pipeline.make_union",
        "sklearn_pandas.DataFrameMapper",
        "sklearn_pandas.dataframe_mapper.DataFrameMapper",
    }
)
_PIPELINES = frozenset(
    {
        "sklearn.pipeline.Pipeline",
        "sklearn.pipeline.make_pipeline",
        "imblearn.pipeline.Pipeline",
        "imblearn.pipeline.make_pipeline",
    }
)
_ROW_CONCATS = frozenset({"pandas.concat", "numpy.concatenate", "numpy.vstack", "numpy.row_stack"})
_MUTATORS = frozenset({"append", "extend", "insert", "update", "add"})
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


class _Registry:
    """This file's functions and classes, and one analysis of each (made when first needed: a
    caller needs its callees' summaries). Calls nest at most `_MAX_DEPTH` deep; a recursive
    call, or one deeper, is not applied."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.classes: dict[str, dict[str, ast.FunctionDef | ast.AsyncFunctionDef]] = {}
        self.owner: dict[int, str] = {}  # id(method) -> its class
        for node in ctx.tree.body:
            if isinstance(node, FUNCTIONS):
                self.functions[node.name] = node
            elif isinstance(node, ast.ClassDef):
                methods = {m.name: m for m in node.body if isinstance(m, FUNCTIONS) and not _static(m)}
                self.classes[node.name] = methods
                for m in methods.values():
                    self.owner[id(m)] = node.name
        self.done: dict[int, ScopeFlow] = {}
        self.summaries: dict[int, LeakSummary | None] = {}
        self.running: list[int] = []
        self.estimators: dict[str, tuple[tuple[str, str], ...]] = {}  # class -> its `self` estimators

    def is_method(self, scope: ast.AST) -> bool:
        return id(scope) in self.owner

    def qualname(self, scope: ast.AST) -> str | None:
        if scope is self.ctx.tree:
            return "<module>"
        if isinstance(scope, FUNCTIONS):
            if self.functions.get(scope.name) is scope:
                return scope.name
            if id(scope) in self.owner:
                return f"{self.owner[id(scope)]}.{scope.name}"
        return None

    def analyse(self, scope: ast.AST) -> ScopeFlow | None:
        key = id(scope)
        if key in self.done:
            return self.done[key]
        if key in self.running or len(self.running) >= _MAX_DEPTH:
            return None
        self.running.append(key)
        try:
            analysis = ScopeFlow(self.ctx, scope, self)
            analysis.run()
        finally:
            self.running.pop()
        self.done[key] = analysis
        return analysis

    def summary(self, node: ast.AST) -> LeakSummary | None:
        key = id(node)
        if key not in self.summaries:
            analysis = self.analyse(node)
            if analysis is None:
                return None  # recursion, or too deep: not applied (and not remembered as such)
            found = analysis.summary()
            if found is not None:  # what a caller binds to `*args`/`**kwargs`, and a returned dict's entries
                found = replace(found, star=analysis.star, dstar=analysis.dstar, keys=analysis.returned_entries())
            self.summaries[key] = found
        return self.summaries[key]

    def attributes(self, at: ScopeFlow) -> tuple[tuple[str, str], ...]:
        """The estimators a method's class keeps on `self` (`self.scaler = StandardScaler()`)."""
        cls = self.owner.get(id(at.scope), "")
        if cls not in self.estimators:
            found: dict[str, str] = {}
            for method in self.classes.get(cls, {}).values():
                sn = method.args.args[0].arg if method.args.args else ""
                for node in self.ctx.walk_scope(method):
                    if (
                        isinstance(node, ast.Assign)
                        and len(node.targets) == 1
                        and isinstance(node.targets[0], ast.Attribute)
                        and isinstance(node.targets[0].value, ast.Name)
                        and node.targets[0].value.id == sn
                    ):
                        attr = node.targets[0].attr
                        for key, value in _elements(node.value):  # `self.steps = {"scaler": ...}` too
                            made = at.effective_class(value) if isinstance(value, ast.Call) else None
                            if made is not None:
                                found.setdefault(attr if key is None else _held(attr, key), made)
            self.estimators[cls] = tuple(sorted(found.items()))
        return self.estimators[cls]

    def local_class(self, func: ast.expr, at: ScopeFlow) -> str | None:
        if isinstance(func, ast.Name) and func.id in self.classes and not _shadowed(func.id, at):
            return func.id
        return None

    def method(self, cls: str, name: str) -> LeakSummary | None:
        node = self.classes.get(cls, {}).get(name)
        return self.summary(node) if node is not None else None

    def resolve(self, call: ast.Call, at: ScopeFlow) -> tuple[LeakSummary, str, str | None] | None:
        """(summary, how the call is written, the instance for a method) of this file's callee."""
        func = call.func
        if isinstance(func, ast.Name):
            node = self.functions.get(func.id)
            if node is None or _shadowed(func.id, at):
                return None
            found = self.summary(node)
            return (found, func.id, None) if found is not None else None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            base = func.value.id
            cls = self.owner.get(id(at.scope)) if base == at.self_name else at.instances.get(base)
            if cls is None:
                return None
            found = self.method(cls, func.attr)
            return (found, f"{base}.{func.attr}", base) if found is not None else None
        return None


_MAX_DEPTH = 8  # nested calls whose summaries are made on the way (helpers calling helpers)
_MAX_REPLAYED = 24  # callees' steps one summary carries on


def _shadowed(name: str, at: ScopeFlow) -> bool:
    return name in at.s.env or name in at.s.classes or name in at.params or name in at.ctx.aliases


def _static(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod") for d in node.decorator_list)


def _params(scope: ast.AST, method: bool) -> tuple[tuple[str, ...], str]:
    """A function's parameter names, and the name of `self` for a method."""
    if not isinstance(scope, FUNCTIONS):
        return (), ""
    a = scope.args
    names = [x.arg for x in (*a.posonlyargs, *a.args)]
    if a.vararg is not None:
        names.append(a.vararg.arg)
    names.extend(x.arg for x in a.kwonlyargs)
    if a.kwarg is not None:
        names.append(a.kwarg.arg)
    return tuple(names), (names[0] if method and names else "")


def _held(container: str, key: str | int) -> str:
    """An element of a container, named as written: `steps["scale"]`, `preps[0]`."""
    return f'{container}["{key}"]' if isinstance(key, str) else f"{container}[{key}]"


def _elements(value: ast.expr) -> list[tuple[str | int | None, ast.expr]]:
    """A value, or the elements of a dict, list or tuple literal, by key (None: the value itself)."""
    if isinstance(value, ast.Dict):
        return [
            (k.value, v)
            for k, v in zip(value.keys, value.values, strict=True)
            if isinstance(k, ast.Constant) and isinstance(k.value, (str, int)) and not isinstance(k.value, bool)
        ]
    if isinstance(value, (ast.List, ast.Tuple)) and not any(isinstance(e, ast.Starred) for e in value.elts):
        return list(enumerate(value.elts))
    return [(None, value)]


def _defaults(scope: ast.AST) -> list[tuple[str, ast.expr]]:
    """A function's parameters that have a default value, with it."""
    if not isinstance(scope, FUNCTIONS):
        return []
    a = scope.args
    positional = [*a.posonlyargs, *a.args]
    out = [(p.arg, d) for p, d in zip(positional[len(positional) - len(a.defaults) :], a.defaults, strict=True)]
    out.extend((p.arg, d) for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d is not None)
    return out


def _stars(scope: ast.AST) -> tuple[str, str]:
    """A function's `*args` and `**kwargs` parameter names ("" where it has none)."""
    if not isinstance(scope, FUNCTIONS):
        return "", ""
    a = scope.args
    return (a.vararg.arg if a.vararg else ""), (a.kwarg.arg if a.kwarg else "")


# Methods of an object a function is handed (`def prepare(prep, df): prep.fit(df)`) that the
# caller, which knows the object, replays: a preprocessor's or a feature builder's.
_HANDED_METHODS = frozenset({"fit", "fit_transform", "transform", "partial_fit"})
_MAX_SPREAD = 8  # elements of a forwarded `*args` followed one by one


def _forward(
    summary: LeakSummary,
    args: tuple[tuple[str, tuple[str, ...]], ...],
    bound: dict[str, Tokens],
    tr: Callable[[tuple[str, ...]], tuple[str, ...]],
) -> Iterator[tuple[str, tuple[str, ...]]]:
    """A replayed call's arguments in the caller's terms: a `*args` / `**kwargs` the callee
    forwards whole (`f(*args, **kwargs)`) becomes what its own caller passed, element by element
    and entry by entry (or, passed on whole again, the caller's own spread)."""
    for a, toks in args:
        whole = a == "**" and summary.dstar and toks == (f"@{summary.dstar}",)
        if a.startswith("*") and a != "**" and summary.star and toks == (f"@{summary.star}",):
            start = int(a[1:])
            k = 0
            while k < _MAX_SPREAD and f"{summary.star}[{k}]" in bound:
                yield str(start + k), tr((f"@{summary.star}[{k}]",))
                k += 1
            if k == 0 and summary.star in bound:
                yield f"*{start}", tr(toks)
        elif whole:
            prefix = f"{summary.dstar}["
            entries = sorted(n for n in bound if n.startswith(prefix))
            for n in entries:
                yield n[len(prefix) : -1], tr((f"@{n}",))
            if not entries and summary.dstar in bound:
                yield "**", tr(toks)
        else:
            yield a, tr(toks)


def _kind(cls: str) -> str:
    """How a preprocessor's fit learns from rows (as MLD801 tells them apart)."""
    last = cls.rsplit(".", 1)[-1]
    if last in _VOCABULARY:
        return "vocabulary"
    if last in _STATELESS or not _is_prep(cls):
        return "stateless"
    return "supervised" if cls.startswith(SUPERVISED) else "scaler"


def _imports_project(ctx: FileContext) -> bool:
    """Does the file import a module that may be the project's (a helper module's helpers)?"""
    return any(r not in _LIBRARIES and r not in sys.stdlib_module_names for r in ctx.imported_roots)


def _pruned(summary: LeakSummary) -> LeakSummary:
    """The summary without calls that cannot matter to another module: nothing but rows of
    their own passed, and their result never used by a later step (most calls of a library's
    functions). Steps are renumbered, and the tokens that name them."""
    used: set[str] = set()
    for e in summary.events:
        used.update(e.data)
        for _, toks in e.args:
            used.update(toks)
    for part in (*summary.returns, *(toks for _, toks in summary.attrs), *(toks for _, toks in summary.keys)):
        used.update(part)
    refs = {t[4:].partition(".")[0] for t in used if t.startswith(("ret:", "obj:"))}  # calls, instances
    keep = [
        i
        for i, e in enumerate(summary.events)
        if e.op != "call" or str(i) in refs or any(t != "src" for _, toks in e.args for t in toks)
    ]
    if len(keep) == len(summary.events):
        return summary
    new = {str(old): str(n) for n, old in enumerate(keep)}

    def renum(tokens: tuple[str, ...]) -> tuple[str, ...]:
        out: set[str] = set()
        for t in tokens:
            if t.startswith(("ret:", "obj:")):
                k, dot, i = t[4:].partition(".")
                if k in new:
                    out.add(f"{t[:4]}{new[k]}{dot}{i}")
            elif ":#" in t:
                kind, _, k = t.partition(":#")
                if k in new:
                    out.add(f"{kind}:#{new[k]}")
            else:
                out.add(t)
        return tuple(sorted(out))

    events = tuple(
        LeakEvent(
            e.op,
            e.span,
            renum(e.data),
            e.cls,
            e.kind,
            new[e.obj] if e.op == "call" else e.obj,
            e.text,
            tuple((a, renum(toks)) for a, toks in e.args),
        )
        for e in (summary.events[i] for i in keep)
    )
    return LeakSummary(
        summary.function,
        summary.params,
        events,
        tuple(renum(part) for part in summary.returns),
        tuple((attr, renum(toks)) for attr, toks in summary.attrs),
        summary.star,
        summary.dstar,
        tuple((path, renum(toks)) for path, toks in summary.keys),
    )


def _worth_keeping(summary: LeakSummary) -> bool:
    """A summary other files may need: its function fits, splits or calls something, or returns
    or keeps on `self` more than the rows it was given."""
    if summary.function == "<module>":
        return any(e.op == "call" for e in summary.events)
    if summary.events or ("." in summary.function and summary.attrs):
        return True  # a method's attributes are its instance's state for the next method called
    parts = [*summary.returns, *(toks for _, toks in summary.attrs)]
    return any(not t.startswith("@") and t != "src" for part in parts for t in part)


# Top-level packages that are libraries, never a project's own code (with the standard library).
_LIBRARIES = frozenset(
    {
        *("numpy", "pandas", "sklearn", "scipy", "torch", "torchvision", "tensorflow", "keras", "jax", "flax"),
        *("xgboost", "lightgbm", "catboost", "imblearn", "category_encoders", "sklearn_pandas", "statsmodels"),
        *("matplotlib", "seaborn", "plotly", "joblib", "tqdm", "transformers", "datasets", "mlflow", "wandb"),
        *("nltk", "spacy", "cv2", "PIL", "optuna", "hyperopt", "shap", "gensim", "dask", "pyspark", "polars"),
        *("yaml", "omegaconf", "hydra", "requests", "boto3", "timm", "albumentations", "lightning", "fastai"),
        *("pytorch_lightning", "tensorboard", "IPython", "google", "umap", "networkx", "numba", "sqlalchemy"),
        *("pyarrow", "h5py", "tf", "np", "pd", "plt", "sns", "tensorflow_hub", "keras_tuner", "featuretools"),
    }
)


def scope_body(scope: ast.AST) -> list[ast.stmt]:
    return list(getattr(scope, "body", []))


@dataclass(frozen=True, slots=True)
class LeakFlow:
    """The file's leakage data flow: each scope analysed (the module or notebook body, then its
    functions and methods, in the file's order), and the summaries kept for the project phase."""

    scopes: tuple[ScopeFlow, ...]
    summaries: tuple[LeakSummary, ...]


def _flow(ctx: FileContext) -> LeakFlow | None:
    if not ctx.imports_any(
        "sklearn", "imblearn", "category_encoders", "xgboost", "lightgbm", "catboost", "torch", "sklearn_pandas"
    ) and not (ctx.imports_any("pandas", "numpy", "scipy") or _imports_project(ctx) or ".fit" in ctx.text):
        # a module of helpers (pandas statistics, calls of the project's functions, `prep.fit(df)`
        # on an object its caller hands over) still gets summaries
        return None
    reg = _Registry(ctx)
    scopes: list[ScopeFlow] = []
    summaries: list[LeakSummary] = []
    for scope in (ctx.tree, *ctx.functions):
        analysis = reg.analyse(scope)
        if analysis is None:
            continue
        scopes.append(analysis)
        summary = reg.summary(scope)
        if summary is not None:
            summary = _pruned(summary)
            if _worth_keeping(summary):
                summaries.append(summary)
    return LeakFlow(tuple(scopes), tuple(summaries))


def flow_of(ctx: FileContext) -> LeakFlow | None:
    """The file's one leakage data flow (None: no library it could leak through), shared by
    MLD801-MLD805 and memoised per file."""
    return ctx.analysis(_flow)


def detect(ctx: FileContext) -> Iterator[LeakSummary]:
    """The file's function summaries (facts for graph/leakage.py), emitted here once per file;
    the findings are the rule modules' (`mldebt.rules.mld801_preprocessing_leakage` ...)."""
    flow = flow_of(ctx)
    if flow is not None:
        yield from flow.summaries
