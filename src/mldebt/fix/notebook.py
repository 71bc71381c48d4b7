"""Notebooks: cell sources in, one cell's `source` value out, every other byte of the .ipynb kept.

The raw JSON text is edited in place: a small scanner finds where each cell's `"source"` value
starts and ends, and only that value is re-encoded, in the layout it had (a string, or a list of
lines with the same separators; lines whose text did not change keep their raw token). The result
is checked: parsed, it must equal the original document with that one source replaced.
"""

from __future__ import annotations

import json
import re
from typing import Any

_WS = re.compile(r"[ \t\n\r]*")
_STR = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_DECODER = json.JSONDecoder()


class NotebookLayoutError(ValueError):
    """The raw JSON is not laid out the way the scanner expects: no surgical edit."""


def _ws(s: str, i: int) -> int:
    m = _WS.match(s, i)
    return m.end() if m else i


def _skip(s: str, i: int) -> int:
    """The end of the JSON value starting at `i` (json's C scanner: outputs can be megabytes)."""
    try:
        return _DECODER.raw_decode(s, i)[1]
    except ValueError as exc:
        raise NotebookLayoutError(f"bad value at offset {i}") from exc


def _members(s: str, i: int) -> list[tuple[str, int, int]]:
    """(key, value start, value end) of the object at `i`."""
    if s[i] != "{":
        raise NotebookLayoutError("expected an object")
    out: list[tuple[str, int, int]] = []
    i = _ws(s, i + 1)
    if s[i] == "}":
        return out
    while True:
        m = _STR.match(s, i)
        if not m:
            raise NotebookLayoutError(f"expected a key at offset {i}")
        key = json.loads(m.group(0))
        i = _ws(s, m.end())
        if s[i] != ":":
            raise NotebookLayoutError("expected ':'")
        start = _ws(s, i + 1)
        end = _skip(s, start)
        out.append((key, start, end))
        i = _ws(s, end)
        if s[i] == ",":
            i = _ws(s, i + 1)
            continue
        if s[i] == "}":
            return out
        raise NotebookLayoutError("expected ',' or '}'")


def _elements(s: str, i: int) -> list[tuple[int, int]]:
    if s[i] != "[":
        raise NotebookLayoutError("expected an array")
    out: list[tuple[int, int]] = []
    i = _ws(s, i + 1)
    if s[i] == "]":
        return out
    while True:
        end = _skip(s, i)
        out.append((i, end))
        i = _ws(s, end)
        if s[i] == ",":
            i = _ws(s, i + 1)
            continue
        if s[i] == "]":
            return out
        raise NotebookLayoutError("expected ',' or ']'")


def source_spans(raw: str) -> list[tuple[int, int] | None]:
    """For each cell (in order), the span of its `source` value in `raw` (None: no source key)."""
    start = _ws(raw, 0)
    cells = next(((s, e) for k, s, e in _members(raw, start) if k == "cells"), None)
    if cells is None:
        raise NotebookLayoutError("no top-level `cells` (nbformat 3 notebooks are not fixed)")
    spans: list[tuple[int, int] | None] = []
    for cs, _ce in _elements(raw, cells[0]):
        spans.append(next(((s, e) for k, s, e in _members(raw, cs) if k == "source"), None))
    return spans


def cell_sources(raw: str) -> list[tuple[str, str]]:
    """(cell_type, source text) of every cell."""
    nb = json.loads(raw)
    out = []
    for cell in nb.get("cells", []):
        src = cell.get("source", "")
        out.append((str(cell.get("cell_type", "")), "".join(src) if isinstance(src, list) else str(src)))
    return out


def _encode(text: str, ascii_only: bool) -> str:
    return json.dumps(text, ensure_ascii=ascii_only)


def replace_sources(raw: str, new: dict[int, str]) -> str:
    """`raw` with the sources of cells `new` (0-based index -> text) replaced, surgically."""
    spans = source_spans(raw)
    ascii_only = raw.isascii() and "\\u" in raw
    doc = json.loads(raw)
    pieces: list[tuple[int, int, str]] = []
    for index, text in sorted(new.items()):
        span = spans[index] if index < len(spans) else None
        if span is None:
            raise NotebookLayoutError(f"cell {index + 1} has no source to edit")
        start, end = span
        old_value: Any = doc["cells"][index]["source"]
        if isinstance(old_value, str):
            pieces.append((start, end, _encode(text, ascii_only)))
            doc["cells"][index]["source"] = text
            continue
        lines = text.splitlines(keepends=True)
        elements = _elements(raw, start)
        raw_tokens = [raw[s:e] for s, e in elements]
        if len(elements) >= 2:
            sep = raw[elements[0][1] : elements[1][0]]
        elif elements:
            lead = raw[start + 1 : elements[0][0]]
            sep = "," + lead if "\n" in lead else ", "
        else:
            sep = ", "
        lead = raw[start + 1 : elements[0][0]] if elements else ""
        trail = raw[elements[-1][1] : end - 1] if elements else ""
        encoded = [
            raw_tokens[i] if i < len(old_value) and old_value[i] == line else _encode(line, ascii_only)
            for i, line in enumerate(lines)
        ]
        body = "[" + lead + sep.join(encoded) + trail + "]" if encoded else "[]"
        pieces.append((start, end, body))
        doc["cells"][index]["source"] = lines
    parts: list[str] = []
    last = 0
    for start, end, text in sorted(pieces):
        parts.extend((raw[last:start], text))
        last = end
    parts.append(raw[last:])
    out = "".join(parts)
    if json.loads(out) != doc:
        raise NotebookLayoutError("the edited notebook does not read back as intended")
    return out
