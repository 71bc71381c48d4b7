"""Configuration across functions, classes and modules: summaries applied at call sites.

The parse phase summarises what each function does with each parameter named like a
configuration (`KeyUse` source "param", see parse/detectors/config_keys.py): the key paths it
reads from it, the sub-mappings it passes on to which callee parameter (op "pass"), what it keeps
in `self.attr` and reads in other methods (already folded into the parameter's summary there).
A configuration passed by a caller (`Trainer(params["optim"])`, `build_model(cfg.model)`) is a
"pass" of a real source ("config", "hydra", "argparse"); here it is followed into the callee's
summary, and on through the callees that summary passes to, to a fixed point with bounds (nodes,
rounds, key length). Context-sensitive: each call site gets its own reads, under its own key
prefix and its own config file. A pass this phase cannot follow (a callee outside the project, a
parameter not summarised, `*args`, a bound reached) stays what it was before: a read of
everything below the key passed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from mldebt.parse.facts import UNKNOWN, KeyUse, Span

if TYPE_CHECKING:
    from mldebt.graph.project import Project

_MAX_NODES = 64  # summarised parameters reached from one call site
_MAX_ROUNDS = 16
_MAX_KEY = 16  # key path length (a recursive helper passing `cfg["child"]` to itself)
FOLLOWED_SOURCES = ("config", "hydra", "argparse")


@dataclass(frozen=True, slots=True, order=True)
class Param:
    """A summarised parameter: the function (by file and qualname) and the parameter's name."""

    path: str
    qualname: str
    name: str


Reads = frozenset[tuple[str, KeyUse]]  # (file the use is in, the use with keys relative to a Param)


class ConfigFlow:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.summaries: dict[Param, list[KeyUse]] = {}
        for path, facts in project.files.items():
            for u in facts.key_uses:
                if u.source == "param" and u.file.keys:
                    self.summaries.setdefault(Param(path, u.file.keys[0], u.file.text), []).append(u)
        self._closure: dict[Param, Reads] = {}
        self._edges: dict[Param, list[tuple[tuple[str, ...], Param]]] = {}
        self._receivers: dict[Param, tuple[str, Span]] | None = None

    # ------------------------------------------------------------ call sites

    def target(self, path: str, use: KeyUse) -> Param | None:
        """The summarised parameter a "pass" in file `path` reaches, None when not followed."""
        facts = self.project.files.get(path)
        if facts is None or use.op != "pass" or use.default.kind != "arg" or not use.default.keys:
            return None
        callee, slot = use.default.text, use.default.keys[0]
        ref = self.project.resolve_callee(facts, use.function, callee)
        if ref is None:  # a class: its constructor
            ref = self.project.resolve_callee(facts, use.function, f"{callee}.__init__")
        fn = self.project.function(ref) if ref is not None else None
        if ref is None or fn is None:
            return None
        if slot.isdigit():
            offset = 1 if fn.params and fn.params[0] in ("self", "cls") and "." in fn.qualname else 0
            index = int(slot) + offset
            name = fn.params[index] if index < len(fn.params) else ""
        else:
            name = slot if slot in fn.params else ""
        node = Param(ref.path, ref.qualname, name)
        return node if name and node in self.summaries else None

    def expand(self, path: str, use: KeyUse) -> Iterator[tuple[str, KeyUse]]:
        """A caller's pass of a configuration: the reads it makes in the callees (source, file and
        key prefix of the caller's use), or a read of the whole sub-mapping when not followed."""
        node = self.target(path, use)
        if node is None:
            yield path, replace(use, op="read", default=UNKNOWN)
            return
        for where, r in sorted(self.closure(node), key=_order):
            yield where, KeyUse(use.source, r.op, (*use.key, *r.key), r.span, use.file, r.function, r.default)

    # ------------------------------------------------------------ summaries

    def closure(self, start: Param) -> Reads:
        """Everything `start`'s parameter reads, through the callees it passes sub-mappings to."""
        done = self._closure.get(start)
        if done is not None:
            return done
        order = [start]
        seen = {start}
        base: dict[Param, set[tuple[str, KeyUse]]] = {}
        edges: dict[Param, list[tuple[tuple[str, ...], Param]]] = {}
        i = 0
        while i < len(order):
            node = order[i]
            i += 1
            own: set[tuple[str, KeyUse]] = set()
            out: list[tuple[tuple[str, ...], Param]] = []
            for u in self.summaries.get(node, ()):
                if u.op == "pass":
                    t = self.target(node.path, u)
                    if t is not None and (t in seen or len(order) < _MAX_NODES):
                        out.append((u.key, t))
                        if t not in seen:
                            seen.add(t)
                            order.append(t)
                        continue
                    own.add((node.path, replace(u, op="read", default=UNKNOWN)))
                elif u.op == "return":  # handed back to a caller: not followed, used whole
                    own.add((node.path, replace(u, op="read")))
                else:
                    own.add((node.path, u))
            base[node] = own
            edges[node] = out
        result = {n: set(base[n]) for n in order}
        for _ in range(_MAX_ROUNDS):
            changed = False
            for n in order:
                for prefix, t in edges[n]:
                    for where, u in tuple(result[t]):
                        key = (*prefix, *u.key)
                        item = (where, replace(u, key=key)) if len(key) <= _MAX_KEY else (where, replace(u, key=prefix))
                        if item not in result[n]:
                            result[n].add(item)
                            changed = True
            if not changed:
                break
        # each node's result depends only on the nodes it reaches, all of them in `order`
        for n in order:
            self._closure.setdefault(n, frozenset(result[n]))
            self._edges.setdefault(n, edges[n])
        return self._closure[start]

    def reached(self, start: Param) -> list[Param]:
        """Every summarised parameter a configuration passed to `start` reaches (itself first)."""
        self.closure(start)
        order, seen = [start], {start}
        for node in order:
            for _, t in self._edges.get(node, ()):
                if t not in seen:
                    seen.add(t)
                    order.append(t)
        return order

    # ------------------------------------------------------------ receivers

    def receivers(self) -> dict[Param, tuple[str, Span]]:
        """Summarised parameters that a real configuration reaches, each with the first call
        site (file, span) that passes it: the config system is visible there."""
        if self._receivers is None:
            found: dict[Param, tuple[str, Span]] = {}
            for path, facts in self.project.files.items():
                for u in facts.key_uses:
                    if u.op != "pass" or u.source not in FOLLOWED_SOURCES:
                        continue
                    node = self.target(path, u)
                    if node is None:
                        continue
                    for p in self.reached(node):
                        found.setdefault(p, (path, u.span))
            self._receivers = found
        return self._receivers


def _order(item: tuple[str, KeyUse]) -> tuple[str, int, int, str, tuple[str, ...]]:
    where, u = item
    return (where, u.span.line, u.span.column, u.op, u.key)
