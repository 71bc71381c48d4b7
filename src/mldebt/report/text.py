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


def to_text(report: Report, *, color: bool, statistics: bool) -> str:
    """Findings grouped by file, then file errors, an optional statistics table and a summary."""
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
    for i, (_, group) in enumerate(groupby(findings, key=lambda f: f.location.path)):
        if i:
            console.print()
        for f in group:
            console.print(_finding_line(f))
            for r in f.related:
                line = Text("  -> ")
                line.append(inert(r.path), style="bold")
                cell = f":cell {r.cell}" if r.cell is not None else ""
                line.append(f"{cell}:{r.line}:{r.column}: {inert(r.message)}")
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
    if statistics and findings:
        console.print(_statistics(findings))
        console.print()
    console.print(Text(_summary_line(report, findings)))
    return buf.getvalue()


def _finding_line(f: Finding) -> Text:
    loc: Location = f.location
    line = Text()
    line.append(inert(loc.path), style="bold")
    cell = f":cell {loc.cell}" if loc.cell is not None else ""
    line.append(f"{cell}:{loc.line}:{loc.column}: ")
    severity = str(f.severity)
    line.append(f.rule, style=_SEVERITY_STYLE.get(severity, "bold"))
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
    if report.errors:
        n = len({e.path for e in report.errors})  # a notebook with two bad cells is one file
        clauses.append(f"{_plural(n, 'file')} could not be analysed")
    return "; ".join(clauses) + "."


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"
