"""Why a Python file could not be parsed, in words that are true.

A file that the running CPython rejects may be valid for a newer Python: saying "syntax error"
then sends the user hunting for a typo. `newer_syntax` recognises, on the line CPython
complained about, the constructs each Python version added, and names the version needed.
"""

from __future__ import annotations

import re
import sys

__all__ = ["may_be_newer", "newer_syntax"]

_V = tuple[int, int]

# (version that added it, what it is, pattern on the offending line, word CPython's message must hold)
_FEATURES: tuple[tuple[_V, str, re.Pattern[str], str], ...] = (
    ((3, 11), "`except*`", re.compile(r"^\s*except\s*\*"), ""),
    ((3, 12), "a `type` alias statement", re.compile(r"^\s*type\s+[A-Za-z_]\w*\s*(\[.*\])?\s*="), ""),
    ((3, 12), "type parameters", re.compile(r"^\s*(async\s+)?(def|class)\s+[A-Za-z_]\w*\s*\["), ""),
    (
        (3, 12),
        "an f-string reusing its quotes, or with a backslash or comment inside",
        re.compile(r"(?<![\w'\"])[rR]?[fF][rR]?['\"]"),
        "f-string",
    ),
    ((3, 14), "a template string (t-string)", re.compile(r"(?<![\w'\"])[rR]?[tT][rR]?['\"]"), ""),
    (
        (3, 14),
        "`except` with several exceptions and no parentheses",
        re.compile(r"^\s*except\s+[\w.]+\s*,\s*[\w.]+"),
        "",
    ),
)


def newer_syntax(text: str, line: int | None, message: str = "", running: _V | None = None) -> str | None:
    """'needs Python 3.12 (...)' when line `line` of `text`, which CPython rejected with
    `message`, uses syntax newer than `running` (default: this interpreter)."""
    running = running or (sys.version_info.major, sys.version_info.minor)
    if line is None or line < 1:
        return None
    lines = text.split("\n")
    if line > len(lines):
        return None
    source = lines[line - 1]
    for version, what, pattern, word in _FEATURES:
        if version > running and word in message and pattern.search(source):
            return (
                f"needs Python {version[0]}.{version[1]} or later ({what}); "
                f"mldebt is running on Python {running[0]}.{running[1]}"
            )
    return None


def may_be_newer(text: str, running: _V | None = None) -> bool:
    """Whether `text` holds any construct newer than `running`: a cheap screen before a parse."""
    running = running or (sys.version_info.major, sys.version_info.minor)
    return any(version > running and pattern.search(text) for version, _, pattern, _ in _FEATURES_MULTILINE)


_FEATURES_MULTILINE = tuple((v, w, re.compile(p.pattern, re.M), m) for v, w, p, m in _FEATURES)
