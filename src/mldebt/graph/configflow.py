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
parameter not summarised, a bound reached) stays what it was before: a read of everything below
the key passed.

`*args` and `**kwargs` are summarised like configuration parameters, their keys being positions
and keyword names. A pass reaches the callee through `Link`s: `build(cfg)` into `def
build(*args)` selects the item "0" of `args`; `Net(*args)` hands item j to the j-th positional
parameter; `Trainer(**cfg["trainer"])` binds each parameter of `Trainer.__init__` to the key it
names (a read, or a walk into its own summary), required (`REQUIRED`) when it has no default and
the call fills it no other way, and the other keys to its `**kwargs`. A `**kwargs` or `*args`
that is not summarised (unused, changed in the function, or too large) takes the whole mapping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from mldebt.parse.facts import UNKNOWN, Function, KeyUse, Span, Value

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
# the key of a parameter that a call unpacking a mapping (`**cfg`) may leave out (it has a
# default, or the call may fill it otherwise), or must not (REQUIRED: else the call raises
# TypeError). Neither is a literal: MLD503 compares no parameter default.
OPTIONAL = Value("unknown", "parameter default")
REQUIRED = Value("unknown", "required parameter")


@dataclass(frozen=True, slots=True, order=True)
class Link:
    """A pass reaches the summarised parameter `to`: its keys that start with `sel` are the keys
    `pre` + the rest of what was passed (`build(cfg)` into `def build(*args)`: `sel` ("0",);
    `Model(**kw)` into `def __init__(self, cfg)`: `pre` ("cfg",)). A key of `to` shorter than
    `sel` (`len(args)`) uses all of what was passed; another one (`args[1]`) none of it."""

    to: Param
    sel: tuple[str, ...] = ()
    pre: tuple[str, ...] = ()

    def rebase(self, key: tuple[str, ...]) -> tuple[str, ...] | None:
        n = len(self.sel)
        if key[:n] == self.sel:
            return (*self.pre, *key[n:])
        return self.pre if self.sel[: len(key)] == key else None


Reached = tuple[list[Link], list[tuple[str, KeyUse]]]  # links, and uses made by the binding itself


class ConfigFlow:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.summaries: dict[Param, list[KeyUse]] = {}
        for path, facts in project.files.items():
            for u in facts.key_uses:
                if u.source == "param" and u.file.keys:
                    self.summaries.setdefault(Param(path, u.file.keys[0], u.file.text), []).append(u)
        self._closure: dict[Param, Reads] = {}
        self._edges: dict[Param, list[tuple[tuple[str, ...], Link]]] = {}
        self._receivers: dict[Param, tuple[str, Span]] | None = None

    # ------------------------------------------------------------ call sites

    def links(self, path: str, use: KeyUse) -> Reached | None:
        """What a "pass" in file `path` reaches: links to the callee's summarised parameters, and
        the uses the binding makes by itself (keys relative to what is passed); None when it is
        not followed (then what is passed is used whole)."""
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
        offset = 1 if fn.params and fn.params[0] in ("self", "cls") and "." in fn.qualname else 0
        star = fn.params.index(fn.star) if fn.star else None
        positional = fn.params[:star] if star is not None else tuple(p for p in fn.params if p != fn.dstar)

        def param(name: str) -> Param | None:
            node = Param(ref.path, ref.qualname, name)
            return node if name and node in self.summaries else None

        if slot == "**":
            return self._keywords(ref.path, fn, offset, positional, use.default.keys[1:], param)
        if slot.startswith("*") and slot[1:].isdigit():
            return self._positional(ref.path, fn, offset + int(slot[1:]), positional, param)
        if slot.isdigit():
            index = int(slot) + offset
            if index < len(positional):
                node = param(positional[index])
                return ([Link(node)], []) if node is not None else None
            node = param(fn.star)  # `build(cfg)` into `def build(*args)`: its item
            return ([Link(node, (str(index - len(positional)),))], []) if node is not None else None
        if slot in fn.params and slot not in (fn.star, fn.dstar):
            node = param(slot)
            return ([Link(node)], []) if node is not None else None
        node = param(fn.dstar)  # `build(cfg=params)` into `def build(**kwargs)`: its item
        return ([Link(node, (slot,))], []) if node is not None else None

    def _keywords(
        self,
        where: str,
        fn: Function,
        offset: int,
        positional: tuple[str, ...],
        info: tuple[str, ...],
        param: Callable[[str], Param | None],
    ) -> Reached:
        """`Trainer(**cfg["trainer"])`: each key fills the parameter it names (a parameter without a
        default that nothing else fills is required), the others go to `**kwargs`."""
        npos = info[0] if info else "*"
        given = set(info[1:])
        filled = set(positional[offset : offset + int(npos)]) if npos.isdigit() else set()
        links: list[Link] = []
        own: list[tuple[str, KeyUse]] = []
        defaults = {name for name, _ in fn.defaults}
        for name in fn.params[offset:]:
            if name in (fn.star, fn.dstar) or name in given or name in filled:
                continue
            optional = name in defaults or "**" in given or (npos == "*" and name in positional)
            node = param(name)
            if node is not None:
                links.append(Link(node, (), (name,)))
            op = "walk" if node is not None else "read"
            own.append(
                (where, KeyUse("param", op, (name,), fn.span, UNKNOWN, fn.qualname, OPTIONAL if optional else REQUIRED))
            )
        if fn.dstar:
            node = param(fn.dstar)
            if node is not None:
                links.append(Link(node))
            else:  # an unsummarised (or unused) `**kwargs` may take any key: all are used
                own.append((where, KeyUse("param", "read", (), fn.span, UNKNOWN, fn.qualname)))
        return links, own

    def _positional(
        self, where: str, fn: Function, start: int, positional: tuple[str, ...], param: Callable[[str], Param | None]
    ) -> Reached:
        """`Model(*args)`: item j fills the j-th positional parameter from `start` on, and the rest
        go to the callee's `*args`."""
        links: list[Link] = []
        own: list[tuple[str, KeyUse]] = []
        for m in range(start, len(positional)):
            j = str(m - start)
            node = param(positional[m])
            if node is not None:
                links.append(Link(node, (), (j,)))
            else:
                own.append((where, KeyUse("param", "read", (j,), fn.span, UNKNOWN, fn.qualname, OPTIONAL)))
        if fn.star:
            node = param(fn.star)
            if node is not None and start == len(positional):
                links.append(Link(node))
            else:  # items shifted into another `*args`, or one not summarised: all are used
                own.append((where, KeyUse("param", "read", (), fn.span, UNKNOWN, fn.qualname)))
        return links, own

    def expand(self, path: str, use: KeyUse) -> Iterator[tuple[str, KeyUse]]:
        """A caller's pass of a configuration: the reads it makes in the callees (source, file and
        key prefix of the caller's use), or a read of the whole sub-mapping when not followed."""
        found = self.links(path, use)
        if found is None:
            yield path, replace(use, op="read", default=UNKNOWN)
            return
        links, own = found
        items = set(own)
        for link in links:
            for where, r in self.closure(link.to):
                key = link.rebase(r.key)
                if key is not None:
                    items.add((where, replace(r, key=key)))
        for where, r in sorted(items, key=_order):
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
        edges: dict[Param, list[tuple[tuple[str, ...], Link]]] = {}
        i = 0
        while i < len(order):
            node = order[i]
            i += 1
            own: set[tuple[str, KeyUse]] = set()
            out: list[tuple[tuple[str, ...], Link]] = []
            for u in self.summaries.get(node, ()):
                if u.op == "pass":
                    found = self.links(node.path, u)
                    if found is not None and (len(order) < _MAX_NODES or all(k.to in seen for k in found[0])):
                        for link in found[0]:
                            out.append((u.key, link))
                            if link.to not in seen:
                                seen.add(link.to)
                                order.append(link.to)
                        own.update((w, replace(r, key=(*u.key, *r.key))) for w, r in found[1])
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
                for prefix, link in edges[n]:
                    for where, u in tuple(result[link.to]):
                        rebased = link.rebase(u.key)
                        if rebased is None:
                            continue
                        key = (*prefix, *rebased)
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
            for _, link in self._edges.get(node, ()):
                if link.to not in seen:
                    seen.add(link.to)
                    order.append(link.to)
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
                    reached = self.links(path, u)
                    for link in reached[0] if reached is not None else ():
                        for p in self.reached(link.to):
                            found.setdefault(p, (path, u.span))
            self._receivers = found
        return self._receivers


def _order(item: tuple[str, KeyUse]) -> tuple[str, int, int, str, tuple[str, ...], str, str, str]:
    where, u = item
    return (where, u.span.line, u.span.column, u.op, u.key, u.function, u.default.kind, u.default.text)
