"""MLD405 abstraction-debt: training scripts with no functions, and god functions that load,
fit, evaluate and save."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from mldebt.parse import apis
from mldebt.parse.detectors.context import FUNCTIONS, FileContext
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, data


class AbstractionDebt(FileRule):
    id = "MLD405"
    name = "abstraction-debt"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {
        "min-script-statements": (int, 25),  # a training script with no function, over this many statements
        "max-statements": (int, 50),  # a function doing all four phases, over this many statements
    }

    def accept(self, smell: Smell) -> bool:
        statements = int(data(smell, "statements", "0"))
        if data(smell, "kind") == "script":
            return statements > int(self.options["min-script-statements"])
        return statements > int(self.options["max-statements"])


# detection ------------------------------------------------------------------------------


_DATA_READERS = frozenset(
    name for name, spec in apis.CALLS.items() if spec.op == "read" and spec.kind == "data" and "open" not in name
) - {"requests.get", "httpx.get", "urllib.request.urlopen", "PIL.Image.open", "cv2.imread", "h5py.File"}
_READER_PREFIXES = ("sklearn.datasets.load_", "sklearn.datasets.fetch_", "torchvision.datasets.")
_READER_SUFFIXES = (".load_data",)  # keras.datasets.mnist.load_data
_METRIC_PREFIXES = ("sklearn.metrics.", "torchmetrics.", "evaluate.load")
_EVAL_METHODS = frozenset({"predict", "predict_proba", "score", "evaluate"})
_FIT_METHODS = frozenset({"fit", "partial_fit", "fit_generator", "train_model", "backward"})  # `loss.backward()`
_SAVERS = frozenset({"joblib.dump", "pickle.dump", "torch.save", "dill.dump", "cloudpickle.dump", "numpy.save"})
_MODEL_SAVE_METHODS = frozenset({"save_model", "save_pretrained", "save_weights"})
_ML_ROOTS = (
    "sklearn",
    "xgboost",
    "lightgbm",
    "catboost",
    "torch",
    "tensorflow",
    "keras",
    "transformers",
    "statsmodels",
)


_FIT_TEXT = re.compile(r"\.(?:fit|partial_fit|fit_generator|train_model|train|backward)\(")


def _phase(ctx: FileContext, call: ast.Call) -> str:
    """ "load" | "fit" | "evaluate" | "save" | "" for one call."""
    name = ctx.call_name(call) or ""
    method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    if name in _DATA_READERS or name.startswith(_READER_PREFIXES) or name.endswith(_READER_SUFFIXES):
        return "load"
    if name in apis.TRAIN_FUNCTIONS or method in _FIT_METHODS:
        return "fit"
    if method == "train" and isinstance(call.func, ast.Attribute) and call.args:
        return ""  # `model.train()` switches a torch module's mode; `trainer.train()` below
    if method == "train" and not call.args and not call.keywords:
        receiver = ctx.dotted(call.func.value) if isinstance(call.func, ast.Attribute) else None
        return "fit" if receiver and receiver.split(".")[-1].lower().endswith("trainer") else ""
    if name.startswith(_METRIC_PREFIXES) or method in _EVAL_METHODS:
        return "evaluate"
    if method == "eval" and not call.args and not call.keywords and isinstance(call.func, ast.Attribute):
        return "evaluate"  # `model.eval()`: a torch module switched to evaluation
    if name in _SAVERS or method in _MODEL_SAVE_METHODS:
        return "save"
    if (
        method == "save"
        and isinstance(call.func, ast.Attribute)
        and ctx.imports_any("keras", "tensorflow")
        and ctx.types.kind_of(call.func.value) == "keras-model"
    ):
        return "save"
    return ""


def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD405: a training script with no functions; a function that loads, fits, evaluates and saves."""
    if not ctx.imports_any(*_ML_ROOTS) or not _FIT_TEXT.search(ctx.text):
        return
    scopes: list[ast.Module | ast.FunctionDef | ast.AsyncFunctionDef] = [ctx.tree, *ctx.functions]
    has_defs = any(isinstance(n, (*FUNCTIONS, ast.ClassDef)) for n in ctx.walk())
    for scope in scopes:
        if scope is ctx.tree and (ctx.notebook or has_defs):
            continue
        first: dict[str, ast.Call] = {}
        count = 0
        for node in ctx.walk_scope(scope):
            if isinstance(node, ast.stmt):
                count += 1
            elif isinstance(node, ast.Call):
                phase = _phase(ctx, node)
                if phase and phase not in first:
                    first[phase] = node
        if isinstance(scope, ast.Module):
            need = ("load", "fit") if ("save" in first or "evaluate" in first) else ("load", "fit", "save")
            if not all(p in first for p in need):
                continue
            phases = [p for p in ("load", "fit", "evaluate", "save") if p in first]
            anchor: ast.AST = first["fit"]
            what = "this script"
            where = "at module level, with no function or class"
            kind = "script"
        else:
            if not all(p in first for p in ("load", "fit", "evaluate", "save")):
                continue
            phases = ["load", "fit", "evaluate", "save"]
            anchor = scope
            what = f"`{scope.name}`"
            where = "in one function"
            kind = "function"
        verbs = {"load": "loads data", "fit": "fits", "evaluate": "evaluates", "save": "saves"}
        done = [f"{verbs[p]} (`{ctx.source(first[p].func)}`)" for p in phases]
        steps = ", ".join(done[:-1]) + " and " + done[-1]
        yield ctx.smell(
            "MLD405",
            anchor,
            f"{what} {steps} {where}: {count} statements",
            key=f"{kind}:{getattr(scope, 'name', '<module>')}",
            related=tuple((first[p], f"{p}: `{ctx.source(first[p])}`") for p in phases),
            data=(("kind", kind), ("statements", str(count)), ("phases", ",".join(phases))),
        )
