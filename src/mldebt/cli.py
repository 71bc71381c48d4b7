"""The `mldebt` command: a thin click shell over `mldebt.api`.

Exit codes, as in ruff: 0 no findings, 1 findings, 2 usage, configuration or internal error;
130 on Ctrl-C (SIGINT) and 143 on SIGTERM, after stopping the worker processes.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from mldebt import __version__
from mldebt.config import ConfigError
from mldebt.model import Report, Summary
from mldebt.report import FORMATS
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
        except BrokenPipeError:  # `mldebt rules | head -1`: the reader has all it wanted
            _silence_stdout()
            sys.exit(0)
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

    try:
        terminal = sys.stderr.isatty()
    except (AttributeError, ValueError):
        terminal = False
    if quiet or not terminal:
        return nullcontext(None)  # nothing to draw: `rich` is not even loaded
    from mldebt.report.progress import ScanProgress, wanted

    return ScanProgress() if wanted(quiet) else nullcontext(None)


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


# `mldebt.__main__.run` (the installed command, `python -m mldebt`) turns "on"; a plain `check`
# then keeps the cyclic collector off and, once its report is written, sets "ready": `run` exits
# without freeing the run's millions of facts (a collection of them all cost 0.7 s on
# transformers). The Python API and click's test runner never set "on".
FAST_EXIT = {"on": False, "ready": False}


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
    help="One project root for everything: report paths and data paths (default: git top level, nearest project files).",
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
@click.option("--config", "config", type=click.Path(dir_okay=False, exists=True), default=None, help=_CONFIG_HELP)
@click.option("--fail-on", type=click.Choice(["error", "warning", "note"]), default=None, help=_FAIL_ON_HELP)
@click.option("--min-confidence", type=click.Choice(["high", "medium", "low"]), default=None, help=_CONF_HELP)
@click.option("--require-reason", is_flag=True, default=None, help="Suppressions without `-- reason` suppress nothing.")
@click.option("--baseline", type=click.Path(dir_okay=False), default=None, help="Hide the findings this file holds.")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of internal errors.")
# fixes (mldebt.fix)
@click.option("--fix", is_flag=True, help="Apply the safe fixes.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply the fixes that may change behaviour.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff, write nothing; exit 1 if any.")
@click.option("--show-fixes", is_flag=True, help="List the fixes applied.")
@click.option(
    "--add-ignore",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[=REASON]",
    help="Add `# mldebt: ignore[CODE] -- REASON` on the line of every finding (write --add-ignore=REASON).",
)
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
    config: str | None,
    fail_on: str | None,
    min_confidence: str | None,
    require_reason: bool | None,
    baseline: str | None,
    verbose: bool,
    fix: bool = False,
    unsafe_fixes: bool = False,
    diff: bool = False,
    show_fixes: bool = False,
    add_ignore: str | None = None,
) -> None:
    """Analyse PATHS (default: the current directory) and report ML technical debt."""
    from mldebt.report import render

    _check_output_file(output_file)
    fast_exit = FAST_EXIT["on"] and not (fix or diff or add_ignore is not None)
    if fast_exit:
        gc.disable()
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
    with _progress(quiet) as progress:
        report, settings = _analyse(paths, root, overrides, config, only, progress)
    top = Path(report.root)
    first = [report]

    def analyse(overlay: Mapping[str, bytes]) -> Report:
        if not overlay and first:  # the fixer's first look is the analysis just done
            return first.pop()
        return _analyse(paths, root, overrides, config, only, None, overlay)[0]

    fix_cache = None if settings.no_cache else top / settings.cache_dir
    if fix or diff or add_ignore is not None:
        from mldebt.fix import run_for_cli

        outcome = run_for_cli(
            analyse,
            top,
            fix=fix,
            unsafe=unsafe_fixes,
            show_diff=diff,
            show_fixes=show_fixes,
            add_ignore=add_ignore,
            jobs=settings.jobs or 1,
            cache_dir=fix_cache,
        )
        for message in outcome.messages:
            click.echo(message, err=True)
        if outcome.report is None:
            click.echo(outcome.stdout or "", nl=False)
            sys.exit(outcome.exit_code or 0)
        report = outcome.report
    if report.findings:
        from mldebt.fix import FIXABLE, attach

        if any(f.rule in FIXABLE for f in report.findings):
            report = attach(report, top, jobs=settings.jobs or 1, cache_dir=fix_cache)
    fixed: tuple[Any, ...] = ()
    if baseline:
        from mldebt.baseline import apply_baseline, read_baseline

        report, fixed = apply_baseline(report, read_baseline(baseline))
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
        _write_atomically(output_file, text)
    else:
        _write(text)
    from mldebt.gate import fixed_note, unanalysed_note

    failing = _SEVERITY_RANK[settings.fail_on]
    failed = any(_SEVERITY_RANK[str(f.severity)] >= failing for f in report.findings)
    for note in (fixed_note(fixed, baseline or ""), unanalysed_note(report)):
        if note:
            click.echo(note, err=True)
    FAST_EXIT["ready"] = fast_exit
    if (failed or any(not e.partial for e in report.errors)) and not exit_zero:
        sys.exit(1)


def _analyse(
    paths: Sequence[str],
    root: str | None,
    overrides: dict[str, Any],
    config: str | None,
    only: bool,
    progress: Any = None,
    overlay: Mapping[str, bytes] | None = None,
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
        report = analyze(
            scan,
            replace(settings, min_confidence="low") if only else settings,
            root=top,
            progress=progress,
            overlay=overlay,
        )
    else:
        report = analyze(scan, overrides=overrides, config=config, progress=progress, overlay=overlay)
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
    _check_output_file(output_file)
    root_path = Path(os.path.abspath(root)) if root else find_project_root(paths)
    try:
        edge_kinds = views.parse_kinds(kinds) if kinds else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--kinds") from None
    settings = settings_for(root_path, {"no-cache": no_cache or None})
    with _progress(quiet) as progress:
        findings, errors, built = analyze_project(paths, settings, root=root_path, progress=progress)
    if focus:
        wanted = [
            f
            for f in findings
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
        view = views.select(built.graph, edge_kinds, findings=findings, everything=everything, unresolved=unresolved)
    view = views.guard(view, fmt, max_edges, group_by_file=group_by == "file")
    text = utf8_safe(views.render(built.graph, view, fmt, group_by_file=group_by == "file"))
    if not quiet:
        for err in errors:
            click.echo(f"{inert(err.path)}: error: {inert(err.message)}", err=True)
        for warning in view.warnings:
            click.echo(f"mldebt: warning: {warning}", err=True)
    if output_file:
        _write_atomically(output_file, text)
    else:
        _write(text)


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


@main.command(short_help="Record today's findings as the baseline.")
@_scan_options
@click.option(
    "-o",
    "--output-file",
    type=click.Path(dir_okay=False),
    default=".mldebt-baseline.json",
    show_default=True,
    help="Where to write the baseline.",
)
@_guard
def baseline(paths: Sequence[str], output_file: str, **kw: Any) -> None:
    """Record the current findings of PATHS, so that `check --baseline FILE` reports only new ones."""
    from mldebt.baseline import baseline_json

    report, _ = _analyse(paths, kw.get("root"), _scan_overrides(kw), kw.get("config"), False)
    Path(output_file).write_text(baseline_json(report), encoding="utf-8")
    n = len(report.findings)
    click.echo(f"Recorded {n} finding{'' if n == 1 else 's'} in {output_file}.")


@main.command(short_help="Audit the suppression comments.")
@_scan_options
@click.option("--require-reason", is_flag=True, default=None, help="Count suppressions without a reason as such.")
@click.option(
    "--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Listing format."
)
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
