"""MLD402 glue-code: one general-purpose ML package called directly from many project modules,
with no wrapper of the project's own; and modules dominated by format conversions around one
package (the second face: `detect`, below, measures the ratio; the rule applies the thresholds).

Graph face: for each package, the non-test Python modules (not notebooks) that construct its
estimators or call its trainers (`ModelEvent` construct / fit facts with the package's `api`),
counting only modules of a project package (the parent has an `__init__.py`) that import or
are imported by another project module: one system, not a folder of independent scripts.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.facts import ModelEvent, Smell
from mldebt.rules.base import Hit, Rule, data, is_test_path, site_of

_PACKAGES = ("sklearn", "xgboost", "lightgbm", "catboost", "statsmodels")
_MAX_RELATED = 8

if TYPE_CHECKING:
    from mldebt.graph.build import Built


class GlueCode(Rule):
    id = "MLD402"
    name = "glue-code"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {
        "min-modules": (int, 6),  # modules calling one package's estimators directly
        "min-conversions": (int, 8),  # conversions in a module (file face)
        "min-ratio": (float, 0.15),  # share of the module's calls that are conversions (file face)
    }

    def check(self, built: Built) -> Iterator[Hit]:
        yield from self._unwrapped(built)
        yield from self._conversions(built)

    def _unwrapped(self, built: Built) -> Iterator[Hit]:
        sites: dict[str, dict[str, ModelEvent]] = defaultdict(dict)  # package -> module -> first event
        connected = _connected(built)
        for path, f in sorted(built.project.files.items()):
            if f.kind != "python" or is_test_path(path) or path not in connected or not _in_package(built, f.module):
                continue
            for ev in f.models:
                package = ev.api.split(".")[0]
                if ev.event in ("construct", "fit") and package in _PACKAGES and "." in ev.api:
                    sites[package].setdefault(path, ev)
        for package in sorted(sites):
            modules = sites[package]
            if len(modules) < max(2, int(self.options["min-modules"])):
                continue
            paths = sorted(modules)
            first = modules[paths[0]]
            yield Hit(
                site=site_of(paths[0], first.span),
                message=(
                    f"`{package}` is called directly from {len(paths)} modules with no wrapper of the project's "
                    f"own: {', '.join(paths[:4])}{' ...' if len(paths) > 4 else ''}"
                ),
                related=tuple(
                    site_of(p, modules[p].span, f"`{modules[p].api}` called directly")
                    for p in paths[1 : 1 + _MAX_RELATED]
                ),
                key=f"unwrapped:{package}",
            )

    def _conversions(self, built: Built) -> Iterator[Hit]:
        for path, f in sorted(built.project.files.items()):
            if is_test_path(path):
                continue  # tests build expected values in every format by design
            for smell in f.smells:
                if smell.rule != self.id or data(smell, "kind") != "conversions":
                    continue
                if int(data(smell, "conversions", "0")) < int(self.options["min-conversions"]):
                    continue
                if float(data(smell, "ratio", "0")) < float(self.options["min-ratio"]):
                    continue
                yield Hit(site=site_of(path, smell.span), message=smell.message, key=smell.key)


def _connected(built: Built) -> set[str]:
    """Modules that import, or are imported by, another module of the project: parts of one
    system, not a folder of independent example scripts or homework solutions."""
    project = built.project
    out: set[str] = set()
    for path, f in project.files.items():
        if f.kind != "python":
            continue
        for imp in f.imports:
            target = project.find_module(imp.module, near=f.module)
            if target is None and imp.name is not None:
                target = project.find_module(f"{imp.module}.{imp.name}", near=f.module)
            if target is not None and target.path != path and target.kind == "python":
                out.update((path, target.path))
    return out


def _in_package(built: Built, module: str) -> bool:
    """A module of a project package (its parent has an `__init__.py`), not a loose script."""
    parent = module.rsplit(".", 1)[0] if "." in module else ""
    return bool(parent) and parent in built.project.modules


# detection ------------------------------------------------------------------------------


_GLUE_PACKAGES = ("sklearn", "xgboost", "lightgbm", "catboost", "statsmodels", "torch", "tensorflow", "keras")
_CONVERT_METHODS = frozenset({"to_numpy", "tolist", "numpy", "to_dict", "to_list", "to_records", "item"})
_CONVERT_CALLS = frozenset(
    {
        "numpy.array",
        "numpy.asarray",
        "numpy.asanyarray",
        "numpy.stack",
        "numpy.vstack",
        "numpy.hstack",
        "numpy.concatenate",
        "torch.from_numpy",
        "torch.tensor",
        "torch.as_tensor",
        "torch.Tensor",
        "torch.FloatTensor",
        "torch.LongTensor",
        "tensorflow.convert_to_tensor",
        "tensorflow.constant",
        "pandas.DataFrame",
        "pandas.Series",
        "pandas.DataFrame.from_dict",
        "pandas.DataFrame.from_records",
    }
)


_CONVERT_TEXT = re.compile(r"\.values\b|to_numpy|tolist|from_numpy|\.numpy\(|asarray|\.array\(|to_dict")


def _kinds(ctx: FileContext, conversions: list[ast.AST]) -> str:
    """The three most frequent conversions, as written: "`.values` x4, `torch.from_numpy` x2"."""
    counts: dict[str, int] = {}
    for c in conversions:
        if isinstance(c, ast.Call):
            name = ctx.call_name(c) or ""
            label = f"`{name}`" if name in _CONVERT_CALLS else f"`.{getattr(c.func, 'attr', '?')}()`"
        else:
            label = "`.values`"
        counts[label] = counts.get(label, 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    return ", ".join(f"{label} x{n}" for label, n in top)


def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD402 (file face): the share of a module's calls that convert data between formats, and
    which ML packages it calls; the rule decides with its thresholds."""
    if ctx.notebook or not ctx.imports_any(*_GLUE_PACKAGES):
        return
    if not _CONVERT_TEXT.search(ctx.text):
        return
    conversions: list[ast.AST] = []
    calls = 0
    packages: dict[str, int] = {}
    called: set[int] = set()  # `.values` that is called (`d.values()`) is no conversion
    for node in ctx.walk():  # breadth first: a call before its function
        if isinstance(node, ast.Attribute) and node.attr == "values" and isinstance(node.ctx, ast.Load):
            if id(node) not in called:
                conversions.append(node)  # `df.values`
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            called.add(id(node.func))
        if not isinstance(node, ast.Call):
            continue
        calls += 1
        name = ctx.call_name(node) or ""
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if name in _CONVERT_CALLS or method in _CONVERT_METHODS:
            conversions.append(node)
            continue
        root = name.split(".")[0]
        head = ctx.dotted(node.func)
        if root in _GLUE_PACKAGES and head and head.split(".")[0] in ctx.aliases:
            packages[root] = packages.get(root, 0) + 1
    if len(packages) != 1 or calls == 0:
        return
    ((package, ml_calls),) = packages.items()
    ratio = len(conversions) / (calls + sum(1 for c in conversions if not isinstance(c, ast.Call)))
    yield ctx.smell(
        "MLD402",
        conversions[0] if conversions else ctx.tree,
        f"{len(conversions)} of {calls} calls and attribute reads in this module convert data between formats "
        f"({_kinds(ctx, conversions)}) around {ml_calls} call{'s' if ml_calls != 1 else ''} into `{package}`",
        key=f"glue:{package}",
        data=(
            ("kind", "conversions"),
            ("conversions", str(len(conversions))),
            ("calls", str(calls)),
            ("ratio", f"{ratio:.3f}"),
            ("package", package),
            ("ml_calls", str(ml_calls)),
        ),
    )
