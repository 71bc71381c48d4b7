"""The scan of reproducibility debt (Sculley et al. §8; Zhang et al., CAIN 2022: "Randomness
Uncontrolled", "Deterministic Algorithm Option Not Used") that MLD702 unseeded-randomness,
MLD703 missing-random-state and MLD704 nondeterministic-algorithm share (`scan_of`, once per
file; each rule's `detect` is in its rule module).

One pass over the file collects the seeds it sets, the draws from global random number
generators (numpy, `random`, torch, TensorFlow, training that initialises weights), the
scikit-learn style calls that take a `random_state` and do not get one, and the determinism
switches. The three rules read the same scan so that they never report the same line twice:
MLD702 (one per program, no seed for the library it draws from) never points at a line that
MLD703 (one per call) reports.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from mldebt.parse.detectors.context import FileContext, is_test_path
from mldebt.parse.detectors.types import FRAMES, KERAS_MODEL, OPTIMIZER


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --------------------------------------------------------------------------- seeds

ALL = "all"  # a seed of every generator (or one we cannot see into: a project `set_seed`)
NUMPY, RANDOM, TORCH, TF = "numpy", "random", "torch", "tensorflow"
LIB_NAMES = {NUMPY: "NumPy", RANDOM: "`random`", TORCH: "PyTorch", TF: "TensorFlow"}

_SEEDS: dict[str, str] = {
    "numpy.random.seed": NUMPY,
    "random.seed": RANDOM,
    "torch.manual_seed": TORCH,
    "torch.random.manual_seed": TORCH,
    "torch.cuda.manual_seed": TORCH,
    "torch.cuda.manual_seed_all": TORCH,
    "tensorflow.random.set_seed": TF,
    "tensorflow.set_random_seed": TF,
    "tensorflow.compat.v1.set_random_seed": TF,
    "tensorflow.compat.v1.random.set_random_seed": TF,
    "tensorflow.keras.utils.set_random_seed": ALL,  # python, numpy and tensorflow
    "keras.utils.set_random_seed": ALL,
    "pytorch_lightning.seed_everything": ALL,
    "lightning.seed_everything": ALL,
    "lightning.pytorch.seed_everything": ALL,
    "lightning.fabric.seed_everything": ALL,
    "transformers.set_seed": ALL,
    "accelerate.utils.set_seed": ALL,
}
# seeding functions whose bodies we know: enough for MLD704 to trust what it sees in the file
_KNOWN_ALL = frozenset(k for k, v in _SEEDS.items() if v == ALL) | frozenset(
    {
        "pytorch_lightning.utilities.seed.seed_everything",
        "lightning.fabric.utilities.seed.seed_everything",
        "transformers.trainer_utils.set_seed",
    }
)

# --------------------------------------------------------------------------- draws

_NUMPY_DRAWS = _words(
    """rand randn randint random_integers random random_sample ranf sample choice bytes shuffle
    permutation beta binomial chisquare dirichlet exponential f gamma geometric gumbel
    hypergeometric laplace logistic lognormal logseries multinomial multivariate_normal
    negative_binomial noncentral_chisquare noncentral_f normal pareto poisson power rayleigh
    standard_cauchy standard_exponential standard_gamma standard_normal standard_t triangular
    uniform vonmises wald weibull zipf"""
)
_RANDOM_DRAWS = _words(
    """random randint randrange choice choices sample shuffle uniform gauss normalvariate
    lognormvariate expovariate vonmisesvariate gammavariate triangular betavariate
    paretovariate weibullvariate getrandbits randbytes binomialvariate"""
)
_TORCH_DRAWS = _words(
    """rand randn randint randperm rand_like randn_like randint_like normal bernoulli
    multinomial poisson"""
)
# torch's random tensor constructors: in a program that does not train, most often a dummy
# input to trace, export or profile a model, whose values do not matter
_TORCH_DUMMY = frozenset({"rand", "randn", "rand_like", "randn_like", "randint", "randint_like"})
_TORCH_INIT = _words(
    """uniform_ normal_ xavier_uniform_ xavier_normal_ kaiming_uniform_ kaiming_normal_
    trunc_normal_ orthogonal_ sparse_"""
)
_TF_DRAWS = _words(
    """normal uniform shuffle categorical truncated_normal gamma poisson random_normal
    random_uniform random_shuffle random_gamma random_poisson multinomial"""
)
_TF1_DRAWS = frozenset({"random_normal", "random_uniform", "random_shuffle", "truncated_normal", "multinomial"})

# --------------------------------------------------------------------------- random_state

# scikit-learn (and imbalanced-learn) callables that draw random numbers under their default
# arguments and take `random_state`; class name -> what is random. Not listed on purpose:
# LogisticRegression, LinearSVC, Lasso/ElasticNet (random only for some solvers or settings),
# HistGradientBoosting* (random only with early stopping on > 10,000 rows), single decision
# trees (random only in ties; often the base learner an ensemble seeds), xgboost, lightgbm and
# catboost (their default seed is a fixed 0).
_ALWAYS: dict[str, str] = {
    **dict.fromkeys(
        ["RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor"],
        "bootstraps rows and samples features at random",
    ),
    **dict.fromkeys(
        ["GradientBoostingClassifier", "GradientBoostingRegressor"], "permutes features at random at each split"
    ),
    **dict.fromkeys(
        ["BaggingClassifier", "BaggingRegressor", "IsolationForest", "RandomTreesEmbedding"],
        "samples rows and features at random",
    ),
    **dict.fromkeys(["AdaBoostClassifier", "AdaBoostRegressor"], "seeds its weak learners at random"),
    **dict.fromkeys(
        ["KMeans", "MiniBatchKMeans", "BisectingKMeans", "GaussianMixture", "BayesianGaussianMixture"],
        "initialises its clusters at random",
    ),
    "SpectralClustering": "initialises its eigenvector embedding and k-means at random",
    **dict.fromkeys(
        ["TruncatedSVD", "FastICA", "LatentDirichletAllocation", "SparsePCA", "MiniBatchSparsePCA"],
        "initialises its decomposition at random",
    ),
    **dict.fromkeys(["DictionaryLearning", "MiniBatchDictionaryLearning"], "initialises its dictionary at random"),
    **dict.fromkeys(["TSNE", "MDS"], "initialises its embedding at random"),
    **dict.fromkeys(
        [
            "SGDClassifier",
            "SGDRegressor",
            "SGDOneClassSVM",
            "Perceptron",
            "PassiveAggressiveClassifier",
            "PassiveAggressiveRegressor",
        ],
        "shuffles the training rows at random every epoch",
    ),
    "RANSACRegressor": "fits on random subsets",
    **dict.fromkeys(["MLPClassifier", "MLPRegressor", "BernoulliRBM"], "initialises its weights at random"),
    **dict.fromkeys(
        ["RBFSampler", "Nystroem", "SkewedChi2Sampler", "GaussianRandomProjection", "SparseRandomProjection"],
        "draws its random projection",
    ),
    **dict.fromkeys(
        ["ShuffleSplit", "StratifiedShuffleSplit", "GroupShuffleSplit", "RepeatedKFold", "RepeatedStratifiedKFold"],
        "splits the rows at random",
    ),
    **dict.fromkeys(["RandomizedSearchCV", "HalvingRandomSearchCV"], "samples its parameter candidates at random"),
    **dict.fromkeys(
        ["SMOTE", "ADASYN", "BorderlineSMOTE", "SVMSMOTE", "RandomOverSampler", "RandomUnderSampler"],
        "resamples the rows at random",
    ),
}
_SHUFFLE_SPLITTERS = frozenset({"KFold", "StratifiedKFold"})  # random only with shuffle=True
_FUNCTIONS: dict[str, str] = {
    "train_test_split": "shuffles the rows at random before splitting",
    "shuffle": "shuffles the rows at random",
    "resample": "resamples the rows at random",
    "permutation_importance": "permutes the columns at random",
    "mutual_info_classif": "adds random noise to continuous features",
    "mutual_info_regression": "adds random noise to continuous features",
}
_FUNCTION_MODULES = (
    "sklearn.model_selection",
    "sklearn.cross_validation",
    "sklearn.utils",
    "sklearn.inspection",
    "sklearn.feature_selection",
)
_PACKAGES = ("sklearn.", "imblearn.")

# --------------------------------------------------------------------------- determinism

_DETERMINISTIC_CALLS = frozenset(
    {
        "torch.use_deterministic_algorithms",
        "tensorflow.config.experimental.enable_op_determinism",
        "tensorflow.config.enable_op_determinism",
    }
)
_LEARN_METHODS = frozenset(
    {"fit", "fit_transform", "fit_predict", "partial_fit", "fit_generator", "train_on_batch", "backward"}
)
_TRAIN_FUNCTIONS = frozenset({"xgboost.train", "lightgbm.train", "xgboost.cv", "lightgbm.cv"})
_SEED_KEYWORDS = frozenset({"random_state", "seed", "random_seed", "manual_seed"})
_ML_ROOTS = ("numpy", "torch", "tensorflow", "keras", "sklearn", "jax", "pandas", "lightning", "pytorch_lightning")


@dataclass
class Scan:
    seeds: list[tuple[ast.Call, str]] = field(default_factory=list)  # (call, library or ALL)
    opaque_seed: bool = False  # a seed through a function we cannot see into
    draws: list[tuple[ast.AST, str, str]] = field(default_factory=list)  # (node, library, what)
    missing_state: list[tuple[ast.Call, str]] = field(default_factory=list)  # MLD703 (call, why)
    torch_train: list[ast.Call] = field(default_factory=list)
    keras_fit: list[ast.Call] = field(default_factory=list)
    deterministic: bool = False  # torch: use_deterministic_algorithms(True) or cudnn.deterministic
    benchmark: ast.AST | None = None  # `cudnn.benchmark = True`
    tf_deterministic: bool = False
    intent: ast.AST | None = None  # the first `random_state=...`/`seed=...` passed in the file
    learns: bool = False  # fits, trains or back-propagates something
    learn_calls: list[ast.Call] = field(default_factory=list)
    main_guard: bool = False
    top_level_work: bool = False  # module-level code that draws, trains or calls a local function


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    for k in call.keywords:
        if k.arg == name:
            return k.value
    return None


def _star_kwargs(call: ast.Call) -> bool:
    return any(k.arg is None for k in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args)


def _is_const(node: ast.expr | None, value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def _literal_str(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _no_seed_arg(call: ast.Call) -> bool:
    """`default_rng()`, `RandomState(None)`, `random.Random()`: a generator seeded from the OS."""
    if call.keywords:
        seed = _kw(call, "seed")
        return seed is not None and _is_const(seed, None) and not call.args
    return not call.args or (len(call.args) == 1 and _is_const(call.args[0], None))


class _Scanner:
    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.out = Scan()
        self.local_functions = {f.name for f in ctx.functions}
        self.dummies: list[ast.Call] = []

    def run(self) -> Scan:
        ctx = self.ctx
        for node in ctx.walk():
            if isinstance(node, ast.Call):
                self.call(node)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                self.assign(node)
            elif isinstance(node, ast.If) and self._is_main_guard(node.test):
                self.out.main_guard = True
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 200:
                self.constant(node.value)
        if self.out.torch_train:  # in a training program, random tensors are data or noise
            for node in self.dummies:
                self.draw(node, TORCH)
        self.out.seeds.sort(key=lambda s: (s[0].lineno, s[0].col_offset))
        return self.out

    def constant(self, text: str) -> None:
        """Determinism switched on in a form we do not follow: `TF_DETERMINISTIC_OPS=1`,
        `setattr(cudnn, "deterministic", True)`, `eval("...cudnn.deterministic...")`, a
        `--deterministic` flag."""
        low = text.lower()
        if "tf_deterministic_ops" in low:
            self.out.tf_deterministic = True
        elif (
            low.strip("-") == "deterministic"
            or "use_deterministic_algorithms" in low
            or ("cudnn" in low and "deterministic" in low)
        ):
            self.out.deterministic = True

    @staticmethod
    def _is_main_guard(test: ast.expr) -> bool:
        if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
            return False
        sides = [test.left, test.comparators[0]]
        return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
            _literal_str(s) == "__main__" for s in sides
        )

    def _top_level(self, node: ast.AST) -> bool:
        return self.ctx.scope_of(node) is self.ctx.tree

    def draw(self, node: ast.AST, lib: str, what: str = "") -> None:
        what = what or f"`{self.ctx.source(node)}` draws from the global {LIB_NAMES[lib]} generator"
        self.out.draws.append((node, lib, what))
        if self._top_level(node):
            self.out.top_level_work = True

    # ------------------------------------------------------------------ calls

    def call(self, node: ast.Call) -> None:
        ctx, out = self.ctx, self.out
        name = ctx.qualify(node.func) or ""
        last = name.rsplit(".", 1)[-1]
        if out.intent is None:
            for k in node.keywords:
                if k.arg in _SEED_KEYWORDS and not _is_const(k.value, None):
                    out.intent = k  # the file passes a seed somewhere: it cares about reproducibility
                    break
        if any(k.arg == "deterministic" and not _is_const(k.value, False) for k in node.keywords):
            out.deterministic = True  # lightning Trainer(deterministic=True), init_seeds(deterministic=...)
        if isinstance(node.func, ast.Name) and node.func.id in self.local_functions and self._top_level(node):
            parent = ctx.parent(node)
            if isinstance(parent, ast.Expr):
                out.top_level_work = True  # `main()` at the bottom of a script
        # seeds
        if name in _SEEDS:
            if node.args or node.keywords or _SEEDS[name] == ALL:
                out.seeds.append((node, _SEEDS[name]))
            return
        if "seed" in last.lower() and name not in _KNOWN_ALL:
            out.seeds.append((node, ALL))
            local = isinstance(node.func, ast.Name) and node.func.id in self.local_functions
            if not local and not name.startswith(("numpy.", "torch.", "tensorflow.", "random.")):
                out.opaque_seed = True
            return
        if name in _KNOWN_ALL:
            out.seeds.append((node, ALL))
            return
        if name in _DETERMINISTIC_CALLS:
            if name.startswith("torch."):
                if not (node.args and _is_const(node.args[0], False)):
                    out.deterministic = True
            else:
                out.tf_deterministic = True
            return
        self.draws_of(node, name, last)
        self.random_state(node, name, last)
        self.training(node, name)

    def draws_of(self, node: ast.Call, name: str, last: str) -> None:
        head = name.rsplit(".", 1)[0] if "." in name else ""
        if head == "numpy.random":
            if last in _NUMPY_DRAWS:
                self.draw(node, NUMPY)
            elif last in ("RandomState", "default_rng") and _no_seed_arg(node):
                self.draw(node, NUMPY, f"`{self.ctx.source(node)}` creates a generator seeded from the OS")
        elif head == "random":
            if last in _RANDOM_DRAWS:
                self.draw(node, RANDOM)
            elif last == "Random" and _no_seed_arg(node) and not node.keywords:
                self.draw(node, RANDOM, f"`{self.ctx.source(node)}` creates a generator seeded from the OS")
        elif head in ("torch", "torch.random"):
            if last in _TORCH_DRAWS and _kw(node, "generator") is None:
                if last in _TORCH_DUMMY:
                    self.dummies.append(node)  # a random input to trace or profile a model, or data
                else:
                    self.draw(node, TORCH)
        elif head == "torch.nn.init":
            if last in _TORCH_INIT and _kw(node, "generator") is None:
                self.draw(node, TORCH)
        elif name in ("torch.utils.data.random_split", "torch.utils.data.dataset.random_split"):
            if _kw(node, "generator") is None and len(node.args) < 3:
                self.draw(node, TORCH)
        elif name in ("torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"):
            if _is_const(_kw(node, "shuffle"), True) and _kw(node, "generator") is None:
                self.draw(node, TORCH, "`DataLoader(..., shuffle=True)` shuffles with the global PyTorch generator")
        elif (
            (head in ("tensorflow.random", "tensorflow.compat.v1.random") and last in _TF_DRAWS)
            or (head in ("tensorflow", "tensorflow.compat.v1") and last in _TF1_DRAWS)
        ) and _kw(node, "seed") is None:
            self.draw(node, TF)

    def training(self, node: ast.Call, name: str) -> None:
        func = node.func
        if name in _TRAIN_FUNCTIONS:
            self.out.learns = True
        if not isinstance(func, ast.Attribute):
            return
        if func.attr in _LEARN_METHODS or (func.attr == "step" and self.ctx.types.kind_of(func.value) == OPTIMIZER):
            self.out.learns = True
            self.out.learn_calls.append(node)
        if func.attr == "backward" and self.ctx.imports_any("torch"):
            self.out.torch_train.append(node)
            self.draw(
                node, TORCH, f"training (`{self.ctx.source(node)}`) starts from weights PyTorch initialises at random"
            )
        elif func.attr == "fit" and self.ctx.types.kind_of(func.value) == KERAS_MODEL:
            self.out.keras_fit.append(node)
            self.draw(node, TF, f"training (`{self.ctx.source(node)}`) starts from weights Keras initialises at random")

    def random_state(self, node: ast.Call, name: str, last: str) -> None:
        """MLD703: a scikit-learn style call that draws at random with no `random_state`."""
        if _kw(node, "random_state") is not None or _star_kwargs(node):
            return
        why: str | None = None
        if name.startswith(_PACKAGES):
            if last in _ALWAYS and len(node.args) < 3:
                why = _ALWAYS[last]
            elif last in _SHUFFLE_SPLITTERS and len(node.args) < 3:
                shuffle = _kw(node, "shuffle")
                if shuffle is None and len(node.args) >= 2:
                    shuffle = node.args[1]
                if _is_const(shuffle, True):
                    why = "shuffles the rows at random (`shuffle=True`)"
            elif last in ("SVC", "NuSVC") and _is_const(_kw(node, "probability"), True):
                why = "calibrates its probabilities on random folds (`probability=True`)"
            elif last == "PCA" and _literal_str(_kw(node, "svd_solver")) in ("randomized", "arpack"):
                why = "uses a randomised SVD solver"
            elif last == "NMF" and _literal_str(_kw(node, "init")) == "random":
                why = "initialises its factors at random (`init='random'`)"
            elif last in _FUNCTIONS and name.rsplit(".", 1)[0].startswith(_FUNCTION_MODULES):
                if last == "train_test_split" and _is_const(_kw(node, "shuffle"), False):
                    return
                why = _FUNCTIONS[last]
            elif name.startswith("sklearn.datasets.make_") and len(node.args) < 3:
                why = "draws a random data set"
        elif (
            isinstance(node.func, ast.Attribute)
            and last == "sample"
            and len(node.args) < 5
            and self._assigned(node)
            and self.ctx.types.kind_of(node.func.value) in FRAMES
        ):
            why = "draws random rows"
        if why is not None:
            self.out.missing_state.append((node, why))

    def _assigned(self, node: ast.AST) -> bool:
        """Is the value kept (assigned or returned)? `df.sample(5)` on its own only displays rows."""
        for a in self.ctx.ancestors(node):
            if isinstance(a, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return)):
                return True
            if isinstance(a, ast.stmt):
                return False
        return False

    # ----------------------------------------------------------------- assigns

    def assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        for t in targets:
            if not isinstance(t, ast.Attribute):
                continue
            name = self.ctx.qualify(t) or ""
            if name == "torch.backends.cudnn.deterministic" and not _is_const(value, False):
                self.out.deterministic = True
            elif name == "torch.backends.cudnn.benchmark" and _is_const(value, True):
                self.out.benchmark = node


def _scan(ctx: FileContext) -> Scan | None:
    if not ctx.imports_any(*_ML_ROOTS) or is_test_path(ctx.rel):
        return None
    return _Scanner(ctx).run()


def scan_of(ctx: FileContext) -> Scan | None:
    """The file's one scan (None: no ML library, or test code), shared by MLD702-704."""
    return ctx.analysis(_scan)


def seeded(scan: Scan) -> set[str]:
    return {lib for _, lib in scan.seeds}


def numpy_seeded(scan: Scan) -> bool:
    """A global NumPy seed also makes scikit-learn's default generator reproducible."""
    return bool(seeded(scan) & {NUMPY, ALL})


def is_program(ctx: FileContext, scan: Scan) -> bool:
    """A notebook, or a script that runs something (MLD702 and MLD704 are about programs)."""
    return ctx.notebook or scan.main_guard or scan.top_level_work


def line_of(node: ast.AST) -> int:
    return getattr(node, "lineno", 0)
