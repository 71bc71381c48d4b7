"""Source positions from CPython's `ast`, for the LibCST nodes the extractor records.

LibCST's PositionProvider re-generates the whole module's code to learn where each node is: it
costs about 2.3 times the parse, measured here. The extractor already parses every file with
`ast` (a syntax and nesting guard), and `ast` carries positions. Calls, function definitions
and imports are visited by LibCST in source order, so the k-th one LibCST visits is the k-th in
`ast` source order; each match is checked by name, and any disagreement makes the caller fall
back to PositionProvider for that file.
"""

from __future__ import annotations

import ast

from mldebt.parse.facts import Span


class PositionMismatch(Exception):
    """The two trees disagree: use LibCST's own positions for this file."""


def _sort_key(node: ast.expr | ast.stmt) -> tuple[int, int, int, int]:
    # outer nodes first when two start together (`f(x)(y)`, `a.b().c()`): pre-order
    return (node.lineno, node.col_offset, -(node.end_lineno or 0), -(node.end_col_offset or 0))


def _last_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


class AstPositions:
    def __init__(self, tree: ast.Module, text: str) -> None:
        self.lines = text.split("\n")
        calls: list[ast.Call] = []
        functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        imports: list[ast.Import | ast.ImportFrom] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                calls.append(node)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.append(node)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                imports.append(node)
        self.calls = sorted(calls, key=_sort_key)
        self.functions = sorted(functions, key=_sort_key)
        self.imports = sorted(imports, key=_sort_key)

    def _column(self, line: int, byte_col: int) -> int:
        """ast columns count UTF-8 bytes; ours count characters (1-based)."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if text.isascii():
            return byte_col + 1
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1

    def _span(self, node: ast.expr | ast.stmt) -> Span:
        end_line = node.end_lineno or node.lineno
        end_col = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        return Span(node.lineno, self._column(node.lineno, node.col_offset), end_line, self._column(end_line, end_col))

    def call(self, index: int, name: str) -> Span:
        if index >= len(self.calls) or _last_name(self.calls[index].func) != name:
            raise PositionMismatch(f"call {index}")
        return self._span(self.calls[index])

    def function(self, index: int, name: str) -> Span:
        if index >= len(self.functions) or self.functions[index].name != name:
            raise PositionMismatch(f"function {index}")
        return self._span(self.functions[index])

    def import_(self, index: int) -> Span:
        if index >= len(self.imports):
            raise PositionMismatch(f"import {index}")
        return self._span(self.imports[index])

    def check_counts(self, calls: int, functions: int, imports: int) -> None:
        if (calls, functions, imports) != (len(self.calls), len(self.functions), len(self.imports)):
            raise PositionMismatch("node counts differ")
