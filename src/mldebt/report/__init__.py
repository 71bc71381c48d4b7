"""Formatters that turn a `Report` into text, JSON or SARIF."""

from __future__ import annotations

import dataclasses

from mldebt.model import Report
from mldebt.report.json_format import to_json
from mldebt.report.sarif import to_sarif
from mldebt.report.text import to_text
from mldebt.textsafe import utf8_safe

FORMATS = ("text", "json", "sarif")

__all__ = ["FORMATS", "render", "to_json", "to_sarif", "to_text"]


def render(report: Report, fmt: str, *, color: bool = False, statistics: bool = False) -> str:
    """Render `report` in `fmt` (one of `FORMATS`); `color`/`statistics` apply to text only."""
    report = _encodable(report)  # type: ignore[assignment]
    if fmt == "text":
        return to_text(report, color=color, statistics=statistics)
    if fmt == "json":
        return to_json(report)
    if fmt == "sarif":
        return to_sarif(report)
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
