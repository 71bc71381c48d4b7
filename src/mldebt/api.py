"""The Python API: `analyze(paths) -> Report`. The CLI is a thin shell over it."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from mldebt import __version__
from mldebt.catalog import load_rules
from mldebt.config import Settings, load_settings
from mldebt.discover import Discovery, discover, find_project_root
from mldebt.graph.build import Built, build
from mldebt.model import FileError, Report, Summary
from mldebt.parse import results
from mldebt.parse.extract import extract
from mldebt.parse.runner import Screened, cache_for, collect_facts, screen_files
from mldebt.rules import REGISTRY
from mldebt.rules.engine import enabled_rules, known_options, run_rules

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


def _scan(paths: Sequence[str], settings: Settings, root: Path, reuse: _Reuse | None = None) -> _Scan:
    if reuse is None:
        found = discover(paths, root, settings)
        collected = collect_facts(found.files, settings, extract, root=root)
    else:
        found = reuse.found
        collected = collect_facts(found.files, settings, extract, root=root, screened=reuse.screened)
    built = build(collected.facts)
    lines = sum(f.lines for f in collected.facts if f.kind in ("python", "notebook"))
    files = sum(1 for f in collected.facts if f.kind in ("python", "notebook"))
    errors = [*found.errors, *collected.errors]
    return _Scan(root, built, errors, files, lines, collected.cached)


@dataclass
class _Reuse:
    """The last report, when nothing it depends on changed (see parse/results.py)."""

    found: Discovery
    screened: list[Screened]
    slot: str = ""
    key: str = ""
    stored: results.Stored | None = None


def _lookup(paths: Sequence[str], settings: Settings, root: Path) -> _Reuse:
    found = discover(paths, root, settings)
    cache = cache_for(settings, root)
    screened = screen_files(found.files, settings, cache)
    reuse = _Reuse(found, screened)
    if cache.dir is None:
        return reuse
    rows: list[tuple[str, ...]] = [("discover", e.path, e.message) for e in found.errors]
    rows += [
        (s.source.rel, s.source.kind, s.module, s.key or (s.data if isinstance(s.data, str) else "empty"))
        for s in screened
    ]
    reuse.slot = results.slot(root, paths, settings)
    reuse.key = results.project_key(reuse.slot, rows)
    reuse.stored = results.load(cache.dir, reuse.slot, reuse.key)
    return reuse


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
    rules = enabled_rules(settings)
    infos = load_rules()
    reuse = _lookup(paths, settings, root_path)
    if reuse.stored is not None:  # nothing changed since the last scan: its report stands
        stored = reuse.stored
        summary = replace(
            stored.summary,
            cached_files=sum(1 for s in reuse.screened if s.key),
            duration_s=time.perf_counter() - started,
        )
        return Report(
            __version__,
            root_path.as_posix(),
            stored.findings,
            stored.errors,
            summary,
            tuple(infos[r.id] for r in rules),
        )
    scan = _scan(paths, settings, root_path, reuse)
    findings = run_rules(scan.built, rules, settings)
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
    errors = tuple(sorted(set(scan.errors)))
    if reuse.key:
        assert settings.cache_dir
        results.save(
            root_path / settings.cache_dir, reuse.slot, reuse.key, results.Stored(tuple(findings), errors, summary)
        )
    return Report(
        version=__version__,
        root=root_path.as_posix(),
        findings=tuple(findings),
        errors=errors,
        summary=summary,
        rules=tuple(infos[r.id] for r in rules),
    )
