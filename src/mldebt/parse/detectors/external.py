"""Names and helpers shared by the rules of the external world, monitoring and data testing
(Sculley et al. §7, §8) and of self-admitted debt, whose detectors live in their rule modules:
MLD601 fixed-threshold, MLD602 unmonitored-prediction, MLD701 unvalidated-external-data and
MLD706 self-admitted-debt (library roots, names in an expression, numeric literals, message
helpers)."""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.facts import Span

_ML_ROOTS = (
    "sklearn",
    "torch",
    "tensorflow",
    "keras",
    "jax",
    "flax",
    "xgboost",
    "lightgbm",
    "catboost",
    "transformers",
    "mlflow",
    "statsmodels",
    "onnxruntime",
    "joblib",
)
_DATA_ROOTS = ("pandas", "numpy", "polars", "pyspark", "dask", "scipy", "datasets", "pyarrow")


def _last(ctx: FileContext, node: ast.expr) -> str:
    """The last segment of a dotted name (`self.model` -> "model"), or ""."""
    dotted = ctx.dotted(node)
    return dotted.rsplit(".", 1)[-1] if dotted else ""


def _names(node: ast.AST) -> Iterator[str]:
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            yield n.id


def _number(node: ast.expr) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _number(node.operand)
        if inner is not None:
            return -inner if isinstance(node.op, ast.USub) else inner
    return None


_ORDER = (ast.Gt, ast.GtE, ast.Lt, ast.LtE)
# roots of libraries and the standard library: their functions are no project function
_NOT_PROJECT = frozenset(
    {*_ML_ROOTS, *_DATA_ROOTS, *sys.stdlib_module_names, "matplotlib", "seaborn", "plotly", "tqdm", "wandb"}
)
_VALIDATE_WORD = re.compile(r"(?i)(valid|sanitiz|^check_|^verify|^ensure_|^parse_obj|^parse_raw)")


def _line_span(line: int) -> Span:
    return Span(line, 1, line, 1)


def _at(ctx: FileContext, line: int) -> str:
    """` (line N)` for messages; notebooks leave it to the evidence, which names the cell."""
    return "" if ctx.notebook else f" (line {line})"
