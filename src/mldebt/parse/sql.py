"""The tables a SQL query reads: one reader for the graph (query text -> table artifacts) and
the file rules (MLD202's unversioned-table check). Text only, no SQL parser: `FROM`/`JOIN`
targets, quotes stripped, minus common table expressions (`WITH recent AS (...)`) and
pseudo-tables (`dual`, `unnest`, `lateral`)."""

from __future__ import annotations

import re

__all__ = ["is_query", "query_tables"]

_QUERY = re.compile(r"(?is)^\s*\(?\s*(?:with|select)\b")
_TABLE = re.compile(r"(?is)\b(?:from|join)\s+([`\"\[]?[A-Za-z_][\w.$`\"\[\]]*)")
_SELECT = re.compile(r"(?i)\bselect\b")
_CTE = re.compile(r"(?is)(?:\bwith\s+(?:recursive\s+)?|,\s*)([A-Za-z_]\w*)\s*(?:\([^()]*\)\s*)?as\s*\(")
_LOOKBACK = 2000  # characters scanned back for an enclosing parenthesis (linear in the query)
_PSEUDO = frozenset({"dual", "unnest", "lateral"})


def is_query(text: str) -> bool:
    """A `SELECT` or `WITH` query, as opposed to a bare table name."""
    return bool(_QUERY.match(text))


def query_tables(text: str) -> tuple[str, ...]:
    """The tables a query reads, in order of first mention (`schema.table` kept whole)."""
    ctes = {m.lower() for m in _CTE.findall(text)}
    out: dict[str, None] = {}
    for m in _TABLE.finditer(text):
        if _in_function_call(text, m.start()):
            continue  # `extract(year FROM ts)`, `substring(s FROM 2)`, `trim(both FROM s)`
        raw = m.group(1)
        name = raw.strip('`"[]').replace("`", "").replace('"', "").replace("[", "").replace("]", "")
        if name and name.lower() not in _PSEUDO and name.lower() not in ctes:
            out.setdefault(name, None)
    return tuple(out)


def _in_function_call(text: str, at: int) -> bool:
    """Is offset `at` inside the parentheses of a call rather than of a subquery?"""
    depth = 0
    for i in range(at - 1, max(-1, at - _LOOKBACK), -1):
        c = text[i]
        if c == ")":
            depth += 1
        elif c == "(":
            if depth == 0:
                return not _SELECT.search(text, i, at)
            depth -= 1
    return False
