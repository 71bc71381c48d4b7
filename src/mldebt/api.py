"""The Python API: `analyze(paths) -> Report`. The CLI is a thin shell over it."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mldebt.config import Settings, load_settings
from mldebt.discover import discover, find_project_root
from mldebt.model import FileError, Finding, Report
from mldebt.workspace import Progress

if TYPE_CHECKING:  # the analysis modules load when a run needs them: a stored report needs none
    from mldebt.graph.build import Built

__all__ = ["Progress", "Report", "analyze", "analyze_project", "build_project", "settings_for"]


def settings_for(
    root: Path,
    overrides: Mapping[str, object] | None = None,
    *,
    config: str | os.PathLike[str] | None = None,
    top: Path | None = None,
) -> Settings:
    """Settings of project `root` (its config file, or `config`) with `overrides` on top; raises ConfigError."""
    from mldebt.report import FORMATS
    from mldebt.rules import option_types, rule_ids  # no rule is imported unless options are set

    return load_settings(
        root,
        overrides,
        rule_ids(),
        option_types(),
        output_formats=FORMATS,
        config_file=config,
        top=top,
    )


@dataclass
class _Scan:
    root: Path
    built: Built
    errors: list[FileError]
    files: int
    lines: int
    cached: int


def _scan(
    paths: Sequence[str],
    settings: Settings,
    root: Path,
    progress: Progress | None = None,
    overlay: Mapping[str, bytes] | None = None,
) -> _Scan:
    from mldebt.graph.tolerant import build_tolerant
    from mldebt.parse.extract import extract
    from mldebt.parse.runner import collect_facts

    found = discover(paths, root, settings)
    if progress is None:
        collected = collect_facts(found.files, settings, extract, root=root, overlay=overlay)
    else:
        progress.phase("parse", len(found.files))
        collected = collect_facts(found.files, settings, extract, root=root, progress=progress.advance, overlay=overlay)
        progress.phase("graph")
    built, inconsistent = build_tolerant(collected.facts)
    lines = sum(f.lines for f in collected.facts if f.kind in ("python", "notebook"))
    files = sum(1 for f in collected.facts if f.kind in ("python", "notebook"))
    # a YAML/JSON file that no code reads as configuration (a Helm template, a result dump) is no error
    errors = [
        e
        for e in (*found.errors, *collected.errors, *inconsistent)
        if not built.project.unread_config_error(e.path, e.message)
    ]
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
    overrides: Mapping[str, object] | None = None,
    config: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    overlay: Mapping[str, bytes] | None = None,
) -> Report:
    """Analyse the files under `paths`.

    With `root`, one project: report paths are relative to `root`, data paths resolve against
    it, and `settings` default to its configuration. Without, two roots (see `mldebt.roots`):
    report paths are relative to the git top level (or the working directory), and each file
    belongs to its nearest project root (`pyproject.toml`, `mldebt.toml`, `.mldebt.toml`), whose
    configuration (or `config`, with `overrides` on top) applies to it; `settings`, when given,
    apply to every project. `progress`, if given, hears of each phase. `overlay` (path
    relative to the report root -> bytes) is read instead of those files: how `mldebt.fix`
    re-analyses a fix before writing it.
    """
    from mldebt.workspace import run

    return run(
        list(paths) or ["."],
        settings,
        root=root,
        overrides=overrides,
        config=config,
        progress=progress,
        overlay=overlay,
    )


def analyze_project(
    paths: Sequence[str] = (".",),
    settings: Settings | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> tuple[tuple[Finding, ...], list[FileError], Built]:
    """One project's findings and file errors, with the graph they were drawn from (for
    `mldebt graph`, which draws the graph and highlights the findings; `analyze` reports)."""
    paths = list(paths) or ["."]
    root_path = Path(os.path.abspath(root)) if root is not None else find_project_root(paths)
    settings = settings or settings_for(root_path)
    scan = _scan(paths, settings, root_path, progress)
    from mldebt.rules.engine import enabled_rules, run_rules
    from mldebt.rules.limits import cap_findings

    if progress is not None:
        progress.phase("rules")
    findings, capped = cap_findings(run_rules(scan.built, enabled_rules(settings), settings))
    return tuple(findings), sorted({*scan.errors, *capped}), scan.built
