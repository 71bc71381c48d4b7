"""Shared test helpers: expectation markers and exact-finding comparison."""

from __future__ import annotations

import json
import re
from pathlib import Path

from mldebt.api import analyze, settings_for
from mldebt.model import Report

_EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9, ]+)\s*$")
_SKIP_DIRS = {".mldebt_cache", "__pycache__"}


def _marks(text: str) -> list[tuple[int, str]]:
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        m = _EXPECT.search(line)
        if m:
            out.extend((i, code) for code in m.group(1).replace(" ", "").split(",") if code)
    return out


def expected(root: Path) -> set[tuple[str, int, str]]:
    """(path, line, rule) for every `# expect: MLDnnn` marker under root.

    In notebooks, markers are read from code cells, at their line within the cell: that is the
    line findings in notebooks report (the cell is reported apart).
    """
    out: set[tuple[str, int, str]] = set()
    for path in sorted(root.rglob("*")):
        if not path.is_file() or _SKIP_DIRS & set(path.parts) or path.name == "expected.txt":
            continue
        rel = path.relative_to(root).as_posix()
        try:
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".ipynb":
                cells = json.loads(text).get("cells", [])
                sources = [c.get("source", "") for c in cells if c.get("cell_type") == "code"]
                texts = ["".join(src) if isinstance(src, list) else src for src in sources]
            else:
                texts = [text]
        except (UnicodeDecodeError, OSError, ValueError, AttributeError):
            continue
        for t in texts:
            out.update((rel, line, code) for line, code in _marks(t))
    return out


def actual(report: Report) -> set[tuple[str, int, str]]:
    return {(f.location.path, f.location.line, f.rule) for f in report.findings}


def scan(root: Path, **overrides: object) -> Report:
    # every finding, whatever its confidence: fixtures pin low-confidence rules too
    settings = settings_for(root, {"no-cache": True, "jobs": 1, "min-confidence": "low", **overrides})
    return analyze([str(root)], settings, root=root)


def write(root: Path, files: dict[str, str]) -> Path:
    """A project of the given files (relative path -> text) under `root`; returns `root`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
