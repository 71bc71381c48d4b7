"""MLD406 multiple-language: SQL, shell, R and other languages embedded in the data path (SQL
strings with joins and subqueries, shell-outs to R, Java, awk, sed pipelines, embedded R). SQL
is kept from `min-sql-lines` lines and `min-sql-clauses` joins, subqueries, unions or CTEs: a
one-line `SELECT * FROM t` is no glue."""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from mldebt.parse import apis
from mldebt.parse.detectors.context import FileContext, arg, is_test_path
from mldebt.parse.facts import Smell
from mldebt.parse.values import HOLE
from mldebt.rules.base import FileRule, data


class MultipleLanguage(FileRule):
    id = "MLD406"
    name = "multiple-language"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"min-sql-lines": (int, 5), "min-sql-clauses": (int, 2)}

    def accept(self, smell: Smell) -> bool:
        if data(smell, "kind") != "sql":
            return True
        return int(data(smell, "lines", "0")) >= int(self.options["min-sql-lines"]) and int(
            data(smell, "clauses", "0")
        ) >= int(self.options["min-sql-clauses"])


# detection ------------------------------------------------------------------------------

# Libraries whose presence puts a file in the data path.
_DATA_LIBS = (
    "pandas",
    "numpy",
    "polars",
    "pyspark",
    "dask",
    "sklearn",
    "torch",
    "tensorflow",
    "keras",
    "xgboost",
    "lightgbm",
    "catboost",
    "scipy",
    "datasets",
    "duckdb",
)


_SQL_CALLS: dict[str, tuple[int, str]] = {**apis.SQL_READS, **apis.SQL_TEXTS}
_SQL_METHODS = apis.SQL_METHODS
_SQL_START = re.compile(r"(?is)^\s*(\(\s*)?(select|with|insert|create|merge|replace)\b")
_LANGUAGES = {
    "rscript": "R",
    "r": "R",
    "java": "Java",
    "julia": "Julia",
    "matlab": "MATLAB",
    "octave": "Octave",
    "perl": "Perl",
    "ruby": "Ruby",
    "node": "JavaScript",
    "scala": "Scala",
    "awk": "awk",
    "gawk": "awk",
    "mawk": "awk",
    "sed": "sed",
    "gsed": "sed",
}
_TEXT_TOOLS = frozenset({"awk", "gawk", "sed", "cut", "sort", "uniq", "tr", "paste", "join", "grep", "jq"})


def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD406: SQL, shell and R code embedded in the data path."""
    if is_test_path(ctx.rel) or not ctx.imports_any(*_DATA_LIBS, "rpy2"):
        return
    for node in ctx.walk():
        if not isinstance(node, ast.Call):
            continue
        name = ctx.call_name(node) or ""
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if name in _SQL_CALLS or method in _SQL_METHODS:
            found = _sql(ctx, node, name)
            if found is not None:
                yield found
        elif name in apis.COMMAND_RUNNERS:
            found = _shell(ctx, node, name)
            if found is not None:
                yield found
        elif name in ("rpy2.robjects.r", "rpy2.robjects.r.__call__") and node.args:
            t = ctx.shown(node.args[0])
            if t is not None and len(t.text.strip()) > 0:
                lines = len([ln for ln in t.text.strip().splitlines() if ln.strip()])
                yield ctx.smell(
                    "MLD406",
                    node,
                    f"R code ({lines} line{'s' if lines != 1 else ''}) runs through `rpy2` from a Python string: "
                    "an embedded second language, outside the reach of R's and Python's tooling",
                    key=f"r|{t.text.strip()[:40]}",
                    confidence="medium",
                    data=(("kind", "r"), ("lines", str(lines))),
                )


def _sql(ctx: FileContext, node: ast.Call, name: str) -> Smell | None:
    if name in _SQL_CALLS:
        pos, kw = _SQL_CALLS[name]
        query = arg(node, pos, kw)
    else:
        query = node.args[0] if node.args and not isinstance(node.args[0], ast.Starred) else None
    t = ctx.read_text(node, query)
    if t is None:
        return None
    text = t.text.replace(HOLE, "?")
    if not _SQL_START.match(text):
        return None
    lines = len([ln for ln in text.strip().splitlines() if ln.strip()])
    joins = len(re.findall(r"(?i)\bjoin\b", text))
    selects = len(re.findall(r"(?i)\bselect\b", text))
    unions = len(re.findall(r"(?i)\b(union|intersect|except)\b", text))
    ctes = len(re.findall(r"(?is)\bas\s*\(\s*select\b", text)) if re.match(r"(?is)^\s*with\b", text) else 0
    nested = max(selects - 1 - unions - ctes, 0)
    parts = []
    if joins:
        parts.append(f"{joins} join{'s' if joins != 1 else ''}")
    if nested:
        parts.append(f"{nested} subquer{'ies' if nested != 1 else 'y'}")
    if unions:
        parts.append(f"{unions} union{'s' if unions != 1 else ''}")
    if ctes:
        parts.append("a CTE" if ctes == 1 else f"{ctes} CTEs")
    if not parts:
        return None
    api = name.rsplit(".", 1)[-1] if name in _SQL_CALLS else ctx.source(node.func)
    return ctx.smell(
        "MLD406",
        node,
        f"`{api}` runs a {lines}-line SQL query with {' and '.join(parts)}, built in a Python string: data "
        "logic in a second language that no test, linter or type checker of the project sees",
        key=f"sql|{' '.join(text.split())[:60]}",
        data=(("kind", "sql"), ("lines", str(lines)), ("clauses", str(joins + nested + unions + ctes))),
    )


def _command(ctx: FileContext, node: ast.Call) -> list[str] | None:
    """The command line as words, as far as the file shows it."""
    first = arg(node, 0, "args") or arg(node, 0, "command") or arg(node, 0, "cmd")
    if isinstance(first, (ast.List, ast.Tuple)):
        words: list[str] = []
        for e in first.elts:
            t = ctx.shown(e)
            words.append(t.text if t is not None else HOLE)
        return words if words and words[0] != HOLE else None
    t = ctx.shown(first)
    if t is None:
        return None
    return [t.text]


def _shell(ctx: FileContext, node: ast.Call, name: str) -> Smell | None:
    words = _command(ctx, node)
    if not words:
        return None
    if len(words) == 1:
        line = words[0]  # a shell command line
    else:
        program = _program(words[0])
        if program in ("sh", "bash", "zsh") and len(words) >= 3 and words[1] == "-c":
            line = words[2]
        else:
            return _language_smell(ctx, node, program, " ".join(words))
    stages = [s.strip() for s in re.split(r"(?<!\|)\|(?!\|)", line) if s.strip()]
    programs = []
    for stage in stages:
        try:
            parts = shlex.split(stage.replace(HOLE, "X"))
        except ValueError:
            parts = stage.split()
        while parts and "=" in parts[0] and not parts[0].startswith("-"):
            parts = parts[1:]  # VAR=value prefixes
        if parts:
            programs.append(_program(parts[0]))
    if not programs:
        return None
    if len(programs) >= 2 and any(p in _TEXT_TOOLS for p in programs):
        return ctx.smell(
            "MLD406",
            node,
            f"`{name}` runs a shell pipeline (`{_shorten(line)}`): data processed by "
            f"{', '.join(dict.fromkeys(p for p in programs if p in _TEXT_TOOLS))} in a string no Python tool checks",
            key=f"shell|{_shorten(line)}",
            confidence="medium",
            data=(("kind", "shell"),),
        )
    return _language_smell(ctx, node, programs[0], line)


def _language_smell(ctx: FileContext, node: ast.Call, program: str, line: str) -> Smell | None:
    language = _LANGUAGES.get(program.lower())
    if language is None:
        return None
    if language == "Java" and not re.search(r"(?i)\s-(jar|cp|classpath)\b|\.jar\b", line):
        return None  # `java -version` and friends
    if program == "r" and not re.search(r"\s(-f|--file|CMD|--vanilla|-e)\b", line):
        return None
    return ctx.smell(
        "MLD406",
        node,
        f"shells out to {language} (`{_shorten(line)}`) from the data path: a second language whose inputs "
        "and outputs are glued to Python through files and command lines",
        key=f"lang|{language}|{_shorten(line)}",
        confidence="medium",
        data=(("kind", "language"),),
    )


def _program(word: str) -> str:
    return word.replace(HOLE, "").rsplit("/", 1)[-1].lower().removesuffix(".exe")


def _shorten(text: str) -> str:
    text = " ".join(text.replace(HOLE, "{…}").split())
    return text if len(text) <= 60 else text[:57] + "..."
