"""Jupyter notebooks -> FileFacts: code cells joined in stored order, never executed.

IPython magics and shell lines become `pass` lines of the same indentation, so every line keeps
its number; `line_map` maps each joined line back to (cell, line in cell, line in the .ipynb); cells are
numbered from 1 over all cells, markdown included, as Jupyter front ends and nbQA show them.
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from dataclasses import replace

from mldebt.parse.errors import FileSkipped
from mldebt.parse.facts import FileFacts
from mldebt.parse.python import python_facts

# Cell magics whose body is still Python.
_PYTHON_CELL_MAGICS = ("%%time", "%%timeit", "%%capture", "%%prun", "%%debug", "%%autoreload")
_MAX_BAD_CELLS = 20
_MAX_OPEN_SCAN = 400  # lines of a cell read back to tell a `%` continuation from a magic
_LINE_SUFFIX = re.compile(r"\s*\(line \d+\)$")
_ASSIGN_MAGIC = re.compile(r"^(\s*[\w.,\s]+=\s*)[!%]")


def notebook_facts(rel: str, text: str, module: str) -> FileFacts:
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileSkipped(f"broken notebook: invalid JSON ({exc.msg}, line {exc.lineno})") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if cells is None and isinstance(nb, dict) and isinstance(nb.get("worksheets"), list):  # nbformat 3
        cells = [c for ws in nb["worksheets"] if isinstance(ws, dict) for c in ws.get("cells", [])]
    if not isinstance(cells, list):
        raise FileSkipped("broken notebook: no `cells` list")
    raw_lines = _source_lines(text)
    problems: list[str] = []
    lines: list[str] = []
    line_map: list[tuple[int, int, int]] = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict):
            raise FileSkipped(f"broken notebook: cell {index} is not an object")
        raw_start = raw_lines[index] if index < len(raw_lines) else 0
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        if isinstance(source, list):
            if not all(isinstance(s, str) for s in source):
                raise FileSkipped(f"broken notebook: cell {index} has a malformed source")
            source = "".join(source)
        if not isinstance(source, str):
            raise FileSkipped(f"broken notebook: cell {index} has a malformed source")
        if "\0" in source:  # CPython's parser refuses the whole text: this cell only is left out
            problems.append(f"cell {index + 1} not analysed: contains a NUL character")
            source = ""
        cell_lines = _neutralise(source.splitlines())
        for i, line in enumerate(cell_lines):
            lines.append(line)
            line_map.append((index + 1, i + 1, raw_start + 1 + i if raw_start else 0))
    # A cell that is not Python (a Python 2 cell, a half-written one) costs that cell, not the
    # notebook: it is blanked and the rest is analysed.
    starts = tuple(i + 1 for i, (_, in_cell, _) in enumerate(line_map) if in_cell == 1)  # for detectors
    for _ in range(_MAX_BAD_CELLS):
        try:
            facts = python_facts(rel, "\n".join(lines) + "\n", module, starts)
            break
        except FileSkipped as exc:
            if exc.line is None or not 1 <= exc.line <= len(lines):
                raise
            bad, in_cell, _ = line_map[exc.line - 1]
            reason = _LINE_SUFFIX.sub("", str(exc))
            problems.append(f"cell {bad} not analysed: {reason} (line {in_cell} of the cell)")
            lines = [
                ("# " + line if line else "") if cell == bad else line
                for line, (cell, _, _) in zip(lines, line_map, strict=True)
            ]
    else:
        raise FileSkipped(f"broken notebook: more than {_MAX_BAD_CELLS} cells are not valid Python")
    return replace(
        facts, kind="notebook", line_map=tuple(line_map), lines=len(lines), problems=tuple(sorted(set(problems)))
    )


def _neutralise(lines: list[str]) -> list[str]:
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].split()[0]
        if magic not in _PYTHON_CELL_MAGICS:
            return ["# " + line if line else "" for line in lines]  # a %%bash, %%sql ... cell
        lines = ["pass", *lines[1:]]
    out: list[str] = []
    continued = False  # inside a shell or magic line continued with a backslash
    settled = 0  # out[:settled] ends at a statement boundary (no bracket or string left open)
    for line in lines:
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if continued:
            out.append("")
            continued = line.endswith("\\")
        elif (stripped.startswith(("%", "!")) or (stripped.endswith("?") and "#" not in stripped)) and not _open(
            out, settled
        ):
            out.append(f"{indent}pass")
            settled = len(out)
            continued = line.endswith("\\")
        elif _ASSIGN_MAGIC.match(line):
            out.append(_ASSIGN_MAGIC.match(line).group(1) + "None")  # type: ignore[union-attr]
        else:
            out.append(line)
    return out


def _open(lines: list[str], start: int) -> bool:
    """Whether `lines[start:]` leave a bracket, a string or a backslash continuation open: then a
    line starting with `%` continues an expression (`"..." % x` split over lines), not a magic."""
    if start >= len(lines) or len(lines) - start > _MAX_OPEN_SCAN:
        return False
    text = "\n".join(lines[start:]) + "\n"
    try:
        for _ in tokenize.generate_tokens(io.StringIO(text).readline):
            pass
    except (tokenize.TokenError, SyntaxError):
        return True  # EOF in a multi-line statement or string
    return False


def _source_lines(text: str) -> list[int]:
    """0-based line of each cell's `"source"` key in the raw file (for SARIF regions)."""
    out = []
    for i, line in enumerate(text.splitlines()):
        if line.lstrip().startswith('"source"'):
            out.append(i + 1)
    return out
