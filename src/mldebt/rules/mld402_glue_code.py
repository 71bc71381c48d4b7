"""MLD402 glue-code: one general-purpose ML package called directly from many project modules,
with no wrapper of the project's own; and modules dominated by format conversions around one
package (the second face's measured ratio comes from parse/detectors/antipatterns.py).

Graph face: for each package, the non-test Python modules (not notebooks) that construct its
estimators or call its trainers (`ModelEvent` construct / fit facts with the package's `api`),
counting only modules of a project package (the parent has an `__init__.py`) that import or
are imported by another project module: one system, not a folder of independent scripts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from mldebt.graph.build import Built
from mldebt.parse.facts import ModelEvent
from mldebt.rules.base import Hit, Rule, _site, data, is_test_path

_PACKAGES = ("sklearn", "xgboost", "lightgbm", "catboost", "statsmodels")
_MAX_RELATED = 8


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
                site=_site(paths[0], first.span),
                message=(
                    f"`{package}` is called directly from {len(paths)} modules with no wrapper of the project's "
                    f"own: {', '.join(paths[:4])}{' ...' if len(paths) > 4 else ''}"
                ),
                related=tuple(
                    _site(p, modules[p].span, f"`{modules[p].api}` called directly")
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
                yield Hit(site=_site(path, smell.span), message=smell.message, key=smell.key)


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
