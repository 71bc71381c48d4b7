"""Formatters that turn a `Report` into text, JSON, SARIF, CI annotations or Markdown."""

from __future__ import annotations

import dataclasses
import importlib
from typing import TYPE_CHECKING

from mldebt.model import Report
from mldebt.textsafe import utf8_safe

if TYPE_CHECKING:
    from mldebt.report.github import to_github
    from mldebt.report.gitlab import to_gitlab
    from mldebt.report.json_format import to_json
    from mldebt.report.junit import to_junit
    from mldebt.report.markdown import to_markdown
    from mldebt.report.sarif import to_sarif
    from mldebt.report.text import to_text

# Each renderer loads when used: the text renderer's `rich` costs a JSON run nothing.
_RENDERERS = {
    "to_text": "text",
    "to_json": "json_format",
    "to_sarif": "sarif",
    "to_github": "github",
    "to_gitlab": "gitlab",
    "to_junit": "junit",
    "to_markdown": "markdown",
}


def __getattr__(name: str) -> object:
    module = _RENDERERS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"mldebt.report.{module}"), name)


FORMATS = ("text", "json", "sarif", "github", "gitlab", "junit", "markdown")

__all__ = ["FORMATS", "render", "to_github", "to_gitlab", "to_json", "to_junit", "to_markdown", "to_sarif", "to_text"]


def render(
    report: Report, fmt: str, *, color: bool = False, statistics: bool = False, raw_notebook_lines: bool = False
) -> str:
    """Render `report` in `fmt` (one of `FORMATS`); `color`/`statistics`/`raw_notebook_lines` apply to text only."""
    report = _encodable(report)  # type: ignore[assignment]
    if fmt == "text":
        from mldebt.report.text import to_text

        return to_text(report, color=color, statistics=statistics, raw_notebook_lines=raw_notebook_lines)
    name = "to_json" if fmt == "json" else f"to_{fmt}"
    if fmt in FORMATS and name in _RENDERERS:
        renderer = getattr(importlib.import_module(f"mldebt.report.{_RENDERERS[name]}"), name)
        return str(renderer(report))
    raise ValueError(f"unknown output format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _encodable(obj: object) -> object:
    """Every string in the report (paths, messages, root) encodable as UTF-8, whatever the format:
    lone surrogates (undecodable bytes in a file name, a `"\\udcff"` literal quoted by a message)
    become `\\xNN` / `\\uNNNN`. Returns `obj` itself when nothing needed escaping."""
    if isinstance(obj, str):
        return utf8_safe(obj)
    if isinstance(obj, tuple):
        items = tuple(_encodable(v) for v in obj)
        return obj if all(a is b for a, b in zip(items, obj, strict=True)) else items
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {}
        for f in dataclasses.fields(obj):
            old = getattr(obj, f.name)
            new = _encodable(old)
            if new is not old:
                changes[f.name] = new
        return dataclasses.replace(obj, **changes) if changes else obj
    return obj
