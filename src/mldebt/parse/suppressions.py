"""Suppression comments: `# mldebt: ignore[MLD201, MLD3] -- reason`, in any file kind with `#` comments.

The same syntax in Python, notebooks (per code line), YAML, TOML, requirements files, conda
environments, Makefiles, shell scripts and Snakefiles. The codes are rule ids or prefixes; no
bracket (`# mldebt: ignore`) means every rule. The reason follows `--` and runs to the end of the
line, or to a following ` # ` comment. A comment alone on its line also covers the next line.
JSON has no comments, so no suppressions.
"""

from __future__ import annotations

import io
import re
import tokenize

from mldebt.parse.facts import Suppression

__all__ = ["parse_suppressions", "python_comment_columns"]

_SUPPRESS = re.compile(r"#\s*mldebt:\s*ignore\b(?:\[([^\]]*)\])?(.*)$", re.I)
_REASON = re.compile(r"^\s*(?:--|—|:)\s*(.*)$")
_NEXT_COMMENT = re.compile(r"\s#\s")


def python_comment_columns(text: str) -> dict[int, int] | None:
    """Line -> 0-based column of the comment on it, from `tokenize` (None if it cannot tokenize):
    so a `# mldebt: ignore` inside a string is not a suppression."""
    out: dict[int, int] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                out[tok.start[0]] = tok.start[1]
    except (tokenize.TokenError, SyntaxError, ValueError):
        return None
    return out


def parse_suppressions(text: str, comments: dict[int, int] | None = None) -> tuple[Suppression, ...]:
    """Every suppression comment in `text`, by line (1-based); `comments` (line -> column of the
    comment, for Python) limits them to real comments."""
    if "mldebt" not in text.lower():
        return ()
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        m = _SUPPRESS.search(line, comments.get(i, len(line)) if comments is not None else 0)
        if m is None:
            continue
        codes = tuple(c.strip().upper() for c in (m.group(1) or "").split(",") if c.strip())
        reason = ""
        tail = _REASON.match(m.group(2) or "")
        if tail is not None:
            reason = _NEXT_COMMENT.split(tail.group(1), maxsplit=1)[0].strip()
        own = not line[: m.start()].strip()
        out.append(Suppression(i, m.start() + 1, codes, reason, own))
    return tuple(out)
