"""File rules' detectors: functions over one file's `ast` tree that report smells.

A detector takes a `FileContext` and yields `Smell`s (a file rule's findings) and `KeyUse`s
(configuration keys, joined across files by the graph rules). Each area module lists its
detectors in `DETECTORS`; all of them share the file's one `ast` parse. A detector that raises
costs its own findings in that file, never the file's other facts (with MLDEBT_STRICT=1, as in
the tests, it raises).
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable, Iterable
from functools import lru_cache

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.facts import KeyUse, Smell, Summary

Detector = Callable[[FileContext], Iterable[Smell | KeyUse | Summary]]


@lru_cache(maxsize=1)
def detectors() -> tuple[Detector, ...]:
    # imported here, not at the top: the rules import `context`, and a run served from the
    # cache needs no detector
    from mldebt.parse.detectors import (
        antipatterns,
        configuration,
        datadeps,
        external,
        frameworks,
        habits,
        leakage,
        pandas_numpy,
        repro,
    )

    areas = (datadeps, antipatterns, habits, configuration, external, pandas_numpy, frameworks, leakage, repro)
    return tuple(d for area in areas for d in area.DETECTORS)


def run_detectors(
    rel: str, module: str, text: str, tree: ast.Module, cell_starts: tuple[int, ...] = ()
) -> tuple[tuple[Smell, ...], tuple[KeyUse, ...]]:
    smells, uses, _ = run_all(rel, module, text, tree, cell_starts)
    return smells, uses


def run_all(
    rel: str, module: str, text: str, tree: ast.Module, cell_starts: tuple[int, ...] = ()
) -> tuple[tuple[Smell, ...], tuple[KeyUse, ...], tuple[Summary, ...]]:
    """Smells, key uses and function summaries (what functions return, for the project phase)."""
    ctx = FileContext(rel, module, text, tree, notebook=rel.endswith(".ipynb"), cell_starts=cell_starts)
    smells: list[Smell] = []
    uses: list[KeyUse] = []
    summaries: list[Summary] = []
    strict = os.environ.get("MLDEBT_STRICT") == "1"
    for detect in detectors():
        try:
            found = list(detect(ctx))
        except Exception:
            if strict:
                raise
            continue
        for item in found:
            if isinstance(item, Smell):
                smells.append(item)
            elif isinstance(item, Summary):
                summaries.append(item)
            else:
                uses.append(item)
    smells.sort(key=lambda s: (s.span.line, s.span.column, s.rule, s.message))
    uses.sort(key=lambda u: (u.span.line, u.span.column, u.source, u.op, u.key))
    summaries.sort(key=lambda x: (x.function, x.span.line, x.span.column, x.kind))
    return tuple(smells), tuple(uses), tuple(summaries)
