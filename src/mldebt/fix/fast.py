"""MLD703's fix (pass `random_state=`) from `ast` positions and the text between them, without LibCST.

The commonest fix only inserts `, random_state=N` after a call's last argument (or inside its
empty parentheses). LibCST's parse and PositionProvider cost 5 CPU s on a 4k-statement script
and 0.2 s of import in each worker process; this path computes the same edit as
`codemods.fix_703` in a few milliseconds. It answers only when the text between the last
argument and the closing parenthesis is plain (whitespace, at most one comma, no comment, no
parenthesis, no line continuation); for anything else it is `UNDECIDED` and the unit goes to
LibCST as before. `tests/test_fix_fast.py` checks both agree on every shape.
"""

from __future__ import annotations

import ast
from typing import Final

from mldebt.fix.proposal import Pos, Proposal, RawEdit
from mldebt.fix.seeds import DEFAULT_SEED, _context_nodes, _context_seed, _parse_context

__all__ = ["FAST_RULES", "UNDECIDED", "fast_fix"]


class _Undecided:
    def __repr__(self) -> str:
        return "UNDECIDED"


UNDECIDED: Final = _Undecided()
FAST_RULES = frozenset({"MLD703"})


class Calls:
    """A unit's calls by their (start, end) in 0-based (line, code-point column) positions."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.by_span: dict[tuple[Pos, Pos], ast.Call] | None = None
        self.tree = tree = _parse_context(text)  # a script is its own context: parsed and walked once for the seed too
        if tree is None:
            return
        self.by_span = {}
        for node in _context_nodes(text):
            if isinstance(node, ast.Call):
                self.by_span.setdefault(self.span(node), node)

    def pos(self, line: int, byte_column: int) -> Pos:
        text = self.lines[line - 1]
        if text.isascii():
            return line - 1, byte_column
        return line - 1, len(text.encode("utf-8")[:byte_column].decode("utf-8", errors="ignore"))

    def span(self, node: ast.expr | ast.keyword) -> tuple[Pos, Pos]:
        assert node.end_lineno is not None and node.end_col_offset is not None
        return self.pos(node.lineno, node.col_offset), self.pos(node.end_lineno, node.end_col_offset)

    def between(self, start: Pos, end: Pos) -> str:
        if start[0] == end[0]:
            return self.lines[start[0]][start[1] : end[1]]
        return "\n".join(
            [self.lines[start[0]][start[1] :], *self.lines[start[0] + 1 : end[0]], self.lines[end[0]][: end[1]]]
        )


def fast_fix(calls: Calls, context: str, rule: str, start: Pos, end: Pos) -> Proposal | _Undecided | None:
    """`codemods.fix_703`'s answer for the call at (start, end), or UNDECIDED."""
    if rule != "MLD703" or calls.by_span is None:
        return UNDECIDED
    call = calls.by_span.get((start, end))
    if call is None:
        return UNDECIDED
    if any(k.arg == "random_state" for k in call.keywords):
        return None
    if any(isinstance(a, ast.GeneratorExp) for a in call.args):
        return UNDECIDED  # a lone generator argument shares the call's parentheses
    seed = _context_seed(context) or DEFAULT_SEED
    text = f"random_state={seed}"
    close = (end[0], end[1] - 1)
    if close[1] < 0 or calls.lines[close[0]][close[1] : end[1]] != ")":
        return UNDECIDED
    args: list[ast.expr | ast.keyword] = [*call.args, *call.keywords]
    if not args:
        inside = calls.between(calls.span(call.func)[1], close)
        if inside.strip(" \t\r\n") != "(" or "\\" in inside:
            return UNDECIDED
        return Proposal("unsafe", f"Pass `random_state={seed}`", (RawEdit(close, close, text),))
    last = max(args, key=lambda a: (a.lineno, a.col_offset))
    if isinstance(last, ast.keyword) and last.arg is None:
        return None  # after `**kwargs` a repeated key would fail at run time
    first, after_last = calls.span(last)
    tail = calls.between(after_last, close)
    if any(c not in " \t\r\n," for c in tail) or tail.count(",") > 1:
        return UNDECIDED  # a comment, a parenthesised argument, a continuation: LibCST decides
    edit = RawEdit(after_last, after_last, f", {text}")
    if "," in tail and "\n" in tail[tail.index(",") :]:
        # one argument a line, with a trailing comma: add ours the same way
        line = calls.lines[first[0]]
        indent = line[: len(line) - len(line.lstrip())]
        rest = calls.lines[after_last[0]][after_last[1] :]
        if rest.lstrip().startswith(",") and line.strip().endswith(",") and first[0] == after_last[0]:
            at = (after_last[0], after_last[1] + rest.index(",") + 1)
            edit = RawEdit(at, at, f"\n{indent}{text},")
    return Proposal("unsafe", f"Pass `random_state={seed}`", (edit,))
