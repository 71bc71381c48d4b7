"""Fixes and suppression comments: `mldebt check --fix / --unsafe-fixes / --diff / --add-ignore`.

Never imported by the analysis: the CLI (and API users) import it when they fix or report
fixes. `codemods.py` holds one fix per rule as a LibCST codemod that returns text edits (every
other byte is kept); `worker.py` runs them in worker processes; `engine.py` proposes, applies to
a fixed point, re-analyses and writes atomically; `notebook.py` edits one cell's `source` in the
raw .ipynb text; `ignores.py` writes `# mldebt: ignore[...] -- reason` comments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mldebt.fix.engine import FIXABLE, FixRun, attach, diff, disk_reader, fix_project, write
from mldebt.model import Report

__all__ = ["FIXABLE", "CliOutcome", "FixRun", "attach", "fix_project", "run_for_cli"]


@dataclass
class CliOutcome:
    report: Report | None  # what to render (None: nothing, `stdout` is the output)
    stdout: str | None = None
    exit_code: int | None = None  # None: the usual (1 if findings remain)
    messages: list[str] = field(default_factory=list)  # for stderr


def _where(path: str, cell: int | None, line: int) -> str:
    return f"{path}{f':cell {cell}' if cell is not None else ''}:{line}"


def run_for_cli(
    analyse: Callable[[Mapping[str, bytes]], Report],
    root: Path,
    *,
    fix: bool,
    unsafe: bool,
    show_diff: bool,
    show_fixes: bool,
    add_ignore: str | None,
    jobs: int = 1,
    cache_dir: Path | None = None,
) -> CliOutcome:
    """The fix modes of `mldebt check`: what to print, and the exit status."""
    if add_ignore is not None:
        from mldebt.fix.ignores import add_ignores  # not needed to report fixes (`attach`)

        report = analyse({})
        changed, misses = add_ignores(report.findings, disk_reader(root), add_ignore)
        original = {p: (root / p).read_bytes() for p in changed}
        out = CliOutcome(None, exit_code=0)
        if show_diff:
            out.stdout = diff(original, changed)
            out.exit_code = 1 if changed else 0
        else:
            errors = write(root, original, changed)
            out.messages.extend(f"{e.path}: error: {e.message}" for e in errors)
            n = len(report.findings) - len(misses)
            files = len(changed) - len(errors)
            out.messages.append(
                f"Added suppressions for {n} finding{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''}."
            )
            out.stdout = ""
        out.messages.extend(f"{_where(m.path, m.cell, m.line)}: no suppression added: {m.reason}" for m in misses)
        return out
    run = fix_project(analyse, root, unsafe=unsafe, jobs=jobs, cache_dir=cache_dir)
    out = CliOutcome(run.report)
    for d in run.dropped:
        out.messages.append(f"{_where(d.path, d.cell, d.line)}: {d.rule} fix dropped: {d.reason}")
    out.messages.extend(f"{e.path}: error: {e.message}" for e in run.errors)
    if show_diff:
        out.report = None
        out.stdout = diff(run.original, run.changed)
        out.exit_code = 1 if run.changed else 0
        return out
    errors = write(root, run.original, run.changed)
    failed = {e.path for e in errors}
    out.messages.extend(f"{e.path}: error: {e.message}" for e in errors)
    applied = [a for a in run.applied if a.path not in failed]
    if failed:
        out.report = analyse({})  # what is on disk now
    if show_fixes and applied:
        out.messages.append(f"Fixed {len(applied)} finding{'s' if len(applied) != 1 else ''}:")
        for a in sorted(applied, key=lambda a: (a.path, a.cell or 0, a.line, a.rule)):
            out.messages.append(f"- {_where(a.path, a.cell, a.line)}: {a.rule} {a.message}")
    elif applied:
        out.messages.append(f"Fixed {len(applied)} finding{'s' if len(applied) != 1 else ''}.")
    return out
