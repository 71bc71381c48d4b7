"""`--add-ignore`: a `# mldebt: ignore[MLDnnn] -- reason` comment on the line of every finding.

Python files and notebook cells: the comment goes at the end of the finding's line only where
`tokenize` says a line really ends there (not inside a string, not after a backslash), so the
file means the same afterwards. YAML and TOML: the comment is appended only if the document
loads to the same data with it. Requirements files: appended unless the line is continued.
A line that already has an ignore comment gets the union of the codes; with no codes (an ignore
of every rule) it is left alone. Running it twice changes nothing: the findings are suppressed.
"""

from __future__ import annotations

import io
import json
import re
import sys
import tokenize
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from mldebt.fix import notebook as nbfix
from mldebt.model import Finding

_IGNORE = re.compile(r"#\s*mldebt:\s*ignore(?:\[([^\]]*)\])?", re.I)


@dataclass(frozen=True, slots=True)
class NotPlaced:
    path: str
    line: int
    cell: int | None
    reason: str


UNUSED_SUPPRESSION = "MLD707"


def _comment(codes: Sequence[str], reason: str) -> str:
    text = f"# mldebt: ignore[{', '.join(codes)}]"
    return f"{text} -- {reason}" if reason else text


def _merge_line(line: str, codes: set[str], reason: str, comment_ok: bool) -> str | None:
    """The line with the codes suppressed, or None when no comment can go there."""
    body = line.rstrip("\r\n")
    ending = line[len(body) :]
    m = _IGNORE.search(body) if comment_ok or "#" in body else None
    if m is not None and comment_ok:
        if m.group(1) is None:
            return line  # already ignores every rule
        existing = [c.strip().upper() for c in m.group(1).split(",") if c.strip()]
        union = sorted(set(existing) | codes)
        if union == existing:
            return line
        return body[: m.start(1)] + ", ".join(union) + body[m.end(1) :] + ending
    if not comment_ok:
        return None
    return body.rstrip() + "  " + _comment(sorted(codes), reason) + ending


def _python_comment_lines(text: str) -> set[int] | None:
    """1-based lines that end where a comment may be appended (a NEWLINE/NL/COMMENT token ends them)."""
    ok: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT):
                ok.add(tok.start[0])
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return ok


def _edit_python(
    text: str, wanted: Mapping[int, set[str]], reason: str, cell: bool = False
) -> tuple[str, list[tuple[int, str]]]:
    from mldebt.parse.notebook import _neutralise

    lines = text.splitlines(keepends=True)
    parsed = "\n".join(_neutralise(text.split("\n"))) if cell else text
    allowed = _python_comment_lines(parsed) or set()
    misses: list[tuple[int, str]] = []
    for line_no, codes in sorted(wanted.items()):
        if not 1 <= line_no <= len(lines):
            misses.append((line_no, "no such line"))
            continue
        original = lines[line_no - 1]
        same = original.rstrip("\r\n") == parsed.split("\n")[line_no - 1].rstrip("\r")
        new = _merge_line(original, codes, reason, line_no in allowed and same)
        if new is None:
            misses.append((line_no, "the line ends inside a string or continues on the next line"))
            continue
        lines[line_no - 1] = new
    return "".join(lines), misses


def _edit_config(
    text: str, wanted: Mapping[int, set[str]], reason: str, same: Callable[[str, str], bool]
) -> tuple[str, list[tuple[int, str]]]:
    lines = text.splitlines(keepends=True)
    misses: list[tuple[int, str]] = []
    for line_no, codes in sorted(wanted.items()):
        if not 1 <= line_no <= len(lines):
            misses.append((line_no, "no such line"))
            continue
        original = lines[line_no - 1]
        if original.rstrip("\r\n").endswith("\\"):
            misses.append((line_no, "the line continues on the next line"))
            continue
        new = _merge_line(original, codes, reason, True)
        if new is None or new == original:
            continue
        candidate = "".join([*lines[: line_no - 1], new, *lines[line_no:]])
        if not same(text, candidate):
            misses.append((line_no, "a comment there would change what the file says"))
            continue
        lines[line_no - 1] = new
    return "".join(lines), misses


def _same_yaml(a: str, b: str) -> bool:
    import yaml

    try:
        return bool(list(yaml.safe_load_all(a)) == list(yaml.safe_load_all(b)))
    except yaml.YAMLError:
        return False


def _same_toml(a: str, b: str) -> bool:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        return bool(tomllib.loads(a) == tomllib.loads(b))
    except tomllib.TOMLDecodeError:
        return False


def _same_text(a: str, b: str) -> bool:
    return True


def add_ignores(
    findings: Sequence[Finding], read: Callable[[str], bytes | None], reason: str
) -> tuple[dict[str, bytes], list[NotPlaced]]:
    """New contents of the files that get suppression comments, and findings that could not get one."""
    reason = " ".join(reason.split())
    wanted: dict[str, dict[int | None, dict[int, set[str]]]] = {}
    for f in findings:
        if f.rule == UNUSED_SUPPRESSION:  # a stale comment is mended by editing it, not by another comment
            continue
        loc = f.location
        wanted.setdefault(loc.path, {}).setdefault(loc.cell, {}).setdefault(loc.line, set()).add(f.rule)
    changed: dict[str, bytes] = {}
    misses: list[NotPlaced] = []
    for path in sorted(wanted):
        data = read(path)
        try:
            text = data.decode("utf-8") if data is not None else None
        except UnicodeDecodeError:
            text = None
        by_cell = wanted[path]
        if text is None:
            misses.extend(NotPlaced(path, ln, c, "cannot read the file as UTF-8") for c in by_cell for ln in by_cell[c])
            continue
        bom = text.startswith("\ufeff")
        body = text[1:] if bom else text
        name = path.rsplit("/", 1)[-1].lower()
        new = body
        if name.endswith(".ipynb"):
            try:
                cells = nbfix.cell_sources(body)
                sources: dict[int, str] = {}
                for cell, lines in by_cell.items():
                    if cell is None or not 1 <= cell <= len(cells):
                        misses.extend(NotPlaced(path, ln, cell, "no such cell") for ln in lines)
                        continue
                    edited, bad = _edit_python(cells[cell - 1][1], lines, reason, cell=True)
                    misses.extend(NotPlaced(path, ln, cell, why) for ln, why in bad)
                    if edited != cells[cell - 1][1]:
                        sources[cell - 1] = edited
                new = nbfix.replace_sources(body, sources) if sources else body
            except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
                misses.extend(
                    NotPlaced(path, ln, c, f"notebook not edited: {exc}") for c in by_cell for ln in by_cell[c]
                )
                continue
        else:
            lines = by_cell.get(None, {})
            if name.endswith((".py", ".pyi")):
                new, bad = _edit_python(body, lines, reason)
            elif name.endswith((".yaml", ".yml")):
                new, bad = _edit_config(body, lines, reason, _same_yaml)
            elif name.endswith(".toml"):
                new, bad = _edit_config(body, lines, reason, _same_toml)
            elif name.endswith((".txt", ".in")):
                new, bad = _edit_config(body, lines, reason, _same_text)
            else:
                bad = [(ln, "this kind of file takes no comments mldebt reads") for ln in lines]
            misses.extend(NotPlaced(path, ln, None, why) for ln, why in bad)
        if new != body:
            changed[path] = (("\ufeff" if bom else "") + new).encode("utf-8")
    return changed, misses
