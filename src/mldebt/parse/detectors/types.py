"""Value kinds where ML code needs them: which names hold DataFrames, arrays, tensors, estimators,
torch modules, optimizers, data loaders.

A small, flow-ordered inference per scope, with no execution and no scope providers:
- a binding's kind comes from what is assigned: a library constructor or reader by qualified
  name (`pd.read_csv` -> dataframe), a method of a value of known kind (`df.dropna()` ->
  dataframe, `model.predict(X)` -> array), a subscript (`df["a"]` -> series), arithmetic, a
  parameter annotation, a class of the file that subclasses `torch.nn.Module`, or what a
  function of the same file returns;
- `kind_of(node)` looks a name up at the node's line: the last binding above it in its scope,
  then the enclosing class's `self.` attributes, then the module's names;
- a name bound to different kinds in one scope keeps the latest; unknown is `None`, and rules
  treat unknown as "not the thing" (precision first).
"""

from __future__ import annotations

import ast
from bisect import bisect_right
from collections.abc import Iterator

from mldebt.parse.detectors.context import FUNCTIONS, FileContext

DATAFRAME = "dataframe"
SERIES = "series"
ARRAY = "array"  # numpy ndarray
TENSOR = "tensor"  # torch tensor
TF_TENSOR = "tf-tensor"
ESTIMATOR = "estimator"  # scikit-learn style: fit / predict / transform
TORCH_MODULE = "torch-module"
OPTIMIZER = "optimizer"
LOADER = "loader"  # torch DataLoader
KERAS_MODEL = "keras-model"
GROUPBY = "groupby"
FRAMES = (DATAFRAME, SERIES)

_EXACT: dict[str, str] = {
    "pandas.DataFrame": DATAFRAME,
    "pandas.concat": DATAFRAME,
    "pandas.merge": DATAFRAME,
    "pandas.get_dummies": DATAFRAME,
    "pandas.pivot_table": DATAFRAME,
    "pandas.json_normalize": DATAFRAME,
    "pandas.Series": SERIES,
    "pandas.to_datetime": SERIES,
    "pandas.to_numeric": SERIES,
    "polars.DataFrame": DATAFRAME,
    "torch.utils.data.DataLoader": LOADER,
    "torch.utils.data.dataloader.DataLoader": LOADER,
    "tensorflow.keras.Sequential": KERAS_MODEL,
    "tensorflow.keras.Model": KERAS_MODEL,
    "tensorflow.keras.models.Sequential": KERAS_MODEL,
    "tensorflow.keras.models.Model": KERAS_MODEL,
    "keras.Sequential": KERAS_MODEL,
    "keras.Model": KERAS_MODEL,
    "keras.models.Sequential": KERAS_MODEL,
    "keras.models.Model": KERAS_MODEL,
    "tensorflow.keras.models.load_model": KERAS_MODEL,
    "keras.models.load_model": KERAS_MODEL,
}
_NUMPY_NOT_ARRAY = frozenset(
    {"numpy.random.seed", "numpy.save", "numpy.savez", "numpy.savetxt", "numpy.random.default_rng"}
)
_TORCH_TENSOR = frozenset(
    [
        "tensor",
        "as_tensor",
        "from_numpy",
        "zeros",
        "ones",
        "empty",
        "full",
        "rand",
        "randn",
        "randint",
        "arange",
        "linspace",
        "cat",
        "stack",
        "zeros_like",
        "ones_like",
        "empty_like",
        "rand_like",
        "randn_like",
        "full_like",
        "where",
        "matmul",
        "mm",
        "bmm",
        "einsum",
        "load",
        "sigmoid",
        "softmax",
        "exp",
        "log",
        "abs",
        "sqrt",
        "sum",
        "mean",
        "max",
        "min",
        "clamp",
        "flatten",
        "squeeze",
        "unsqueeze",
    ]
)
_TF_TENSOR = frozenset(
    ["constant", "Variable", "zeros", "ones", "fill", "range", "convert_to_tensor", "concat", "stack"]
)
_ESTIMATOR_PACKAGES = ("sklearn.", "xgboost.", "lightgbm.", "catboost.", "imblearn.")
# DataFrame/Series methods whose result is not a frame of the same kind
_FRAME_TO_ARRAY = frozenset({"to_numpy", "__array__"})
_FRAME_NOT_FRAME = frozenset(
    [
        "to_csv",
        "to_parquet",
        "to_pickle",
        "to_json",
        "to_excel",
        "to_sql",
        "to_dict",
        "to_list",
        "tolist",
        "to_string",
        "to_feather",
        "sum_count",
        "item",
        "nunique",
        "count_nonzero",
        "plot",
        "hist",
        "info",
        "memory_usage",
        "equals",
        "any",
        "all",
        "items",
        "iterrows",
        "itertuples",
        "iteritems",
        "keys",
        "describe_option",
        "__len__",
    ]
)
_SERIES_FROM_FRAME = frozenset({"sum", "mean", "median", "std", "var", "min", "max", "count", "nunique", "isna"})
_ESTIMATOR_TO_ARRAY = frozenset(
    [
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "transform",
        "fit_transform",
        "fit_predict",
        "inverse_transform",
        "score_samples",
    ]
)
_ESTIMATOR_SELF = frozenset({"fit", "set_params", "partial_fit"})
_TENSOR_NOT_TENSOR = frozenset({"item", "tolist", "numpy", "size", "dim", "backward", "numel", "data_ptr"})
_MODULE_SELF = frozenset({"to", "cuda", "cpu", "train", "eval", "float", "double", "half", "requires_grad_"})


class Types:
    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        # scope node id -> name -> sorted [(line, col), kind or None]
        # Everything is computed on demand: a file whose detectors ask nothing pays nothing, and
        # one that asks about one function binds that function's scope (and the module's) only.
        self._bindings: dict[int, dict[str, list[tuple[tuple[int, int], str | None]]]] = {}
        self._module_classes = self._torch_classes()
        self._returns: dict[str, str | None] = {}
        self._top_functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        for stmt in ctx.tree.body:
            if isinstance(stmt, FUNCTIONS):
                self._top_functions[stmt.name] = stmt
                if ctx.module:
                    self._top_functions[f"{ctx.module}.{stmt.name}"] = stmt

    # ------------------------------------------------------------ public API

    def kind_of(self, node: ast.expr) -> str | None:
        """The kind of an expression at its place in the file, or None when unknown."""
        return self._infer(node, self.ctx.scope_of(node), (node.lineno, node.col_offset))

    def is_frame(self, node: ast.expr) -> bool:
        return self.kind_of(node) in FRAMES

    def returns(self, function: str) -> str | None:
        """The kind a function of this file returns (by its name), if every return agrees."""
        fn = self._top_functions.get(function)
        if fn is None:
            return None
        key = fn.name
        if key not in self._returns:
            self._returns[key] = None  # recursion (direct or mutual) gives up
            annotated = self._annotation(fn.returns)
            if annotated:
                self._returns[key] = annotated
            else:
                kinds = {
                    self._infer(r.value, fn, (r.lineno, r.col_offset)) if r.value is not None else None
                    for r in self.ctx.walk_scope(fn)
                    if isinstance(r, ast.Return)
                }
                self._returns[key] = next(iter(kinds)) if len(kinds) == 1 else None
        return self._returns[key]

    def _table(self, scope: ast.AST) -> dict[str, list[tuple[tuple[int, int], str | None]]]:
        table = self._bindings.get(id(scope))
        if table is None:
            table = self._bind_scope(scope)
        return table

    # ------------------------------------------------------------ inference

    def _infer(self, node: ast.expr, scope: ast.AST, at: tuple[int, int], depth: int = 0) -> str | None:
        if depth > 12:
            return None
        if isinstance(node, ast.Name):
            return self._lookup(node.id, scope, at)
        if isinstance(node, ast.Attribute):
            dotted = self.ctx.dotted(node)
            if dotted and dotted.startswith("self."):
                return self._lookup(dotted, scope, at)
            base = self._infer(node.value, scope, at, depth + 1)
            if base in FRAMES:
                if node.attr == "values":
                    return ARRAY
                if node.attr in ("T", "loc", "iloc") and base == DATAFRAME:
                    return DATAFRAME if node.attr == "T" else None
                return None
            if base in (ARRAY, TENSOR) and node.attr in ("T", "real", "imag", "data", "mT"):
                return base
            return None
        if isinstance(node, ast.Subscript):
            base = self._infer(node.value, scope, at, depth + 1)
            if base == DATAFRAME:
                index = node.slice
                if isinstance(index, ast.Constant) and isinstance(index.value, str):
                    return SERIES
                if isinstance(index, ast.List):
                    return DATAFRAME
                if isinstance(node.value, ast.Attribute) and node.value.attr in ("loc", "iloc"):
                    return None
                return None
            if base in (ARRAY, TENSOR, TF_TENSOR):
                return base
            if isinstance(node.value, ast.Attribute) and node.value.attr in ("loc", "iloc"):
                owner = self._infer(node.value.value, scope, at, depth + 1)
                if owner == SERIES:
                    return None
            return None
        if isinstance(node, ast.BinOp):
            left = self._infer(node.left, scope, at, depth + 1)
            right = self._infer(node.right, scope, at, depth + 1)
            for kind in (DATAFRAME, SERIES, TENSOR, TF_TENSOR, ARRAY):
                if kind in (left, right):
                    return kind
            return None
        if isinstance(node, ast.UnaryOp):
            return self._infer(node.operand, scope, at, depth + 1)
        if isinstance(node, ast.Call):
            return self._call(node, scope, at, depth)
        return None

    def _call(self, node: ast.Call, scope: ast.AST, at: tuple[int, int], depth: int) -> str | None:
        name = self.ctx.qualify(node.func)
        if name is not None:
            kind = self._library(name)
            if kind == DATAFRAME and not _one_frame(name, node):
                return None  # read_excel(sheet_name=None): a dict of frames; read_csv(chunksize=n): chunks
            if kind is not None:
                return kind
            if name in self._module_classes:
                return TORCH_MODULE
            if name in self._top_functions:
                return self.returns(name)
        if isinstance(node.func, ast.Attribute):
            method = node.func.attr
            receiver = self._infer(node.func.value, scope, at, depth + 1)
            if receiver in FRAMES:
                if method in _FRAME_TO_ARRAY:
                    return ARRAY
                if method == "groupby":
                    return GROUPBY
                if method in _FRAME_NOT_FRAME:
                    return None
                if receiver == DATAFRAME and method in _SERIES_FROM_FRAME:
                    return SERIES
                if method in ("apply", "map", "agg", "aggregate", "squeeze"):
                    return None  # the callable decides
                if receiver == SERIES and method in ("sum", "mean", "median", "std", "var", "min", "max", "count"):
                    return None  # a scalar
                return receiver
            if receiver == GROUPBY:
                return DATAFRAME if method in ("agg", "aggregate", "mean", "sum", "count", "size") else None
            if receiver == ESTIMATOR:
                if method in _ESTIMATOR_TO_ARRAY:
                    return ARRAY
                if method in _ESTIMATOR_SELF:
                    return ESTIMATOR
                return None
            if receiver == ARRAY:
                return None if method in ("tolist", "item", "sum", "mean", "max", "min", "std") else ARRAY
            if receiver == TENSOR:
                if method == "numpy":
                    return ARRAY
                return None if method in _TENSOR_NOT_TENSOR else TENSOR
            if receiver == TORCH_MODULE:
                if method in _MODULE_SELF:
                    return TORCH_MODULE
                if method == "forward":
                    return TENSOR
                return None
            if receiver == KERAS_MODEL and method == "predict":
                return ARRAY
        else:
            callee = self._infer(node.func, scope, at, depth + 1)
            if callee == TORCH_MODULE:
                return TENSOR
        return None

    def _library(self, name: str) -> str | None:
        if name in _EXACT:
            return _EXACT[name]
        head, _, last = name.rpartition(".")
        if name.startswith("pandas.read_") or name.startswith("polars.read_"):
            return DATAFRAME
        if name.startswith("numpy.") and name not in _NUMPY_NOT_ARRAY and "." not in name[6:].replace("random.", ""):
            if last[:1].islower() and last not in ("isnan", "any", "all", "sum", "mean", "max", "min", "std"):
                return ARRAY
            return None
        if name.startswith("numpy.random.") and name not in _NUMPY_NOT_ARRAY:
            return ARRAY
        if head == "torch" and last in _TORCH_TENSOR:
            return TENSOR
        if name.startswith("torch.nn.") and last[:1].isupper() and not name.startswith("torch.nn.functional"):
            return TORCH_MODULE
        if name.startswith("torchvision.models.") and last[:1].islower() and not last.startswith(("get_", "list_")):
            return TORCH_MODULE  # model builders: `torchvision.models.resnet18(weights=...)`
        if name.startswith("torch.optim.") and last[:1].isupper() and "lr_scheduler" not in name:
            return OPTIMIZER
        if head in ("tensorflow", "tf") and last in _TF_TENSOR:
            return TF_TENSOR
        if name.startswith(_ESTIMATOR_PACKAGES) and last[:1].isupper():
            if name.startswith("sklearn.model_selection.") and not last.endswith(("SearchCV", "CV")):
                return None  # splitters, not estimators
            if last.endswith(("Error", "Warning", "Display")) or ".metrics." in name:
                return None
            return ESTIMATOR
        return None

    def _torch_classes(self) -> set[str]:
        """Classes of this file that subclass torch.nn.Module (or each other)."""
        out: set[str] = set()
        classes = [n for n in self.ctx.nodes(ast.ClassDef) if isinstance(n, ast.ClassDef)]
        for _ in range(3):
            for cls in classes:
                for base in cls.bases:
                    name = self.ctx.qualify(base)
                    if name in ("torch.nn.Module", "torch.nn.modules.module.Module") or name in out:
                        out.add(cls.name)
                        if self.ctx.module:
                            out.add(f"{self.ctx.module}.{cls.name}")
        return out

    # ------------------------------------------------------------- bindings

    def _lookup(self, name: str, scope: ast.AST, at: tuple[int, int]) -> str | None:
        chain: list[ast.AST] = [scope, *(a for a in self.ctx.ancestors(scope) if isinstance(a, FUNCTIONS))]
        if name.startswith("self."):
            cls = next((a for a in self.ctx.ancestors(scope) if isinstance(a, ast.ClassDef)), None)
            if cls is None:
                return None
            # `self.x` of any method of the class: the kind all its assignments agree on
            kinds = {kind for fn in cls.body if isinstance(fn, FUNCTIONS) for _, kind in self._table(fn).get(name, [])}
            if len(kinds) == 1:
                return next(iter(kinds))
            return None
        if scope is not self.ctx.tree:
            chain.append(self.ctx.tree)
        for i, s in enumerate(chain):
            entries = self._table(s).get(name)
            if not entries:
                continue
            if i == 0:
                keys = [pos for pos, _ in entries]
                k = bisect_right(keys, at)
                if k == 0:
                    if s is self.ctx.tree:
                        return None
                    continue
                return entries[k - 1][1]
            return entries[-1][1]  # a module name seen from a function: its last binding
        return None

    def _bind_scope(self, scope: ast.AST) -> dict[str, list[tuple[tuple[int, int], str | None]]]:
        table: dict[str, list[tuple[tuple[int, int], str | None]]] = {}
        self._bindings[id(scope)] = table  # visible while it fills: lookups see what is bound so far
        if isinstance(scope, FUNCTIONS):
            args = scope.args
            for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                kind = self._annotation(a.annotation)
                table.setdefault(a.arg, []).append(((scope.lineno, scope.col_offset), kind))
        for node in self.ctx.walk_scope(scope):
            if isinstance(node, ast.Assign):
                kind = self._infer(node.value, scope, (node.lineno, node.col_offset))
                for target in node.targets:
                    self._bind_target(table, target, node.value, kind, scope, _end(node))
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                kind = self._annotation(node.annotation) or self._infer(
                    node.value, scope, (node.lineno, node.col_offset)
                )
                self._bind_target(table, node.target, node.value, kind, scope, _end(node))
            elif isinstance(node, ast.AugAssign):
                kind = self._infer(node.target, scope, (node.lineno, node.col_offset))
                self._bind_target(table, node.target, node.value, kind, scope, _end(node))
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)):
                for target in _loop_targets(node):
                    self._bind_target(table, target, None, None, scope, _end(target))
        for entries in table.values():
            entries.sort(key=lambda e: e[0])
        return table

    def _bind_target(
        self,
        table: dict[str, list[tuple[tuple[int, int], str | None]]],
        target: ast.expr,
        value: ast.expr | None,
        kind: str | None,
        scope: ast.AST,
        pos: tuple[int, int],
    ) -> None:
        if isinstance(target, ast.Name):
            table.setdefault(target.id, []).append((pos, kind))
        elif isinstance(target, ast.Attribute):
            dotted = self.ctx.dotted(target)
            if dotted and dotted.startswith("self."):
                table.setdefault(dotted, []).append((pos, kind))
        elif isinstance(target, (ast.Tuple, ast.List)):
            kinds = self._unpack(value, len(target.elts), scope)
            for elt, k in zip(target.elts, kinds, strict=True):
                self._bind_target(table, elt, None, k, scope, pos)

    def _unpack(self, value: ast.expr | None, n: int, scope: ast.AST) -> list[str | None]:
        if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == n:
            return [self._infer(e, scope, (e.lineno, e.col_offset)) for e in value.elts]
        if isinstance(value, ast.Call) and self.ctx.qualify(value.func) in SPLITTERS:
            arrays = [a for a in value.args if not isinstance(a, ast.Starred)]
            if len(arrays) * 2 == n:
                return [self._infer(a, scope, (a.lineno, a.col_offset)) for a in arrays for _ in (0, 1)]
        return [None] * n

    def _annotation(self, node: ast.expr | None) -> str | None:
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        name = self.ctx.qualify(node)
        return {
            "pandas.DataFrame": DATAFRAME,
            "pandas.Series": SERIES,
            "numpy.ndarray": ARRAY,
            "torch.Tensor": TENSOR,
            "torch.nn.Module": TORCH_MODULE,
            "torch.utils.data.DataLoader": LOADER,
            "torch.optim.Optimizer": OPTIMIZER,
        }.get(name or "")


def _end(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "end_lineno", None) or 0, getattr(node, "end_col_offset", None) or 0)


SPLITTERS = frozenset({"sklearn.model_selection.train_test_split", "sklearn.cross_validation.train_test_split"})


def _loop_targets(node: ast.For | ast.AsyncFor | ast.With | ast.AsyncWith) -> Iterator[ast.expr]:
    if isinstance(node, (ast.For, ast.AsyncFor)):
        yield node.target
    else:
        for item in node.items:
            if item.optional_vars is not None:
                yield item.optional_vars


def _one_frame(name: str, call: ast.Call) -> bool:
    """Whether a pandas/polars reader returns one frame: not `read_html` (a list of them),
    `read_excel(sheet_name=None)` or a list of sheets (a dict), a chunked read (an iterator)."""
    if name.endswith((".read_html", ".read_xml_all")):
        return False
    for k in call.keywords:
        if k.arg in ("chunksize", "iterator") and not (
            isinstance(k.value, ast.Constant) and k.value.value in (None, False)
        ):
            return False
        if k.arg in ("sheet_name", "sheetname") and not (
            isinstance(k.value, ast.Constant)
            and isinstance(k.value.value, (str, int))
            and not isinstance(k.value.value, bool)
        ):
            return isinstance(
                k.value, (ast.Name, ast.Attribute, ast.Subscript, ast.Call, ast.JoinedStr)
            )  # unknown: one
    return True
