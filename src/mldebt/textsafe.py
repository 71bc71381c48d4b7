"""Strings from a hostile repository made safe to print: no terminal escapes, always valid UTF-8.

Owns two escapings, used where paths become strings (`discover`) and where reports are written
(`report`):
- `path_text`: a file name that is not valid UTF-8 (decoded by Python with `surrogateescape`)
  shows its bytes as `\\xNN`, so every format can encode it and the name stays recognisable;
- `inert`: for a terminal, C0/C1 control characters (ESC, BEL, CR, ...), DEL and the bidi
  overrides of "Trojan Source" are shown as `\\xNN` / `\\uNNNN`, so an OSC sequence in a
  string literal or a file name cannot set a window title or write the clipboard.
Imports nothing of ours (any layer may use it).
"""

from __future__ import annotations

import re

__all__ = ["inert", "path_text", "utf8_safe"]

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls, DEL, C1 controls, bidi embeddings/overrides/isolates, line/paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def _surrogate(m: re.Match[str]) -> str:
    code = ord(m.group())
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


def _control(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def path_text(text: str) -> str:
    """`text` with undecodable bytes and lone surrogates escaped: encodable as UTF-8."""
    return _SURROGATE.sub(_surrogate, text) if _SURROGATE.search(text) else text


utf8_safe = path_text  # the same escaping, for any string bound for JSON or SARIF


def inert(text: str) -> str:
    """`text` safe for a terminal: control characters and lone surrogates escaped."""
    text = path_text(text)
    return _CONTROL.sub(_control, text) if _CONTROL.search(text) else text
