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
from mldebt.model import Report
from mldebt.report import FORMATS

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
        except BrokenPipeError:  # `mldebt rules | head -1`: the reader has all it wanted
            _silence_stdout()
            sys.exit(0)
        except Exception as exc:
            if verbose:
                traceback.print_exc()
            click.echo(
                f"mldebt: internal error: {type(exc).__name__}: {exc} (run with --verbose for details)", err=True
            )
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush into a closed pipe says nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _write(text: str) -> None:
    """Write to stdout as is (click.echo would strip colour in a pipe); a closed pipe is quiet."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()


def _use_color(choice: str, to_file: bool) -> bool:
    """`always`/`never` win; `auto` asks rich, which reads FORCE_COLOR, NO_COLOR and TERM."""
    if choice != "auto":
        return choice == "always"
    if to_file:
        return False
    from rich.console import Console

    console = Console(file=sys.stdout)
    return console.is_terminal and not console.no_color and console.color_system is not None


def _progress(quiet: bool) -> Any:
    """A context manager that is the scan's progress bar on a terminal, and nothing otherwise."""
    from contextlib import nullcontext

    from mldebt.report.progress import ScanProgress, wanted

    return ScanProgress() if wanted(quiet) else nullcontext(None)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="mldebt")
def main() -> None:
    """Find machine-learning technical debt in Python projects and notebooks."""


def _codes(value: str | None) -> list[str] | None:
    return [c.strip() for c in value.split(",") if c.strip()] if value else None


@main.command(short_help="Analyse a project and report ML technical debt.")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--output-format",
    type=click.Choice(FORMATS),
    default=None,
    help="Report format (default: text): github (Actions annotations), gitlab (Code Quality), junit, markdown "
    "(job summaries, pull-request comments).",
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
@click.option("--statistics", is_flag=True, help="Print only a table of counts per rule (text format).")
@click.option("--no-cache", is_flag=True, default=None, help="Neither read nor write the facts cache.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores).")
@click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="Project root (default: nearest pyproject.toml).",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    is_flag=False,
    flag_value="always",  # a bare --color, as before, means always
    show_default=True,
    help="Colour the text report; auto honours FORCE_COLOR and NO_COLOR.",
)
@click.option("--no-color", "no_color", is_flag=True, hidden=True, help="Same as --color never.")
@click.option(
    "--notebook-locations",
    type=click.Choice(["cell", "file"]),
    default="cell",
    show_default=True,
    help="Text format: notebook locations as `nb.ipynb:cell 4:3:1`, or as `nb.ipynb:LINE:1` with the line of "
    "the .ipynb file (for editors that open path:line:col).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
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
    color: str,
    no_color: bool,
    notebook_locations: str,
    quiet: bool,
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
    with _progress(quiet) as progress:
        if only:
            report = only_in(analyze([str(root_path)], settings, root=root_path, progress=progress), paths, root_path)
        else:
            report = analyze(paths, settings, root=root_path, progress=progress)
    fmt = settings.output_format
    use_color = _use_color("never" if no_color else color, output_file is not None)
    text = render(
        report,
        fmt,
        color=use_color and fmt == "text",
        statistics=statistics,
        raw_notebook_lines=notebook_locations == "file",
    )
    if output_file:
        Path(output_file).write_text(text, encoding="utf-8")
    else:
        _write(text)
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


@main.command(short_help="List the rules.")
@click.option(
    "--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Listing format."
)
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
        _write(json.dumps(rows, indent=2) + "\n")
        return
    lines = []
    for r in infos:
        opt_in = "" if r.default else "  (opt-in)"
        lines.append(
            f"{r.id}  {r.name:<34} {r.category:<29} {r.severity!s:<8} {r.confidence!s:<7} {r.status}{opt_in}\n"
        )
    _write("".join(lines))


@main.command(short_help="Print a rule's documentation (by id or name).")
@click.argument("code")
@_guard
def explain(code: str) -> None:
    """Print the documentation of rule CODE: its id (MLD301) or name (feedback-loop)."""
    from mldebt.catalog import load_rules

    infos = load_rules()
    key = code.upper()
    by_name = {r.name: r for r in infos.values()}
    info = infos.get(key) or by_name.get(code)
    if info is None:
        click.echo(f"mldebt: error: unknown rule {code!r}; `mldebt rules` lists them", err=True)
        sys.exit(2)
    body = info.doc.split("\n", 1)[1] if info.doc.startswith("# ") else info.doc
    _write(
        f"# {info.id} {info.name}\n\n"
        f"category: {info.category} | severity: {info.severity} | confidence: {info.confidence} | status: {info.status}\n\n"
        f"{body}\n"
    )


@main.command(short_help="Draw the data and model flow (DOT, Mermaid, JSON, GraphML).")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "graphml", "dot", "mermaid"]),
    default="json",
    show_default=True,
    help="json and graphml for tools; dot (Graphviz) and mermaid to draw.",
)
@click.option(
    "-o", "--output-file", type=click.Path(dir_okay=False, writable=True), default=None, help="Write to a file."
)
@click.option(
    "--kinds",
    default=None,
    metavar="KINDS",
    help="Comma-separated edge kinds to draw (default: flow = reads, writes, trains-on, predicts-into, saves, "
    "loads, feeds, derives, configures); others: contains, imports, calls, matches, defines.",
)
@click.option("--all", "everything", is_flag=True, help="Every node and edge, unused config keys and metadata too.")
@click.option("--unresolved", is_flag=True, help="Also draw reads of paths that could not be resolved.")
@click.option(
    "--focus",
    multiple=True,
    metavar="CODE|FINGERPRINT",
    help="Draw only the subgraph behind the findings of a rule (MLD301) or one finding (its fingerprint, "
    "from JSON or SARIF output). Repeatable.",
)
@click.option(
    "--group-by",
    type=click.Choice(["none", "file"]),
    default="none",
    show_default=True,
    help="file: cluster each file's functions, models and config keys (dot, mermaid).",
)
@click.option(
    "--max-edges",
    type=click.IntRange(min=0),
    default=None,
    help="Past this many edges, draw a cut-down view with a warning (default: 500 for mermaid, GitHub's limit; "
    "2000 for dot; 0: no limit).",
)
@click.option("--no-cache", is_flag=True, default=None, help="Neither read nor write the facts cache.")
@click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="Project root (default: nearest pyproject.toml).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar, no warnings.")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of internal errors.")
@_guard
def graph(
    paths: Sequence[str],
    fmt: str,
    output_file: str | None,
    kinds: str | None,
    everything: bool,
    unresolved: bool,
    focus: Sequence[str],
    group_by: str,
    max_edges: int | None,
    no_cache: bool | None,
    root: str | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Draw the project graph of PATHS: by default the data and model flow (scripts and functions,
    artifacts, models, the config keys that feed them), nodes in findings highlighted."""
    from mldebt.api import analyze_project, settings_for
    from mldebt.discover import find_project_root
    from mldebt.graph import view as views

    paths = list(paths) or ["."]
    root_path = Path(os.path.abspath(root)) if root else find_project_root(paths)
    try:
        edge_kinds = views.parse_kinds(kinds) if kinds else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--kinds") from None
    settings = settings_for(root_path, {"no-cache": no_cache or None})
    with _progress(quiet) as progress:
        report, built = analyze_project(paths, settings, root=root_path, progress=progress)
    if focus:
        wanted = [
            f
            for f in report.findings
            if any(f.rule == sel.upper() or (len(sel) >= 6 and f.fingerprint.startswith(sel)) for sel in focus)
        ]
        if not wanted:
            raise click.BadParameter(
                f"no finding of {', '.join(focus)} in this project; `mldebt check` lists them", param_hint="--focus"
            )
        drawn = [f for f in wanted if f.flow]
        if not drawn:
            click.echo(f"mldebt: error: the findings of {', '.join(focus)} have no graph evidence to draw", err=True)
            sys.exit(2)
        view = views.focus(built.graph, drawn)
    else:
        view = views.select(
            built.graph, edge_kinds, findings=report.findings, everything=everything, unresolved=unresolved
        )
    view = views.guard(view, fmt, max_edges, group_by_file=group_by == "file")
    text = views.render(built.graph, view, fmt, group_by_file=group_by == "file")
    if not quiet:
        for err in report.errors:
            click.echo(f"{err.path}: error: {err.message}", err=True)
        for warning in view.warnings:
            click.echo(f"mldebt: warning: {warning}", err=True)
    if output_file:
        Path(output_file).write_text(text, encoding="utf-8")
    else:
        _write(text)
