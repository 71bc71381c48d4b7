"""Shared by the bounded fuzz test (tests/test_fuzz.py) and the long run (bench/fuzz.py).

One input is a small project: a fixture project with one of its files mutated (bytes flipped,
inserted or deleted, lines dropped, duplicated or swapped, hostile bytes such as NUL, ESC or
an undecodable byte spliced in), or a Python file generated from the grammar by hypothesmith.
`check_project` scans it end to end and checks what must hold for any input whatsoever.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from mldebt.api import analyze, settings_for
from mldebt.report import render

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SUFFIXES = (".py", ".ipynb", ".yaml", ".yml", ".json", ".toml", ".sh", ".txt")
HOSTILE = (
    b"\0",
    b"\x1b]0;t\x07",
    b"\xff",
    b"\xc3",
    b"'",
    b'"',
    b"(",
    b"[",
    b"{",
    b"\\",
    b"&a",
    b"*a",
    b"<<: ",
    b"\r",
    b"\t",
)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def fixture_files() -> list[Path]:
    """Every analysable file of the fixture projects (sorted: examples are reproducible)."""
    return sorted(
        p
        for p in FIXTURES.rglob("*")
        if p.is_file() and p.suffix in SUFFIXES and ".mldebt_cache" not in p.parts and p.name != "expected.txt"
    )


@st.composite
def mutated(draw: st.DrawFn, files: list[Path]) -> tuple[Path, bytes]:
    """A fixture file and its mutated bytes."""
    path = draw(st.sampled_from(files))
    data = path.read_bytes()
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "hostile", "drop-line", "dup-line", "swap-lines"]))
        if kind in ("drop-line", "dup-line", "swap-lines"):
            lines = data.split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if kind == "drop-line":
                del lines[i]
            elif kind == "dup-line":
                lines.insert(i, lines[j])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = b"\n".join(lines)
            continue
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([data[at] ^ (1 << draw(st.integers(0, 7)))]) + data[at + 1 :]
        elif kind == "insert":
            data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 16)) :]
        else:
            data = data[:at] + draw(st.sampled_from(HOSTILE)) + data[at:]
    return path, data


@dataclass(frozen=True)
class Outcome:
    findings: int
    errors: int


class Broken(AssertionError):
    """An invariant that any input must keep was broken."""


def make_project(workdir: Path, original: Path, data: bytes) -> Path:
    """A copy of `original`'s fixture project with `original` replaced by `data`."""
    project_root = original.parent
    for parent in original.parents:  # the fixture project: nearest dir with expected.txt, else the file's dir
        if (parent / "expected.txt").is_file():
            project_root = parent
            break
        if parent == FIXTURES:
            break
    if workdir.exists():
        shutil.rmtree(workdir)
    shutil.copytree(project_root, workdir, ignore=shutil.ignore_patterns(".mldebt_cache", "expected.txt"))
    (workdir / original.relative_to(project_root)).write_bytes(data)
    (workdir / "pyproject.toml").write_text("")
    return workdir


def check_project(root: Path) -> Outcome:
    """Scan `root` and check the invariants; raises Broken (or what analysis raised)."""
    report = analyze([str(root)], settings_for(root, {"no-cache": True, "jobs": 1}), root=root)
    for error in report.errors:
        if "internal error" in error.message:
            raise Broken(f"{error.path}: {error.message}")
    outputs = {fmt: render(report, fmt) for fmt in ("text", "json", "sarif")}
    for fmt, text in outputs.items():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise Broken(f"{fmt} output is not valid UTF-8: {exc}") from None
    json.loads(outputs["json"])
    json.loads(outputs["sarif"])
    if _CONTROL.search(outputs["text"]):
        raise Broken(f"control character in text output: {_CONTROL.search(outputs['text'])!r}")
    return Outcome(len(report.findings), len(report.errors))
