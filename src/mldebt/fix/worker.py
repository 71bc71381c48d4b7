"""Runs the codemods in worker processes: a file that kills LibCST costs its own fixes, not the run.

LibCST's native parser dies with SIGSEGV on expressions nested about 2,000 deep, and its visitors
and code generation raise RecursionError from about 200 nested lists. So a unit is screened first
(bracket and block nesting, line width, size) and parsed in a worker process; a worker's death is
answered by re-running the unfinished units one at a time, each crash costing one unit.
"""

from __future__ import annotations

import ast
import io
import signal
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mldebt.fix.cache import ProposalCache, key
from mldebt.fix.proposal import TEXT_ONLY, Proposal

if TYPE_CHECKING:  # imported when a pool is started (20 ms)
    from concurrent.futures import Future, ProcessPoolExecutor

MAX_NESTING = 60  # brackets and indented blocks; LibCST recursion trouble starts near 200
MAX_LINE = 20_000  # characters on one line (minified or generated code)
MAX_CHARS = 4_000_000

CRASHED = "the fixer's parser crashed on this file (worker process died)"


@dataclass(frozen=True, slots=True)
class Unit:
    """One source to fix (a file, or one notebook cell) and the findings in it."""

    text: str
    context: str  # the whole file's code: imports, seeds and names of the other cells
    # (rule, start, end, message, evidence lines in this unit), 0-based
    targets: tuple[tuple[str, tuple[int, int], tuple[int, int], str, tuple[int, ...]], ...]


Outcome = tuple[tuple["Proposal | None", ...], str]  # (one proposal or None per target, error message or "")


def screen(text: str) -> str:
    """Why `text` must not go to LibCST, or "" when it may."""
    if len(text) > MAX_CHARS:
        return f"too large to fix ({len(text)} characters)"
    if any(len(line) > MAX_LINE for line in text.split("\n")):
        return f"a line is longer than {MAX_LINE} characters"
    depth = 0
    indents = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.OP and tok.string in "([{":
                depth += 1
                if depth > MAX_NESTING:
                    return f"nested more than {MAX_NESTING} brackets deep"
            elif tok.type == tokenize.OP and tok.string in ")]}":
                depth -= 1
            elif tok.type == tokenize.INDENT:
                indents += 1
                if indents > MAX_NESTING:
                    return f"blocks nested more than {MAX_NESTING} deep"
            elif tok.type == tokenize.DEDENT:
                indents -= 1
    except (tokenize.TokenError, SyntaxError, IndentationError) as exc:
        return f"cannot tokenize: {exc}"
    return ""


def surely_screened(text: str, tree: ast.Module) -> bool:
    """True only when `screen(text)` is "" (False: ask `screen`), judged from `tree`, the
    parse of `text`, and character counts, at a tenth of the cost of tokenizing.

    Valid code tokenizes; its brackets close within each logical line, and a logical line lies
    within its statement's lines (a compound statement's header: from its first decorator to
    its body's first line), so a statement's count of bracket characters there (strings and
    comments included) bounds the bracket depth. Each indented block is indented one column
    more than the one around it at least, so the widest indentation (tabs to multiples of 8,
    as `tokenize` counts them) bounds the block depth."""
    if len(text) > MAX_CHARS or "\f" in text or "\r" in text:
        return False
    lines = text.split("\n")
    opens = [0]
    for line in lines:
        if len(line) > MAX_LINE:
            return False
        column = 0
        for c in line:
            if c == " ":
                column += 1
            elif c == "\t":
                column = (column // 8 + 1) * 8
            else:
                break
        if column > MAX_NESTING:
            return False
        opens.append(opens[-1] + line.count("(") + line.count("[") + line.count("{"))
    last_line = len(lines)

    def fits(first: int, last: int) -> bool:  # 1-based lines, inclusive
        return opens[min(last, last_line)] - opens[max(first, 1) - 1] <= MAX_NESTING

    stack: list[ast.stmt] = list(tree.body)
    while stack:
        stmt = stack.pop()
        first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])
        body: list[ast.stmt] = getattr(stmt, "body", [])
        if isinstance(stmt, ast.Match):
            for case in stmt.cases:
                if not fits(case.pattern.lineno, case.body[0].lineno):
                    return False
                stack.extend(case.body)
            last = stmt.cases[0].pattern.lineno
        else:
            last = body[0].lineno if body else (stmt.end_lineno or stmt.lineno)
        if not fits(first, last):
            return False
        for handler in getattr(stmt, "handlers", ()):
            if not fits(handler.lineno, handler.body[0].lineno):
                return False
            stack.extend(handler.body)
        stack.extend(body)
        stack.extend(getattr(stmt, "orelse", ()))
        stack.extend(getattr(stmt, "finalbody", ()))
    return True


def _init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_unit(unit: Unit) -> Outcome:
    """Proposals for each target (worker side). Never raises."""
    from mldebt.fix.codemods import FIXERS, TEXT_ONLY, Source, Target

    reason = "" if all(rule in TEXT_ONLY for rule, *_ in unit.targets) else screen(unit.text)
    if reason:
        return tuple(None for _ in unit.targets), reason
    src = Source(unit.text, unit.context)
    out: list[Proposal | None] = []
    error = ""
    for rule, start, end, message, related in unit.targets:
        fixer = FIXERS.get(rule)
        if fixer is None:
            out.append(None)
            continue
        try:
            out.append(fixer(src, Target(rule, start, end, message, related)))
        except RecursionError:
            out.append(None)
            error = "too deeply nested for the fixer"
        except Exception as exc:  # a parse error, or a fixer's bug: no fix, the run goes on
            out.append(None)
            error = error or f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return tuple(out), error


def _text_only(unit: Unit) -> bool:
    return all(rule in TEXT_ONLY for rule, *_ in unit.targets)


def _fast(unit: Unit) -> Outcome | None:
    """The unit's outcome from `fast.py` (no LibCST, no worker), or None when LibCST must decide."""
    from mldebt.fix.fast import FAST_RULES, UNDECIDED, Calls, fast_fix

    if not all(rule in FAST_RULES for rule, *_ in unit.targets):
        return None
    try:
        calls = Calls(unit.text) if len(unit.text) <= MAX_CHARS else None
    except RecursionError:
        calls = None
    if calls is None or calls.tree is None or not surely_screened(unit.text, calls.tree):
        reason = screen(unit.text)  # as `run_unit`: what LibCST would not be given gets no fix
        if reason:
            return tuple(None for _ in unit.targets), reason
    if calls is None:
        return None
    try:
        out: list[Proposal | None] = []
        for rule, start, end, _message, _related in unit.targets:
            answer = fast_fix(calls, unit.context, rule, start, end)
            if answer is UNDECIDED:
                return None
            assert answer is None or isinstance(answer, Proposal)
            out.append(answer)
    except RecursionError:
        return None
    return tuple(out), ""


def run_units(units: Sequence[Unit], jobs: int = 1, cache: ProposalCache | None = None) -> list[Outcome]:
    """Outcomes in unit order; units needing LibCST run in worker processes (or come from `cache`)."""
    outcomes: list[Outcome | None] = [None] * len(units)
    parsed: list[int] = []
    keys: dict[int, str] = {}
    for i, unit in enumerate(units):
        if cache is not None:  # text-only units too: computing them imports the fixers (and LibCST)
            keys[i] = key(unit.text, unit.context, unit.targets)
            hit = cache.get(keys[i], len(unit.targets))
            if hit is not None:
                outcomes[i] = (hit, "")
                continue
        fast = None if _text_only(unit) else _fast(unit)
        if fast is not None:
            outcomes[i] = fast
            if cache is not None and not fast[1]:
                cache.put(keys[i], fast[0])
            continue
        if _text_only(unit):
            own = outcomes[i] = run_unit(unit)
            if cache is not None and not own[1]:
                cache.put(keys[i], own[0])
            continue
        parsed.append(i)
    if parsed:
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        unfinished: list[int] = []
        try:
            with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(parsed))), initializer=_init) as pool:
                futures: list[tuple[int, Future[Outcome] | None]] = []
                for i in parsed:
                    try:
                        futures.append((i, pool.submit(run_unit, units[i])))
                    except BrokenProcessPool:
                        futures.append((i, None))
                for i, future in futures:
                    try:
                        if future is None:
                            raise BrokenProcessPool
                        outcomes[i] = future.result()
                    except BrokenProcessPool:
                        unfinished.append(i)
        except (OSError, NotImplementedError, ImportError):  # no process support: run here
            for i in parsed:
                outcomes[i] = run_unit(units[i])
        _isolate(units, unfinished, outcomes)
        if cache is not None:
            for i in parsed:
                done = outcomes[i]
                if done is not None and not done[1]:
                    cache.put(keys[i], done[0])
    return [o if o is not None else (tuple(None for _ in units[i].targets), CRASHED) for i, o in enumerate(outcomes)]


def _isolate(units: Sequence[Unit], indices: list[int], outcomes: list[Outcome | None]) -> None:
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    pool: ProcessPoolExecutor | None = None
    try:
        for i in indices:
            if pool is None:
                pool = ProcessPoolExecutor(max_workers=1, initializer=_init)
            try:
                outcomes[i] = pool.submit(run_unit, units[i]).result()
            except BrokenProcessPool:
                outcomes[i] = (tuple(None for _ in units[i].targets), CRASHED)
                pool.shutdown(wait=True)
                pool = None
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
