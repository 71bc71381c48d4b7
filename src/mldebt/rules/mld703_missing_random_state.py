"""MLD703 missing-random-state: a random scikit-learn estimator, splitter or function called
without `random_state`."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.repro import (
    line_of,
    numpy_seeded,
    scan_of,
)
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, data


class MissingRandomState(FileRule):
    id = "MLD703"
    name = "missing-random-state"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"unseeded-files": (bool, False)}

    def accept(self, smell: Smell) -> bool:
        return data(smell, "seeds-elsewhere") == "yes" or bool(self.options["unseeded-files"])


# detection ------------------------------------------------------------------------------


def detect(ctx: FileContext) -> Iterator[Smell]:
    """Per call; a global numpy seed makes scikit-learn's default generator reproducible (the
    rule reports by default only where the file shows it wants reproducible runs: it passes a
    seed somewhere, or seeds another generator; `Smell.data` says which)."""
    scan = scan_of(ctx)
    if scan is None or numpy_seeded(scan):
        return
    intent: tuple[ast.AST, str] | None = None
    if scan.intent is not None:
        intent = (scan.intent, f"`{ctx.source(scan.intent)}` is passed here")
    elif scan.seeds:
        intent = (scan.seeds[0][0], f"`{ctx.source(scan.seeds[0][0])}` seeds another generator")
    for call, why in sorted(scan.missing_state, key=lambda c: (line_of(c[0]), c[0].col_offset)):
        if intent is not None:
            tail = f"while the file seeds elsewhere ({ctx.line_ref(intent[0], call)}) and sets no NumPy seed"
        else:
            tail = "and the file sets no seed at all"
        yield ctx.smell(
            "MLD703",
            call,
            f"`{ctx.source(call)}` {why} and is given no `random_state`, {tail}: every run gets a different result",
            key=ctx.source(call.func),
            related=(intent,) if intent is not None else (),
            data=(("seeds-elsewhere", "yes" if intent is not None else "no"),),
        )
