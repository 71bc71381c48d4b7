"""The `mldebt` command: a thin click shell over `mldebt.api`.

Exit codes, as in ruff: 0 no findings, 1 findings, 2 usage, configuration or internal error;
130 on Ctrl-C (SIGINT) and 143 on SIGTERM, after stopping the worker processes.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
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
from mldebt.model import Report
from mldebt.textsafe import inert, utf8_safe

F = TypeVar("F", bound=Callable[..., Any])


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that worker processes are stopped on the way out."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


def _guard(func: F) -> F:
    """No traceback reaches the user: configuration errors and crashes exit 2 with a message;
    Ctrl-C exits 130 and SIGTERM 143 (128 + the signal), never 1, which means "findings"."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        verbose = bool(kwargs.get("verbose"))
        previous = None
        try:
            previous = signal.signal(signal.SIGTERM, _on_sigterm)
        except ValueError:  # not in the main thread (an embedding host): leave signals alone
            pass
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"mldebt: error: {inert(str(exc))}", err=True)  # keys and values come from the repository
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("mldebt: interrupted", err=True)
            sys.exit(128 + signal.SIGINT)
        except Terminated:
            click.echo("mldebt: terminated", err=True)
            sys.exit(128 + signal.SIGTERM)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:
            if verbose:
                traceback.print_exc()
            click.echo(
                f"mldebt: internal error: {type(exc).__name__}: {inert(str(exc))} (run with --verbose for details)",
                err=True,
            )
            sys.exit(2)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    return wrapper  # type: ignore[return-value]


def _check_output_file(output_file: str | None) -> None:
    """Fail before the analysis, not after it, when the report could not be written."""
    if not output_file:
        return
    directory = os.path.dirname(os.path.abspath(output_file))
    if not os.path.isdir(directory):
        raise click.BadParameter(f"directory {directory!r} does not exist", param_hint="'-o' / '--output-file'")
    if os.path.isdir(output_file):
        raise click.BadParameter(f"{output_file!r} is a directory", param_hint="'-o' / '--output-file'")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise click.BadParameter(f"directory {directory!r} is not writable", param_hint="'-o' / '--output-file'")


def _write_atomically(output_file: str, text: str) -> None:
    """Temporary file, then rename: a failure never leaves a truncated report behind."""
    target = os.path.abspath(output_file)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".mldebt-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        try:
            mode = os.stat(target).st_mode & 0o777  # keep an existing report's mode
        except OSError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="mldebt")
def main() -> None:
    """Find machine-learning technical debt in Python projects and notebooks."""


def _codes(value: str | None) -> list[str] | None:
    return [c.strip() for c in value.split(",") if c.strip()] if value else None


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
    help="Project root (default: nearest pyproject.toml).",
)
@click.option("--color/--no-color", default=None, help="Colour the text report (default: on a terminal).")
@click.option(
    "--only",
    is_flag=True,
    help="Analyse the whole project, but report only findings located in PATHS (for hooks on staged files).",
)
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
    verbose: bool,
) -> None:
    """Analyse PATHS (default: the current directory) and report ML technical debt."""
    from mldebt.api import analyze, settings_for
    from mldebt.discover import find_project_root
    from mldebt.report import render

    paths = list(paths) or ["."]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise click.BadParameter(f"no such file or directory: {', '.join(missing)}", param_hint="PATHS")
    _check_output_file(output_file)
    root_path = Path(os.path.abspath(root)) if root else find_project_root(paths)
    overrides = {
        "select": _codes(select),
        "extend-select": _codes(extend_select),
        "ignore": _codes(ignore),
        "no-cache": no_cache or None,
        "jobs": jobs,
        "output-format": output_format,
    }
    settings = settings_for(root_path, overrides)
    if only:
        report = only_in(analyze([str(root_path)], settings, root=root_path), paths, root_path)
    else:
        report = analyze(paths, settings, root=root_path)
    fmt = settings.output_format
    use_color = (
        color if color is not None else (output_file is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ)
    )
    text = render(report, fmt, color=bool(use_color) and fmt == "text", statistics=statistics)
    if output_file:
        _write_atomically(output_file, text)
    else:
        click.echo(text, nl=False)
    if report.findings and not exit_zero:
        sys.exit(1)


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
    by_rule = Counter(f.rule for f in findings)
    summary = replace(
        report.summary, findings=len(findings), errors=len(errors), by_rule=tuple(sorted(by_rule.items()))
    )
    return replace(report, findings=findings, errors=errors, summary=summary)


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
    _check_output_file(output_file)
    root_path = Path(os.path.abspath(root)) if root else find_project_root(paths)
    settings = settings_for(root_path, {"no-cache": no_cache or None})
    built, errors = build_project(paths, settings, root=root_path)
    text = utf8_safe(export(built.graph, fmt))
    for err in errors:
        click.echo(f"{inert(err.path)}: error: {inert(err.message)}", err=True)
    if output_file:
        _write_atomically(output_file, text)
    else:
        click.echo(text, nl=False)
