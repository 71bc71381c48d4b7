"""Human-readable, ruff-like output rendered with `rich`; plain text when colour is off.

Every path and message from the scanned repository goes through `textsafe.inert`: control
characters (an OSC sequence in a string literal or a file name) reach the terminal escaped."""

from __future__ import annotations

import io
from collections import Counter
from itertools import groupby

from rich.console import Console
from rich.text import Text

from mldebt.model import Finding, Location, Report
from mldebt.textsafe import inert

_SEVERITY_STYLE = {"error": "bold red", "warning": "bold yellow", "note": "bold cyan"}
_SEVERITY_ORDER = {"error": 0, "warning": 1, "note": 2}


def format_location(
    path: str, line: int, column: int, cell: int | None = None, raw_line: int | None = None, *, raw: bool = False
) -> str:
    """`path:line:col`; in a notebook `nb.ipynb:cell 4:3:1`, or with `raw` the line of the .ipynb
    file itself (`nb.ipynb:57:1`, column 1), which editors can open."""
    if cell is None:
        return f"{path}:{line}:{column}"
    if raw and raw_line:
        return f"{path}:{raw_line}:1"
    return f"{path}:cell {cell}:{line}:{column}"


def to_text(report: Report, *, color: bool, statistics: bool, raw_notebook_lines: bool = False) -> str:
    """Findings grouped by file, then file errors and a summary; with `statistics`, only the
    table of counts per rule."""
    buf = io.StringIO()
    console = Console(
        file=buf,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        width=100,
        highlight=False,
        soft_wrap=True,
        emoji=False,
        markup=False,
    )
    findings = sorted(report.findings, key=Finding.sort_key)
    if statistics:  # the table only, as `ruff --statistics`
        if findings:
            console.print(_statistics(findings))
        return buf.getvalue()
    for i, (_, group) in enumerate(groupby(findings, key=lambda f: f.location.path)):
        if i:
            console.print()
        for f in group:
            console.print(_finding_line(f, raw_notebook_lines))
            for r in f.related:
                line = Text("  -> ")
                where = format_location(r.path, r.line, r.column, r.cell, r.raw_line, raw=raw_notebook_lines)
                line.append(inert(r.path), style="bold")
                line.append(f"{where[len(r.path) :]}: {inert(r.message)}")
                console.print(line)
    errors = sorted(report.errors)
    if errors:
        if findings:
            console.print()
        for e in errors:
            line = Text()
            line.append(inert(e.path), style="bold")
            line.append(": ")
            line.append("error", style="bold red")
            line.append(f": {inert(e.message)}")
            console.print(line)
    if findings or errors:
        console.print()
    console.print(Text(_summary_line(report, findings)))
    fixable = Counter(f.fix.applicability for f in findings if f.fix is not None)
    if fixable["safe"]:
        hidden = f" ({fixable['unsafe']:,} more with `--unsafe-fixes`)" if fixable["unsafe"] else ""
        console.print(Text(f"[*] {fixable['safe']:,} fixable with `mldebt check --fix`{hidden}."))
    elif fixable["unsafe"]:
        console.print(Text(f"{fixable['unsafe']:,} fixable with `mldebt check --fix --unsafe-fixes`."))
    return buf.getvalue()


def _finding_line(f: Finding, raw_notebook_lines: bool = False) -> Text:
    loc: Location = f.location
    line = Text()
    line.append(inert(loc.path), style="bold")
    where = format_location(loc.path, loc.line, loc.column, loc.cell, loc.raw_line, raw=raw_notebook_lines)
    line.append(f"{where[len(loc.path) :]}: ")
    severity = str(f.severity)
    line.append(f.rule, style=_SEVERITY_STYLE.get(severity, "bold"))
    if f.fix is not None and f.fix.applicability == "safe":
        line.append(" [*]", style="bold cyan")
    line.append(f" [{severity}] {inert(f.message)}")
    return line


def _statistics(findings: list[Finding]) -> Text:
    """A `ruff --statistics`-like table: count, rule, name; most frequent first."""
    counts = Counter((f.rule, f.name, str(f.severity)) for f in findings)
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    count_w = max(len(f"{n:,}") for _, n in rows)
    rule_w = max(len(rule) for (rule, _, _), _ in rows)
    table = Text()
    for (rule, name, severity), n in rows:
        table.append(f"{n:>{count_w},}  ")
        table.append(rule, style=_SEVERITY_STYLE.get(severity, "bold"))
        table.append(f"{' ' * (rule_w - len(rule))}  {name}\n")
    table.rstrip()
    return table


def _summary_line(report: Report, findings: list[Finding]) -> str:
    s = report.summary
    scope = f"{_plural(s.files, 'file')} ({_plural(s.lines, 'line')})"
    if findings:
        by_sev = Counter(str(f.severity) for f in findings)
        parts = sorted(by_sev.items(), key=lambda kv: (-kv[1], _SEVERITY_ORDER.get(kv[0], 9)))
        detail = ", ".join(f"{n:,} {sev}" for sev, n in parts)
        head = f"Found {_plural(len(findings), 'finding')} ({detail}) in {scope}"
    elif report.errors:
        head = f"No findings in {scope}"
    else:
        head = f"All checks passed! Checked {scope}"
    clauses = [head]
    if s.io_sites:
        pct = int(100 * s.resolved_io_sites / s.io_sites)  # floor: never 100% unless all
        clauses.append(f"{s.resolved_io_sites:,} of {s.io_sites:,} data reads/writes resolved ({pct}%)")
    failed = {e.path for e in report.errors if not e.partial}  # a notebook with two bad cells is one file
    if failed:
        clauses.append(f"{_plural(len(failed), 'file')} could not be analysed")
    partly = {e.path for e in report.errors if e.partial} - failed
    if partly:
        clauses.append(f"{_plural(len(partly), 'file')} partly analysed")
    if s.suppressed:
        clauses.append(f"{s.suppressed:,} suppressed by comments")
    if s.below_confidence:
        clauses.append(f"{s.below_confidence:,} below min-confidence hidden (`--min-confidence low` shows them)")
    if s.in_baseline:
        clauses.append(f"{s.in_baseline:,} in the baseline hidden")
    return "; ".join(clauses) + "."


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"
