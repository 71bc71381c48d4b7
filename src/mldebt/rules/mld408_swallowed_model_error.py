"""MLD408 swallowed-model-error: `except: pass` around fit, predict, load or save."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from mldebt.parse.detectors.context import FUNCTIONS, FileContext, prototype_scope
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class SwallowedModelError(FileRule):
    id = "MLD408"
    name = "swallowed-model-error"


# detection ------------------------------------------------------------------------------


_MODEL_METHODS = frozenset(
    {
        "fit",
        "fit_transform",
        "partial_fit",
        "fit_predict",
        "fit_generator",
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "load_state_dict",
        "save_pretrained",
        "from_pretrained",
        "save_model",
        "load_model",
        "save_weights",
        "load_weights",
    }
)
# generic method names: a model call only on a value known to be a model
_MODEL_KIND_METHODS = frozenset({"transform", "score", "train", "evaluate", "save", "load", "forward", "compile"})
_MODEL_KINDS = frozenset({"estimator", "torch-module", "keras-model"})
_MODEL_CALLS = frozenset(
    {
        "torch.load",
        "torch.save",
        "torch.jit.load",
        "torch.jit.save",
        "joblib.load",
        "joblib.dump",
        "tensorflow.keras.models.load_model",
        "keras.models.load_model",
        "keras.saving.load_model",
        "tensorflow.saved_model.load",
        "tensorflow.saved_model.save",
        "xgboost.train",
        "lightgbm.train",
        "catboost.train",
        "onnxruntime.InferenceSession",
        "mlflow.pyfunc.load_model",
        "mlflow.sklearn.load_model",
    }
)
_MODEL_LIBS = (
    "sklearn",
    "torch",
    "tensorflow",
    "keras",
    "xgboost",
    "lightgbm",
    "catboost",
    "transformers",
    "joblib",
    "onnxruntime",
    "mlflow",
    "statsmodels",
)


def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD408: `except: pass` (or `except Exception: pass`) around fit/predict/load/save."""
    if prototype_scope(ctx) or not ctx.imports_any(*_MODEL_LIBS):
        return
    for node in ctx.walk():
        if type(node).__name__ not in ("Try", "TryStar"):
            continue
        handlers: list[ast.ExceptHandler] = getattr(node, "handlers", [])
        handler = next((h for h in handlers if _swallows(ctx, h)), None)
        if handler is None:
            continue
        call = _model_call(ctx, getattr(node, "body", []))
        if call is None:
            continue
        caught = "except:" if handler.type is None else f"except {ctx.source(handler.type)}:"
        body = ctx.source(handler.body[0]) if handler.body else "pass"
        yield ctx.smell(
            "MLD408",
            handler,
            f"`{caught} {body}` swallows any error of `{ctx.source(call.func)}(...)` ({ctx.line_ref(call, handler)}): "
            "a model that failed to load, train or predict goes on silently",
            key=f"swallow|{ctx.source(call.func)}",
            related=((call, "the model call whose errors are silenced"),),
        )


# `from_pretrained` of these loads a preprocessor or a configuration, not a model
_NOT_MODELS = re.compile(r"(Tokenizer|Processor|FeatureExtractor|Config|Extractor)\w*$")


def _swallows(ctx: FileContext, handler: ast.ExceptHandler) -> bool:
    if handler.type is not None:
        caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        if not any(ctx.qualify(c) in ("Exception", "BaseException", "builtins.Exception") for c in caught):
            return False
    return bool(handler.body) and all(
        isinstance(s, (ast.Pass, ast.Continue))
        or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and s.value.value is Ellipsis)
        for s in handler.body
    )


def _model_call(ctx: FileContext, body: list[ast.stmt]) -> ast.Call | None:
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        if isinstance(node, (*FUNCTIONS, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Call):
            name = ctx.call_name(node) or ""
            if name in _MODEL_CALLS:
                return node
            if isinstance(node.func, ast.Attribute):
                method = node.func.attr
                if (
                    method in _MODEL_METHODS
                    and not _is_module_function(ctx, node.func)
                    and (method != "from_pretrained" or not _NOT_MODELS.search(ctx.dotted(node.func.value) or ""))
                ):
                    return node
                if method in _MODEL_KIND_METHODS and ctx.types.kind_of(node.func.value) in _MODEL_KINDS:
                    return node
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return None


def _is_module_function(ctx: FileContext, func: ast.Attribute) -> bool:
    """`module.fit(...)` of some non-model library (e.g. `scipy.stats.norm.fit`) is no model call."""
    name = ctx.qualify(func) or ""
    root = name.split(".")[0]
    return root in ctx.imported_roots and root in ("scipy", "numpy", "statsmodels", "lmfit")
