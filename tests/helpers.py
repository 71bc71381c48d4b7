"""Shared test helpers: expectation markers and exact-finding comparison."""

from __future__ import annotations

import re
from pathlib import Path

from mldebt.api import analyze, settings_for
from mldebt.model import Report

_EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9, ]+)\s*$")
_SKIP_DIRS = {".mldebt_cache", "__pycache__"}


def expected(root: Path) -> set[tuple[str, int, str]]:
    """(path, line, rule) for every `# expect: MLDnnn` marker under root."""
    out: set[tuple[str, int, str]] = set()
    for path in sorted(root.rglob("*")):
        if not path.is_file() or _SKIP_DIRS & set(path.parts) or path.suffix == ".txt":
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for i, line in enumerate(text.splitlines(), 1):
            m = _EXPECT.search(line)
            if m:
                for code in m.group(1).replace(" ", "").split(","):
                    if code:
                        out.add((path.relative_to(root).as_posix(), i, code))
    return out


def actual(report: Report) -> set[tuple[str, int, str]]:
    return {(f.location.path, f.location.line, f.rule) for f in report.findings}


def scan(root: Path, **overrides: object) -> Report:
    settings = settings_for(root, {"no-cache": True, "jobs": 1, **overrides})
    return analyze([str(root)], settings, root=root)
