"""The `mldebt` command: a thin click shell over `mldebt.api`.

Exit codes, as in ruff: 0 no findings, 1 findings, 2 usage, configuration or internal error.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from mldebt import __version__
from mldebt.config import ConfigError
from mldebt.model import Report, Summary

F = TypeVar("F", bound=Callable[..., Any])


def _guard(func: F) -> F:
    """No traceback reaches the user: configuration errors and crashes exit 2 with a message."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        verbose = bool(kwargs.get("verbose"))
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"mldebt: error: {exc}", err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            if verbose:
                traceback.print_exc()
            click.echo(
                f"mldebt: internal error: {type(exc).__name__}: {exc} (run with --verbose for details)", err=True
            )
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="mldebt")
def main() -> None:
    """Find machine-learning technical debt in Python projects and notebooks."""


def _codes(value: str | None) -> list[str] | None:
    return [c.strip() for c in value.split(",") if c.strip()] if value else None


_CONFIG_HELP = "Use this configuration file for every project (default: the nearest mldebt.toml, pyproject.toml)."
_FAIL_ON_HELP = "Lowest severity that fails the run (default: warning)."
_CONF_HELP = "Hide findings below this confidence (default: medium)."
_SEVERITY_RANK = {"note": 1, "warning": 2, "error": 3}


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--output-format", type=click.Choice(["text", "json", "sarif"]), default=None, help="Report format (default: text)."
)
@click.option(
    "-o",
    "--output-file",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write the report to a file.",
)
@click.option("--select", default=None, help="Comma-separated rule codes or prefixes to enable.")
@click.option("--extend-select", default=None, help="Codes or prefixes to enable on top of the selection.")
@click.option("--ignore", default=None, help="Codes or prefixes to disable.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Show counts per rule.")
@click.option("--no-cache", is_flag=True, default=None, help="Neither read nor write the facts cache.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores).")
@click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="One project root for everything: report paths and data paths (default: git top level, nearest project files).",
)
@click.option("--color/--no-color", default=None, help="Colour the text report (default: on a terminal).")
@click.option(
    "--only",
    is_flag=True,
    help="Analyse the whole project, but report only findings located in PATHS (for hooks on staged files).",
)
@click.option("--config", "config", type=click.Path(dir_okay=False, exists=True), default=None, help=_CONFIG_HELP)
@click.option("--fail-on", type=click.Choice(["error", "warning", "note"]), default=None, help=_FAIL_ON_HELP)
@click.option("--min-confidence", type=click.Choice(["high", "medium", "low"]), default=None, help=_CONF_HELP)
@click.option("--require-reason", is_flag=True, default=None, help="Suppressions without `-- reason` suppress nothing.")
@click.option("--baseline", type=click.Path(dir_okay=False), default=None, help="Hide the findings this file holds.")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of internal errors.")
@_guard
def check(
    paths: Sequence[str],
    output_format: str | None,
    output_file: str | None,
    select: str | None,
    extend_select: str | None,
    ignore: str | None,
    exit_zero: bool,
    statistics: bool,
    no_cache: bool | None,
    jobs: int | None,
    root: str | None,
    color: bool | None,
    only: bool,
    config: str | None,
    fail_on: str | None,
    min_confidence: str | None,
    require_reason: bool | None,
    baseline: str | None,
    verbose: bool,
) -> None:
    """Analyse PATHS (default: the current directory) and report ML technical debt."""
    from mldebt.report import render

    overrides = {
        "select": _codes(select),
        "extend-select": _codes(extend_select),
        "ignore": _codes(ignore),
        "no-cache": no_cache or None,
        "jobs": jobs,
        "output-format": output_format,
        "fail-on": fail_on,
        "min-confidence": min_confidence,
        "require-reason": require_reason or None,
    }
    report, settings = _analyse(paths, root, overrides, config, only)
    fixed: tuple[Any, ...] = ()
    if baseline:
        from mldebt.baseline import apply_baseline, read_baseline

        report, fixed = apply_baseline(report, read_baseline(baseline))
    fmt = settings.output_format
    use_color = (
        color if color is not None else (output_file is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    )
    text = render(report, fmt, color=bool(use_color) and fmt == "text", statistics=statistics)
    if output_file:
        Path(output_file).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    from mldebt.gate import fixed_note, unanalysed_note

    failing = _SEVERITY_RANK[settings.fail_on]
    failed = any(_SEVERITY_RANK[str(f.severity)] >= failing for f in report.findings)
    for note in (fixed_note(fixed, baseline or ""), unanalysed_note(report)):
        if note:
            click.echo(note, err=True)
    if (failed or report.errors) and not exit_zero:
        sys.exit(1)


def _analyse(
    paths: Sequence[str], root: str | None, overrides: dict[str, Any], config: str | None, only: bool
) -> tuple[Report, Any]:
    """Run the analysis as `check` does; returns the report and the run's settings.

    With `--only`, each given file's whole project is analysed (and the file itself, even when
    excluded), and the report keeps findings located in the given paths.
    """
    from mldebt.api import analyze, settings_for
    from mldebt.discover import classify
    from mldebt.roots import project_root, report_root

    paths = list(paths) or ["."]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise click.BadParameter(f"no such file or directory: {', '.join(missing)}", param_hint="PATHS")
    top = Path(os.path.abspath(root)) if root else report_root(paths)
    settings = settings_for(top, overrides, config=config, top=None if root else top)
    scan = paths
    if only:
        readable = [p for p in paths if os.path.isdir(p) or classify(_rel(p, top)) is not None]
        scan = [str(top)] if root else sorted({str(project_root(p, top)) for p in readable})
        scan += [p for p in readable if os.path.isfile(p)]  # never drop a file given: excluded or not
    if not scan:  # the hook passed no file mldebt reads
        return Report(__version__, top.as_posix(), (), (), Summary()), settings
    if only:  # thresholds count only what lies in the given paths: apply them after the cut
        overrides = {**overrides, "min-confidence": "low"}
    if root:
        report = analyze(scan, replace(settings, min_confidence="low") if only else settings, root=top)
    else:
        report = analyze(scan, overrides=overrides, config=config)
    if only:
        from mldebt.gate import apply_min_confidence

        report = apply_min_confidence(only_in(report, paths, top), settings.min_confidence)
    return report, settings


def _rel(path: str, top: Path) -> str:
    return os.path.relpath(os.path.abspath(path), top).replace(os.sep, "/")


def only_in(report: Report, paths: Sequence[str], root: Path) -> Report:
    """The report cut down to findings located in `paths` (files or directories under root)."""
    wanted = []
    for p in paths:
        rel = os.path.relpath(os.path.abspath(p), root).replace(os.sep, "/")
        wanted.append("" if rel == "." else rel)

    def keep(path: str) -> bool:
        return any(w == "" or path == w or path.startswith(w.rstrip("/") + "/") for w in wanted)

    findings = tuple(f for f in report.findings if keep(f.location.path))
    errors = tuple(e for e in report.errors if keep(e.path))
    records = tuple(r for r in report.suppressions if keep(r.path))
    by_rule = Counter(f.rule for f in findings)
    summary = replace(
        report.summary,
        findings=len(findings),
        errors=len(errors),
        by_rule=tuple(sorted(by_rule.items())),
        suppressed=sum(r.suppressed for r in records),
    )
    return replace(report, findings=findings, errors=errors, summary=summary, suppressions=records)


@main.command()
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text")
@_guard
def rules(output_format: str) -> None:
    """List the rules."""
    import json

    from mldebt.catalog import load_rules

    infos = sorted(load_rules().values(), key=lambda r: r.id)
    if output_format == "json":
        rows = [
            {
                "id": r.id,
                "name": r.name,
                "category": r.category,
                "severity": str(r.severity),
                "confidence": str(r.confidence),
                "status": r.status,
                "default": r.default,
                "summary": r.summary,
            }
            for r in infos
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    for r in infos:
        opt_in = "" if r.default else "  (opt-in)"
        click.echo(f"{r.id}  {r.name:<34} {r.category:<29} {r.severity!s:<8} {r.confidence!s:<7} {r.status}{opt_in}")


@main.command()
@click.argument("code")
@_guard
def explain(code: str) -> None:
    """Print the documentation of rule CODE (e.g. MLD301)."""
    from mldebt.catalog import load_rules

    infos = load_rules()
    key = code.upper()
    by_name = {r.name: r for r in infos.values()}
    info = infos.get(key) or by_name.get(code)
    if info is None:
        click.echo(f"mldebt: error: unknown rule {code!r}; `mldebt rules` lists them", err=True)
        sys.exit(2)
    click.echo(f"# {info.id} {info.name}\n")
    click.echo(
        f"category: {info.category} | severity: {info.severity} | confidence: {info.confidence} | status: {info.status}\n"
    )
    click.echo(info.doc.split("\n", 1)[1] if info.doc.startswith("# ") else info.doc)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["json", "graphml", "dot", "mermaid"]), default="json")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, writable=True), default=None)
@click.option("--no-cache", is_flag=True, default=None)
@click.option("--root", type=click.Path(file_okay=False, exists=True), default=None)
@click.option("-v", "--verbose", is_flag=True)
@_guard
def graph(
    paths: Sequence[str], fmt: str, output_file: str | None, no_cache: bool | None, root: str | None, verbose: bool
) -> None:
    """Export the project graph of PATHS (modules, functions, artifacts, config keys, models)."""
    from mldebt.api import build_project, settings_for
    from mldebt.discover import find_project_root
    from mldebt.graph.export import export

    paths = list(paths) or ["."]
    root_path = Path(os.path.abspath(root)) if root else find_project_root(paths)
    settings = settings_for(root_path, {"no-cache": no_cache or None})
    built, errors = build_project(paths, settings, root=root_path)
    text = export(built.graph, fmt)
    for err in errors:
        click.echo(f"{err.path}: error: {err.message}", err=True)
    if output_file:
        Path(output_file).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


def _scan_options(func: F) -> F:
    """The options `baseline` and `suppressions` share with `check`."""
    for option in reversed(
        [
            click.argument("paths", nargs=-1, type=click.Path()),
            click.option("--select", default=None, help="Comma-separated rule codes or prefixes to enable."),
            click.option("--extend-select", default=None, help="Codes or prefixes to enable on top of the selection."),
            click.option("--ignore", default=None, help="Codes or prefixes to disable."),
            click.option(
                "--min-confidence", type=click.Choice(["high", "medium", "low"]), default=None, help=_CONF_HELP
            ),
            click.option("--config", type=click.Path(dir_okay=False, exists=True), default=None, help=_CONFIG_HELP),
            click.option(
                "--root", type=click.Path(file_okay=False, exists=True), default=None, help="Single project root."
            ),
            click.option("--no-cache", is_flag=True, default=None, help="Neither read nor write the facts cache."),
            click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of internal errors."),
        ]
    ):
        func = option(func)
    return func


def _scan_overrides(kw: dict[str, Any]) -> dict[str, Any]:
    return {
        "select": _codes(kw.get("select")),
        "extend-select": _codes(kw.get("extend_select")),
        "ignore": _codes(kw.get("ignore")),
        "no-cache": kw.get("no_cache") or None,
        "min-confidence": kw.get("min_confidence"),
        "require-reason": kw.get("require_reason") or None,
    }


@main.command()
@_scan_options
@click.option(
    "-o", "--output-file", type=click.Path(dir_okay=False), default=".mldebt-baseline.json", show_default=True
)
@_guard
def baseline(paths: Sequence[str], output_file: str, **kw: Any) -> None:
    """Record the current findings of PATHS, so that `check --baseline FILE` reports only new ones."""
    from mldebt.baseline import baseline_json

    report, _ = _analyse(paths, kw.get("root"), _scan_overrides(kw), kw.get("config"), False)
    Path(output_file).write_text(baseline_json(report), encoding="utf-8")
    n = len(report.findings)
    click.echo(f"Recorded {n} finding{'' if n == 1 else 's'} in {output_file}.")


@main.command()
@_scan_options
@click.option("--require-reason", is_flag=True, default=None, help="Count suppressions without a reason as such.")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text")
@_guard
def suppressions(paths: Sequence[str], output_format: str, **kw: Any) -> None:
    """List every `# mldebt: ignore[...]` comment: where, which rules, why, and what it still suppresses."""
    import json

    report, _ = _analyse(paths, kw.get("root"), _scan_overrides(kw), kw.get("config"), False)
    rows = report.suppressions
    if output_format == "json":
        doc = [
            {
                "path": r.path,
                "line": r.line,
                "cell": r.cell,
                "codes": list(r.codes),
                "reason": r.reason,
                "status": r.status,
                "suppressed": r.suppressed,
            }
            for r in rows
        ]
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    for r in rows:
        cell = f":cell {r.cell}" if r.cell is not None else ""
        codes = ",".join(r.codes) or "all rules"
        reason = r.reason or "(no reason)"
        click.echo(f"{r.path}{cell}:{r.line}: {r.status:<13} {codes}  suppressed {r.suppressed}  -- {reason}")
    by_status: Counter[str] = Counter(r.status for r in rows)
    detail = ", ".join(f"{n} {s}" for s, n in sorted(by_status.items()))
    click.echo(f"{len(rows)} suppression comment{'' if len(rows) == 1 else 's'}" + (f" ({detail})." if rows else "."))
