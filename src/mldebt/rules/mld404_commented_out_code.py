"""MLD404 commented-out-code: runs of comment lines that are Python statements."""

from __future__ import annotations

import ast
import io
import itertools
import re
import tokenize
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.facts import Smell, Span
from mldebt.rules.base import FileRule, data


class CommentedOutCode(FileRule):
    id = "MLD404"
    name = "commented-out-code"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"min-lines": (int, 3)}

    def accept(self, smell: Smell) -> bool:
        return int(data(smell, "lines", "0")) >= max(2, int(self.options["min-lines"]))


# detection ------------------------------------------------------------------------------


# Comment lines that are tool directives or markers, never code.
_PRAGMA = re.compile(
    r"^(?:!|-\*-|type:|noqa|pylint:|flake8:|mypy:|pyright:|fmt:|isort:|nosec|pragma\b|mldebt:|expect:|"
    r"ruff:|pyre|vim:|coding[:=]|NOQA|%%|In\s*\[|Out\s*\[|\+|-\s*$)"
)
# The prose line just before a run introduces an example, not dead code.
_INTRO = re.compile(r"(?i)\b(?:example|examples|usage|e\.g\.|for instance|such as|like this|like so|sample)\b")
_CONTINUATIONS = ("else", "elif", "except", "finally")
_MAX_JOIN = 20
_MAX_BLOCK = 400  # comment lines examined per block (license texts, ascii art)

WEAK, STRONG = 1, 2


def _parse(src: str) -> list[ast.stmt] | None:
    try:
        return ast.parse(src).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _call_glued(node: ast.expr, src: str) -> bool:
    """`f(x)` as code writes it, not `word (aside)` as prose does: no space before the bracket."""
    end = getattr(node, "end_col_offset", None)
    lines = src.split("\n")
    line = getattr(node, "end_lineno", 1) or 1
    if end is None or line > len(lines):
        return False
    text = lines[line - 1]
    return end < len(text) and text[end] in "(["


def _stmt_strength(stmt: ast.stmt, src: str) -> int:
    """STRONG for statements only code writes, WEAK for code-ish ones, 0 for what prose parses as."""
    if isinstance(stmt, ast.Expr):
        v = stmt.value
        if isinstance(v, (ast.Await, ast.Yield, ast.YieldFrom)):
            return STRONG
        if isinstance(v, ast.Call):
            return STRONG if _call_glued(v.func, src) else 0
        if isinstance(v, ast.Subscript):
            return WEAK if _call_glued(v.value, src) else 0
        return 0  # a bare name, `e.g`, a number, a string, `a - b`: prose parses so too
    if isinstance(stmt, ast.AnnAssign):
        return STRONG if stmt.value is not None and not isinstance(stmt.annotation, ast.Name) else 0
    if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Import, ast.ImportFrom, ast.Delete)):
        return STRONG
    if isinstance(stmt, (ast.Return, ast.Raise, ast.Assert)):
        return STRONG if getattr(stmt, "value", None) is not None or getattr(stmt, "exc", None) is not None else WEAK
    if isinstance(stmt, (ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal)):
        return WEAK
    return STRONG  # complete compound statements, `def`, `class`


def _line_strength(text: str) -> int:
    """Strength of one stripped comment body, read alone."""
    body = _parse(text)
    if body is not None:
        if not body:
            return 0
        return min(_stmt_strength(s, text) for s in body)
    if ":" in text:
        head = text.split(None, 1)[0].split(":")[0]
        if head in _CONTINUATIONS:
            prefix = "try: pass\n" if head in ("except", "finally") else "if x: pass\n"
            if _parse(prefix + text + "\n pass") is not None:
                return WEAK
            if head == "else" and _parse("try: pass\nexcept E: pass\n" + text + "\n pass") is not None:
                return WEAK
            return 0
        stmts = _parse(text + "\n pass")
        if stmts and isinstance(stmts[0], (ast.For, ast.AsyncFor, ast.FunctionDef)):
            return STRONG
        if stmts and isinstance(stmts[0], (ast.If, ast.While, ast.ClassDef, ast.Try, ast.With, ast.AsyncWith)):
            return WEAK  # `if so:`, `while waiting:`, `with care:` also read as prose
        if stmts and isinstance(stmts[0], ast.AsyncFunctionDef):
            return STRONG
        return 0
    if text.startswith("@") and _parse(text + "\ndef f(): pass") is not None:
        return WEAK
    return 0


def _drop_comment(line: str) -> str:
    """The code of one line without its trailing comment."""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(line).readline):
            if tok.type == tokenize.COMMENT:
                return line[: tok.start[1]].rstrip()
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return line


def _balance(text: str) -> int:
    depth = 0
    for ch in re.sub(r"'[^']*'|\"[^\"]*\"", "", text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
    return depth


def _comment_blocks(ctx: FileContext) -> Iterator[list[tuple[int, int, str]]]:
    """Runs of consecutive lines that start with `#` (line, column, text), split at notebook cell
    starts. Read from the lines, not the tokenizer (which costs several times more): the few runs
    that make a finding are checked against the tokenizer's comments afterwards."""
    starts = set(ctx.cell_starts) if ctx.notebook else set()
    block: list[tuple[int, int, str]] = []
    for number, text in enumerate(ctx.lines, 1):
        stripped = text.lstrip()
        if not stripped.startswith("#") or (block and number in starts):
            if block:
                yield block
            block = []
            if not stripped.startswith("#"):
                continue
        block.append((number, len(text) - len(stripped) + 1, stripped.rstrip()))
    if block:
        yield block


def _code_runs(block: list[tuple[int, int, str]]) -> Iterator[tuple[int, int, int, int, str]]:
    """(first index, last index, code lines, strong lines, first code text) of each run of code lines."""
    bodies = [text.lstrip("#").strip() for _, _, text in block[:_MAX_BLOCK]]
    n = len(bodies)
    i = 0
    run: list[int] = []
    strong = 0
    first = ""
    intro = False  # the prose line before the run introduces an example
    while i < n:
        s = bodies[i]
        if not s or s.startswith("#"):
            i += 1
            continue  # a bare `#`, or a comment inside the commented-out code
        if s.startswith((">>>", "...")) or _PRAGMA.match(s):
            k = 0
        else:
            k = 1
            strength = _line_strength(s)
            if not strength and _balance(s) > 0:  # a statement continued over several lines
                joined = s
                for j in range(i + 1, min(n, i + _MAX_JOIN)):
                    joined += "\n" + bodies[j]
                    if _balance(joined) <= 0:
                        stmts = _parse(joined)
                        if stmts and min(_stmt_strength(st, joined) for st in stmts) == STRONG:
                            strength, k = STRONG, j - i + 1
                        break
            if not strength:
                k = 0
        if k:
            if not run:
                first = s
            run.extend(range(i, i + k))
            strong += strength if strength == STRONG else 0
            i += k
            continue
        if run and not intro:
            yield run[0], run[-1], len(run), strong // STRONG, first
        run, strong = [], 0
        intro = bool(_INTRO.search(s)) or s.endswith("::")
        i += 1
    if run and not intro:
        yield run[0], run[-1], len(run), strong // STRONG, first


def _neutralised_cells(ctx: FileContext) -> list[tuple[int, int]]:
    """Line ranges of notebook cells the notebook reader commented out itself: `%%bash`-style
    cells, and cells that are not valid Python (every line prefixed with "# ")."""
    out: list[tuple[int, int]] = []
    bounds = [*ctx.cell_starts, len(ctx.lines) + 1]
    for start, end in itertools.pairwise(bounds):
        lines = [ln for ln in ctx.lines[start - 1 : end - 1] if ln.strip()]
        if not lines or not all(ln.startswith("# ") for ln in lines):
            continue
        body = [ln[2:] for ln in lines]
        if body[0].lstrip().startswith("%%") or _parse("\n".join(body)) is None:
            out.append((start, end))
    return out


def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD404: three or more consecutive comment lines that are Python statements."""
    if "#" not in ctx.text:
        return
    skipped = _neutralised_cells(ctx) if ctx.notebook else []
    comments: set[tuple[int, int]] | None = None
    for block in _comment_blocks(ctx):
        if len(block) < 2 or any(a <= block[0][0] < b for a, b in skipped):
            continue
        for a, b, count, strong, first in _code_runs(block):
            if count < 2 or strong < 2:
                continue
            start, end = block[a], block[b]
            if comments is None:
                comments = {(line, col) for line, col, _ in ctx.comments}
            if (start[0], start[1]) not in comments or (end[0], end[1]) not in comments:
                continue  # lines of a string literal that start with `#`
            span = Span(start[0], start[1], end[0], end[1] + len(end[2]))
            first = _drop_comment(first)
            code = first if len(first) <= 50 else first[:47] + "..."
            yield Smell(
                rule="MLD404",
                span=span,
                message=f"{end[0] - start[0] + 1} comment lines are commented-out Python code, from `{code}`",
                key=" ".join(first.split()),
                data=(("lines", str(count)), ("strong", str(strong))),
            )
