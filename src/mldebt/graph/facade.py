"""The project graph, and the one place mldebt touches NetworkX (cycles, export).

Node ids are strings `kind:qualifier`:
  module:<path>                    a Python file or notebook
  function:<path>::<qualname>      a function, or `<module>` for top-level code
  artifact:<name>                  a file, glob, URL, table or hub id the code reads or writes
  config:<file>::<dotted key>      a key a config file defines
  model:<path>::<scope>::<var>     a model object as one scope knows it

Edges live in a MultiDiGraph keyed by edge kind, and data-carrying edges point downstream, the
way data flows:
  module   -contains->     function
  module   -imports->      module      (importer -> imported)
  function -calls->        function    (caller -> callee)
  artifact -reads->        function    (read by that function)
  function -writes->       artifact
  artifact -matches->      artifact    (an exact path -> a glob that matches it)
  artifact -defines->      config      (config file -> key it defines)
  config   -configures->   function    (a key whose value named an artifact the function touches)
  artifact -trains-on->    model       (the model is fit on data read from the artifact)
  model    -predicts-into-> artifact   (the model's predictions are written there)
  model    -saves->        artifact    (the model object is written there)
  artifact -loads->        model       (the model object is read from there)
  model    -feeds->        model       (predictions or the object itself reach another model)
  artifact -derives->      artifact    (data written to the second was read from the first)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

EDGE_KINDS = (
    "contains",
    "imports",
    "calls",
    "reads",
    "writes",
    "matches",
    "defines",
    "configures",
    "trains-on",
    "predicts-into",
    "saves",
    "loads",
    "feeds",
    "derives",
)


@dataclass(frozen=True, slots=True, order=True)
class Site:
    """Where in the code an edge or node is evidenced."""

    path: str
    line: int
    column: int
    end_line: int = 0
    end_column: int = 0
    note: str = ""


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    kind: str
    sites: tuple[Site, ...]
    attrs: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


class ProjectGraph:
    """Nodes and keyed edges in plain dicts (insertion-ordered, like NetworkX's MultiDiGraph).

    NetworkX is imported only to enumerate cycles inside a strongly connected component that
    holds a node of the wanted kind, and for export: importing it costs more than a warm scan.
    """

    def __init__(self) -> None:
        self._nodes: dict[str, dict[str, Any]] = {}
        self._succ: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}  # u -> v -> kind -> data
        self._pred: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}  # v -> u -> kind -> data
        self._by_kind: dict[str, list[tuple[str, str]]] = {}  # kind -> (u, v) of each edge, as added

    # ------------------------------------------------------------- building

    def add_node(self, node: str, kind: str, label: str, site: Site | None = None, **attrs: Any) -> str:
        data = self._nodes.get(node)
        if data is None:
            self._nodes[node] = {"kind": kind, "label": label, "site": site, **attrs}
            self._succ[node] = {}
            self._pred[node] = {}
        else:
            if data.get("site") is None and site is not None:
                data["site"] = site
            for k, v in attrs.items():
                data.setdefault(k, v)
        return node

    def add_edge(self, source: str, target: str, kind: str, site: Site | None = None, **attrs: Any) -> None:
        assert kind in EDGE_KINDS, kind
        for end in (source, target):
            if end not in self._nodes:  # an edge never invents a node: that would be a builder bug
                raise KeyError(f"edge {kind} {source} -> {target}: unknown node {end}")
        keyed = self._succ[source].setdefault(target, {})
        data = keyed.get(kind)
        if data is not None:
            if site is not None and site not in data["sites"]:
                data["sites"] = (*data["sites"], site)
            return
        data = {"sites": (site,) if site else (), **attrs}
        keyed[kind] = data
        self._pred[target].setdefault(source, {})[kind] = data
        self._by_kind.setdefault(kind, []).append((source, target))

    # ------------------------------------------------------------- queries

    def __contains__(self, node: str) -> bool:
        return node in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def node(self, node: str) -> dict[str, Any]:
        return dict(self._nodes[node])

    def nodes(self, kind: str | None = None) -> list[str]:
        return sorted(n for n, d in self._nodes.items() if kind is None or d["kind"] == kind)

    def kind(self, node: str) -> str:
        return str(self._nodes[node]["kind"])

    def label(self, node: str) -> str:
        return str(self._nodes[node]["label"])

    def site(self, node: str) -> Site | None:
        site = self._nodes[node].get("site")
        return site if isinstance(site, Site) else None

    def _edge(self, u: str, v: str, k: str, d: dict[str, Any]) -> Edge:
        return Edge(u, v, k, tuple(d.get("sites", ())), {x: y for x, y in d.items() if x != "sites"})

    def out_edges(self, node: str, kinds: Iterable[str] | None = None) -> list[Edge]:
        wanted = set(kinds) if kinds is not None else None
        out = [
            self._edge(node, v, k, d)
            for v, keyed in self._succ[node].items()
            for k, d in keyed.items()
            if wanted is None or k in wanted
        ]
        return sorted(out, key=lambda e: (e.kind, e.target))

    def in_edges(self, node: str, kinds: Iterable[str] | None = None) -> list[Edge]:
        wanted = set(kinds) if kinds is not None else None
        out = [
            self._edge(u, node, k, d)
            for u, keyed in self._pred[node].items()
            for k, d in keyed.items()
            if wanted is None or k in wanted
        ]
        return sorted(out, key=lambda e: (e.kind, e.source))

    def _edge_rows(self) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
        for u, targets in self._succ.items():
            for v, keyed in targets.items():
                for k, d in keyed.items():
                    yield u, v, k, d

    def edges(self, kinds: Iterable[str] | None = None) -> Iterator[Edge]:
        if kinds is None:
            rows = list(self._edge_rows())
        else:  # only the edges of those kinds are read (a graph rule asks for one or two of 14)
            succ = self._succ
            rows = [(u, v, k, succ[u][v][k]) for k in set(kinds) for u, v in self._by_kind.get(k, ())]
        rows.sort(key=lambda r: (r[0], r[1], r[2]))
        for u, v, k, d in rows:
            yield self._edge(u, v, k, d)

    def edge(self, source: str, target: str, kind: str) -> Edge | None:
        data = self._succ.get(source, {}).get(target, {}).get(kind)
        if data is None:
            return None
        return self._edge(source, target, kind, data)

    def cycles(self, kinds: Iterable[str], through_kind: str, limit: int = 200) -> list[list[str]]:
        """Simple cycles of the subgraph of `kinds` edges that pass through a `through_kind` node.

        Only strongly connected components are searched and the count is bounded: no unbounded
        path enumeration on big graphs.
        """
        wanted = set(kinds)
        succ: dict[str, list[str]] = {}  # the components and rings found do not depend on its order
        for k in sorted(wanted):
            for u, v in self._by_kind.get(k, ()):
                succ.setdefault(u, [])
                succ.setdefault(v, [])
                if v not in succ[u]:
                    succ[u].append(v)
        components = [
            comp
            for comp in _strongly_connected(succ)
            if len(comp) >= 2 and any(self.kind(n) == through_kind for n in comp)
        ]
        if not components:
            return []
        sub = None
        found: list[list[str]] = []
        for comp in sorted(components, key=lambda c: sorted(c)[0]):
            ring = _ring(comp, succ)
            cycles: Iterable[list[str]]
            if ring is not None:  # its one simple cycle: no need for NetworkX (a model saved and loaded back)
                cycles = [ring] if len(ring) <= 12 else []
            else:
                import networkx as nx  # only here: a cycle through a model is rare, the import is not cheap

                if sub is None:
                    sub = nx.DiGraph()
                    for u, v, k, _ in self._edge_rows():  # in the order the graph was built, as before
                        if k in wanted:
                            sub.add_edge(u, v)
                cycles = nx.simple_cycles(sub.subgraph(comp), length_bound=12)
            for cycle in cycles:
                if any(self.kind(n) == through_kind for n in cycle):
                    found.append(_rotate(cycle))
                    if len(found) >= limit:
                        return found
        return found

    # ------------------------------------------------------------- export

    def to_networkx(self) -> nx.MultiDiGraph:
        """A copy with plain attributes (for export)."""
        import networkx as nx

        g = nx.MultiDiGraph()
        for n in self.nodes():
            d = self._nodes[n]
            site = d.get("site")
            attrs = {"kind": d["kind"], "label": d["label"]}
            if isinstance(site, Site):
                attrs.update(path=site.path, line=site.line)
            g.add_node(n, **attrs)
        for e in self.edges():
            attrs = {"kind": e.kind}
            if e.sites:
                attrs.update(path=e.sites[0].path, line=e.sites[0].line)
            for k, v in e.attrs.items():
                if isinstance(v, (str, int, float, bool)):
                    attrs[k] = v
            g.add_edge(e.source, e.target, key=e.kind, **attrs)
        return g


def _ring(comp: set[str], succ: dict[str, list[str]]) -> list[str] | None:
    """A strongly connected component whose every node has one successor in it (none itself)
    is a single cycle: its nodes in edge order, from its smallest. None for any other."""
    start = min(comp)
    order = [start]
    node = start
    while True:
        inside = [v for v in succ[node] if v in comp]
        if len(inside) != 1 or inside[0] == node:
            return None
        node = inside[0]
        if node == start:
            return order if len(order) == len(comp) else None
        if len(order) >= len(comp):
            return None
        order.append(node)


def _rotate(cycle: list[str]) -> list[str]:
    """Start a cycle at its smallest node so the same cycle always prints the same way."""
    i = cycle.index(min(cycle))
    return cycle[i:] + cycle[:i]


def _strongly_connected(succ: dict[str, list[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit on long chains)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[set[str]] = []
    counter = 0
    for start in succ:
        if start in index:
            continue
        work: list[tuple[str, int]] = [(start, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = succ[node]
            if i < len(targets):
                work.append((node, i + 1))
                nxt = targets[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                comp: set[str] = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.add(w)
                    if w == node:
                        break
                out.append(comp)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return out
