"""The Python API: `analyze(paths) -> Report`. The CLI is a thin shell over it."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mldebt.config import Settings, load_settings
from mldebt.discover import discover, find_project_root
from mldebt.graph.build import Built, build
from mldebt.model import FileError, Report
from mldebt.parse.extract import extract
from mldebt.parse.runner import collect_facts
from mldebt.rules import REGISTRY
from mldebt.rules.engine import known_options

__all__ = ["Report", "analyze", "build_project", "settings_for"]


def settings_for(
    root: Path,
    overrides: Mapping[str, object] | None = None,
    *,
    config: str | os.PathLike[str] | None = None,
    top: Path | None = None,
) -> Settings:
    """Settings of project `root` (its config file, or `config`) with `overrides` on top; raises ConfigError."""
    from mldebt.report import FORMATS

    return load_settings(
        root,
        overrides,
        [r.id for r in REGISTRY],
        known_options(),
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


def _scan(paths: Sequence[str], settings: Settings, root: Path) -> _Scan:
    found = discover(paths, root, settings)
    collected = collect_facts(found.files, settings, extract, root=root)
    built = build(collected.facts)
    lines = sum(f.lines for f in collected.facts if f.kind in ("python", "notebook"))
    files = sum(1 for f in collected.facts if f.kind in ("python", "notebook"))
    errors = [*found.errors, *collected.errors]
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
) -> Report:
    """Analyse the files under `paths`.

    With `root`, one project: report paths are relative to `root`, data paths resolve against
    it, and `settings` default to its configuration. Without, two roots (see `mldebt.roots`):
    report paths are relative to the git top level (or the working directory), and each file
    belongs to its nearest project root (`pyproject.toml`, `mldebt.toml`, `.mldebt.toml`), whose
    configuration (or `config`, with `overrides` on top) applies to it; `settings`, when given,
    apply to every project.
    """
    from mldebt.workspace import run

    return run(list(paths) or ["."], settings, root=root, overrides=overrides, config=config)
