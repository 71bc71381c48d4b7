"""The Python API: `analyze(paths) -> Report`. The CLI is a thin shell over it."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mldebt import __version__
from mldebt.catalog import load_rules
from mldebt.config import Settings, load_settings
from mldebt.discover import discover, find_project_root
from mldebt.graph.build import Built
from mldebt.graph.tolerant import build_tolerant
from mldebt.model import FileError, Report, Summary
from mldebt.parse.extract import extract
from mldebt.parse.runner import collect_facts
from mldebt.rules import REGISTRY
from mldebt.rules.engine import enabled_rules, known_options, run_rules
from mldebt.rules.limits import cap_findings

__all__ = ["Report", "analyze", "build_project", "settings_for"]


def settings_for(root: Path, overrides: Mapping[str, object] | None = None) -> Settings:
    """Settings from `root/pyproject.toml` with `overrides` on top; raises ConfigError."""
    from mldebt.report import FORMATS

    return load_settings(root, overrides, [r.id for r in REGISTRY], known_options(), output_formats=FORMATS)


@dataclass
class _Scan:
    root: Path
    built: Built
    errors: list[FileError]
    files: int
    lines: int
    cached: int


def _scan(paths: Sequence[str], settings: Settings, root: Path) -> _Scan:
    found = discover(paths, root, settings)
    collected = collect_facts(found.files, settings, extract, root=root)
    built, inconsistent = build_tolerant(collected.facts)
    lines = sum(f.lines for f in collected.facts if f.kind in ("python", "notebook"))
    files = sum(1 for f in collected.facts if f.kind in ("python", "notebook"))
    errors = [*found.errors, *collected.errors, *inconsistent]
    return _Scan(root, built, errors, files, lines, collected.cached)


def build_project(
    paths: Sequence[str] = (".",), settings: Settings | None = None, *, root: str | os.PathLike[str] | None = None
) -> tuple[Built, list[FileError]]:
    """The project graph (and file errors) without running rules: for `mldebt graph` and tools."""
    root_path = Path(os.path.abspath(root)) if root is not None else find_project_root(list(paths) or ["."])
    settings = settings or settings_for(root_path)
    scan = _scan(list(paths) or ["."], settings, root_path)
    return scan.built, scan.errors


def analyze(
    paths: Sequence[str] = (".",),
    settings: Settings | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
) -> Report:
    """Analyse the files under `paths`; paths in the report are relative to `root`.

    `root` defaults to the directory of the nearest `pyproject.toml` above the first path.
    `settings` default to that root's `[tool.mldebt]`.
    """
    started = time.perf_counter()
    paths = list(paths) or ["."]
    root_path = Path(os.path.abspath(root)) if root is not None else find_project_root(paths)
    settings = settings or settings_for(root_path)
    scan = _scan(paths, settings, root_path)
    rules = enabled_rules(settings)
    findings, capped = cap_findings(run_rules(scan.built, rules, settings))
    scan.errors.extend(capped)
    infos = load_rules()
    sites = scan.built.io_sites
    resolved = sum(1 for s in sites if str(s.resolution) in ("exact", "imported", "config", "parameter"))
    by_rule = Counter(f.rule for f in findings)
    summary = Summary(
        files=scan.files,
        lines=scan.lines,
        findings=len(findings),
        errors=len(scan.errors),
        artifacts=len(scan.built.graph.nodes("artifact")),
        io_sites=len(sites),
        resolved_io_sites=resolved,
        by_resolution=tuple(sorted(scan.built.resolution_counts.items())),
        by_rule=tuple(sorted(by_rule.items())),
        cached_files=scan.cached,
        duration_s=time.perf_counter() - started,
    )
    return Report(
        version=__version__,
        root=root_path.as_posix(),
        findings=tuple(findings),
        errors=tuple(sorted(set(scan.errors))),
        summary=summary,
        rules=tuple(infos[r.id] for r in rules),
    )
