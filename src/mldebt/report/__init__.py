"""Formatters that turn a `Report` into text, JSON, SARIF, CI annotations or Markdown."""

from __future__ import annotations

from mldebt.model import Report
from mldebt.report.github import to_github
from mldebt.report.gitlab import to_gitlab
from mldebt.report.json_format import to_json
from mldebt.report.junit import to_junit
from mldebt.report.markdown import to_markdown
from mldebt.report.sarif import to_sarif
from mldebt.report.text import to_text

FORMATS = ("text", "json", "sarif", "github", "gitlab", "junit", "markdown")

__all__ = ["FORMATS", "render", "to_github", "to_gitlab", "to_json", "to_junit", "to_markdown", "to_sarif", "to_text"]


def render(
    report: Report, fmt: str, *, color: bool = False, statistics: bool = False, raw_notebook_lines: bool = False
) -> str:
    """Render `report` in `fmt` (one of `FORMATS`); `color`/`statistics`/`raw_notebook_lines` apply to text only."""
    if fmt == "text":
        return to_text(report, color=color, statistics=statistics, raw_notebook_lines=raw_notebook_lines)
    if fmt == "json":
        return to_json(report)
    if fmt == "sarif":
        return to_sarif(report)
    if fmt == "github":
        return to_github(report)
    if fmt == "gitlab":
        return to_gitlab(report)
    if fmt == "junit":
        return to_junit(report)
    if fmt == "markdown":
        return to_markdown(report)
    raise ValueError(f"unknown output format {fmt!r}; expected one of {', '.join(FORMATS)}")
