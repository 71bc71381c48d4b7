"""A Markdown report for GitHub job summaries (`$GITHUB_STEP_SUMMARY`) and pull-request comments.

A summary table by category and rule, then the findings grouped by file, each with its evidence
steps; a finding whose evidence walks the project graph gets a small Mermaid diagram of just
that subgraph, its loop or chain drawn thick and red. A diagram that would be too big for GitHub
to render (or to read) becomes a plain list of its edges. The whole report stays under GitHub's
65,536-character limit for a comment: past it, diagrams go first, then the last findings.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import groupby
from typing import TYPE_CHECKING

from mldebt.model import Finding, FlowEdge, Report
from mldebt.report.text import format_location

if TYPE_CHECKING:
    from mldebt.graph.view import View

MAX_DIAGRAM_EDGES = 30  # a picture of more edges than this is no longer a picture of one finding
MAX_DIAGRAM_CHARS = 5_000  # well under Mermaid's 50,000, so a report can hold many
MAX_REPORT_CHARS = 65_000  # GitHub's comment limit is 65,536

_SEVERITY_ORDER = {"error": 0, "warning": 1, "note": 2}
# Characters that Markdown (CommonMark + GitHub) would read as markup outside a code span.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<|~&])")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def to_markdown(report: Report, *, diagrams: bool = True) -> str:
    text = _render(report, diagrams=diagrams, limit=None)
    if len(text) > MAX_REPORT_CHARS and diagrams:
        text = _render(report, diagrams=False, limit=None)
    if len(text) > MAX_REPORT_CHARS:
        shown = len(report.findings)
        while shown > 0 and len(text) > MAX_REPORT_CHARS:
            shown = shown * 3 // 4
            text = _render(report, diagrams=False, limit=shown)
    return text


def _render(report: Report, *, diagrams: bool, limit: int | None) -> str:
    findings = sorted(report.findings, key=Finding.sort_key)
    out: list[str] = [f"## mldebt: {_headline(report, findings)}", ""]
    if findings:
        out += _table(findings)
    shown = findings if limit is None else findings[:limit]
    for path, group in groupby(shown, key=lambda f: f.location.path):
        out += [f"### {_code(path)}", ""]
        for f in group:
            out += _finding(f, diagrams)
        if out[-1]:
            out.append("")
    if limit is not None and limit < len(findings):
        out += [
            f"*{len(findings) - limit:,} more findings left out to fit GitHub's size limit; "
            "`mldebt check` lists them all.*",
            "",
        ]
    errors = sorted(report.errors)
    if errors:
        out += ["### Files that could not be analysed", ""]
        out += [f"- {_code(e.path)}: {_escape(e.message)}" for e in errors]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _headline(report: Report, findings: list[Finding]) -> str:
    s = report.summary
    scope = f"{_plural(s.files, 'file')} ({_plural(s.lines, 'line')})"
    if not findings:
        return f"no findings in {scope}"
    by_sev = Counter(str(f.severity) for f in findings)
    detail = ", ".join(
        f"{n:,} {sev}" for sev, n in sorted(by_sev.items(), key=lambda kv: _SEVERITY_ORDER.get(kv[0], 9))
    )
    return f"{_plural(len(findings), 'finding')} ({detail}) in {scope}"


def _table(findings: list[Finding]) -> list[str]:
    counts = Counter((f.category, f.rule, f.name, str(f.severity)) for f in findings)
    rows = ["| category | rule | name | severity | findings |", "|---|---|---|---|---:|"]
    for (category, rule, name, severity), n in sorted(counts.items()):
        rows.append(f"| {_escape(category)} | {rule} | {_escape(name)} | {severity} | {n:,} |")
    return [*rows, ""]


def _finding(f: Finding, diagrams: bool) -> list[str]:
    loc = f.location
    where = format_location(loc.path, loc.line, loc.column, loc.cell)
    out = [
        f"- **{f.rule}** {_escape(f.name)} ({f.severity}, {f.confidence} confidence) at {_code(where)}: {_message(f.message)}"
    ]
    if not f.related and not f.flow:
        return out
    out.append("")
    if f.related:
        out.append("  <details><summary>evidence: " + _plural(len(f.related), "step") + "</summary>")
        out.append("")
        for i, r in enumerate(f.related, start=1):
            step = format_location(r.path, r.line, r.column, r.cell)
            out.append(f"  {i}. {_code(step)}: {_message(r.message)}")
        out.append("")
        out.append("  </details>")
        out.append("")
    if diagrams and len(f.flow) >= 2:
        out += _diagram(f.flow)
    return out


def _diagram(flow: tuple[FlowEdge, ...]) -> list[str]:
    """Mermaid for a small subgraph, else the list of its edges."""
    from mldebt.graph.view import display_label, to_mermaid  # networkx only when there is a picture

    view = flow_view(flow)
    text = to_mermaid(view)
    if len(view.edges) <= MAX_DIAGRAM_EDGES and len(text) <= MAX_DIAGRAM_CHARS:
        return ["  ```mermaid", *(f"  {line}" for line in text.splitlines()), "  ```", ""]
    out = [
        f"  The evidence spans {_plural(len(flow), 'edge')}, too many for a diagram"
        + (" (on the loop or chain: **bold**):" if any(e.on_path for e in flow) else ":"),
        "",
    ]
    for e in flow:
        src = display_label(e.source, e.source_label, grouped=False).replace("\n", " in ")
        dst = display_label(e.target, e.target_label, grouped=False).replace("\n", " in ")
        line = f"{_code(src)} {e.kind} {_code(dst)}"
        out.append(f"  - {'**' + line + '**' if e.on_path else line}")
    return [*out, ""]


def flow_view(flow: tuple[FlowEdge, ...]) -> View:
    """A finding's evidence as a view: nodes from its edges, the loop or chain highlighted."""
    from mldebt.graph.view import View, ViewEdge, ViewNode, node_file

    labels: dict[str, str] = {}
    marked: set[str] = set()
    for e in flow:
        labels[e.source], labels[e.target] = e.source_label, e.target_label
        if e.on_path:
            marked.update((e.source, e.target))
    nodes = tuple(ViewNode(n, n.partition(":")[0], labels[n], node_file(n), n in marked) for n in sorted(labels))
    edges = tuple(ViewEdge(e.source, e.target, e.kind, e.on_path) for e in sorted(flow))
    return View(nodes, edges)


def _message(text: str) -> str:
    """A message as Markdown: its `code spans` kept, everything else escaped."""
    text = _CONTROL.sub("\ufffd", text)
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: no code spans at all
        return _escape(text)
    return "".join(_code(p) if i % 2 else _escape(p) for i, p in enumerate(parts))


def _escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", _CONTROL.sub("\ufffd", text).replace("\n", " "))


def _code(text: str) -> str:
    """An inline code span that holds any text (backticks inside get a longer fence)."""
    text = _CONTROL.sub("\ufffd", text).replace("\n", " ")
    if not text:
        return ""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"
