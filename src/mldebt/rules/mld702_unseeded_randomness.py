"""MLD702 unseeded-randomness: a program that draws from a global random generator it never
seeds."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.repro import (
    ALL,
    LIB_NAMES,
    NUMPY,
    RANDOM,
    Scan,
    is_program,
    line_of,
    numpy_seeded,
    scan_of,
    seeded,
)
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, data


class UnseededRandomness(FileRule):
    id = "MLD702"
    name = "unseeded-randomness"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"unseeded-training": (bool, False)}

    def accept(self, smell: Smell) -> bool:
        return data(smell, "explicit-or-seeded") != "no" or bool(self.options["unseeded-training"])


# detection ------------------------------------------------------------------------------


def detect(ctx: FileContext) -> Iterator[Smell]:
    """One per program that learns, at the first draw from a generator nothing seeds; never on
    a line MLD703 reports (a call given no `random_state`)."""
    scan = scan_of(ctx)
    if scan is None or not is_program(ctx, scan):
        return
    libs_seeded = seeded(scan)
    if ALL in libs_seeded or not (scan.learns or scan.missing_state):
        return
    state_lines = set() if numpy_seeded(scan) else {call.lineno for call, _ in scan.missing_state}
    unseeded = [d for d in scan.draws if d[1] not in libs_seeded and line_of(d[0]) not in state_lines]
    stray = _stray_draws(ctx, scan, [d[0] for d in unseeded])
    draws = sorted(
        (d for d in unseeded if id(d[0]) not in stray),
        key=lambda d: (line_of(d[0]), getattr(d[0], "col_offset", 0)),
    )
    if draws:
        first, _, what = draws[0]
        libs = sorted({LIB_NAMES[d[1]] for d in draws})
        others = [(n, f"also draws at random: {w}") for n, _, w in draws[1:6]]
        training = {id(n) for n in [*scan.torch_train, *scan.keras_fit]}
        explicit = any(id(d[0]) not in training for d in draws)
        # randomness only from the libraries' defaults (weight initialisation), in a file that
        # seeds nothing and passes no seed: reported only with the rule's option
        cares = explicit or scan.intent is not None or bool(scan.seeds)
        yield ctx.smell(
            "MLD702",
            first,
            f"{what}, and the program sets no seed for {' or '.join(libs)}: every run draws different numbers",
            key="|".join(libs),
            related=tuple(others),
            data=(("explicit-or-seeded", "yes" if cares else "no"),),
        )


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _stray_draws(ctx: FileContext, scan: Scan, draws: list[ast.AST]) -> set[int]:
    """Module-level NumPy/`random` draws whose values reach no learning call: noise for a plot
    in a notebook that also fits a model. Followed forward through module-level assignments;
    passing a value to any function of the file counts as reaching (we do not follow it)."""
    top = {id(d) for d in draws if isinstance(d, ast.Call) and ctx.scope_of(d) is ctx.tree}
    top &= {id(n) for n, lib, _ in scan.draws if lib in (NUMPY, RANDOM)}
    if not top:
        return set()
    top_learn = [c for c in scan.learn_calls if ctx.scope_of(c) is ctx.tree]
    if len(top_learn) != len(scan.learn_calls):
        return set()  # learning inside functions: values may reach it through calls we do not follow
    local = {f.name for f in ctx.functions}
    learn_ids = {id(c) for c in top_learn}
    taint: dict[str, set[int]] = {}  # name -> the draws its value may come from

    def sources(node: ast.AST) -> set[int]:
        out: set[int] = set()
        stack = [node]
        while stack:
            n = stack.pop()
            if id(n) in top:
                out.add(id(n))
            elif isinstance(n, ast.Name) and n.id in taint:
                out |= taint[n.id]
            if not isinstance(n, ast.Lambda):  # a lambda's names are its own parameters, mostly
                stack.extend(ast.iter_child_nodes(n))
        return out

    reached: set[int] = set()
    for stmt in ctx.walk_scope(ctx.tree):  # one forward pass over the module-level code
        if isinstance(stmt, ast.Call):
            if id(stmt) in learn_ids or (isinstance(stmt.func, ast.Name) and stmt.func.id in local):
                reached |= sources(stmt)
            continue
        value: ast.AST | None = None
        targets: list[ast.AST] = []
        if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            value = stmt.value
            targets = list(stmt.targets) if isinstance(stmt, ast.Assign) else [stmt.target]
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            value, targets = stmt.iter, [stmt.target]
        elif isinstance(stmt, ast.Expr) and id(stmt.value) in top and isinstance(stmt.value, ast.Call):
            value, targets = stmt.value, list(stmt.value.args)  # `np.random.shuffle(x)` draws into x
        if value is None:
            continue
        found = sources(value)
        if found:
            for t in targets:
                for name in _names(t):
                    taint.setdefault(name, set()).update(found)
    return top - reached
