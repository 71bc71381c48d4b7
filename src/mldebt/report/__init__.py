"""Formatters that turn a `Report` into text, JSON or SARIF."""

from __future__ import annotations

from mldebt.model import Report
from mldebt.report.json_format import to_json
from mldebt.report.sarif import to_sarif
from mldebt.report.text import to_text

FORMATS = ("text", "json", "sarif")

__all__ = ["FORMATS", "render", "to_json", "to_sarif", "to_text"]


def render(report: Report, fmt: str, *, color: bool = False, statistics: bool = False) -> str:
    """Render `report` in `fmt` (one of `FORMATS`); `color`/`statistics` apply to text only."""
    if fmt == "text":
        return to_text(report, color=color, statistics=statistics)
    if fmt == "json":
        return to_json(report)
    if fmt == "sarif":
        return to_sarif(report)
    raise ValueError(f"unknown output format {fmt!r}; expected one of {', '.join(FORMATS)}")
