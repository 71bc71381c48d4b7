"""The one typed face of NetworkX in mldebt: the project graph.

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
from typing import Any

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
    def __init__(self) -> None:
        self._g: nx.MultiDiGraph = nx.MultiDiGraph()

    # ------------------------------------------------------------- building

    def add_node(self, node: str, kind: str, label: str, site: Site | None = None, **attrs: Any) -> str:
        if node not in self._g:
            self._g.add_node(node, kind=kind, label=label, site=site, **attrs)
        else:
            data = self._g.nodes[node]
            if data.get("site") is None and site is not None:
                data["site"] = site
            for k, v in attrs.items():
                data.setdefault(k, v)
        return node

    def add_edge(self, source: str, target: str, kind: str, site: Site | None = None, **attrs: Any) -> None:
        assert kind in EDGE_KINDS, kind
        for end in (source, target):
            if end not in self._g:  # an edge never invents a node: that would be a builder bug
                raise KeyError(f"edge {kind} {source} -> {target}: unknown node {end}")
        if self._g.has_edge(source, target, key=kind):
            data = self._g.edges[source, target, kind]
            if site is not None and site not in data["sites"]:
                data["sites"] = (*data["sites"], site)
            return
        self._g.add_edge(source, target, key=kind, sites=(site,) if site else (), **attrs)

    # ------------------------------------------------------------- queries

    def __contains__(self, node: str) -> bool:
        return node in self._g

    def __len__(self) -> int:
        return int(self._g.number_of_nodes())

    def node(self, node: str) -> dict[str, Any]:
        return dict(self._g.nodes[node])

    def nodes(self, kind: str | None = None) -> list[str]:
        return sorted(n for n, d in self._g.nodes(data=True) if kind is None or d["kind"] == kind)

    def kind(self, node: str) -> str:
        return str(self._g.nodes[node]["kind"])

    def label(self, node: str) -> str:
        return str(self._g.nodes[node]["label"])

    def site(self, node: str) -> Site | None:
        site = self._g.nodes[node].get("site")
        return site if isinstance(site, Site) else None

    def _edge(self, u: str, v: str, k: str, d: dict[str, Any]) -> Edge:
        return Edge(u, v, k, tuple(d.get("sites", ())), {x: y for x, y in d.items() if x != "sites"})

    def out_edges(self, node: str, kinds: Iterable[str] | None = None) -> list[Edge]:
        wanted = set(kinds) if kinds is not None else None
        out = [
            self._edge(u, v, k, d)
            for u, v, k, d in self._g.out_edges(node, keys=True, data=True)
            if wanted is None or k in wanted
        ]
        return sorted(out, key=lambda e: (e.kind, e.target))

    def in_edges(self, node: str, kinds: Iterable[str] | None = None) -> list[Edge]:
        wanted = set(kinds) if kinds is not None else None
        out = [
            self._edge(u, v, k, d)
            for u, v, k, d in self._g.in_edges(node, keys=True, data=True)
            if wanted is None or k in wanted
        ]
        return sorted(out, key=lambda e: (e.kind, e.source))

    def edges(self, kinds: Iterable[str] | None = None) -> Iterator[Edge]:
        wanted = set(kinds) if kinds is not None else None
        rows = sorted(
            ((u, v, k, d) for u, v, k, d in self._g.edges(keys=True, data=True) if wanted is None or k in wanted),
            key=lambda r: (r[0], r[1], r[2]),
        )
        for u, v, k, d in rows:
            yield self._edge(u, v, k, d)

    def edge(self, source: str, target: str, kind: str) -> Edge | None:
        if not self._g.has_edge(source, target, key=kind):
            return None
        return self._edge(source, target, kind, self._g.edges[source, target, kind])

    def cycles(self, kinds: Iterable[str], through_kind: str, limit: int = 200) -> list[list[str]]:
        """Simple cycles of the subgraph of `kinds` edges that pass through a `through_kind` node.

        Only strongly connected components are searched and the count is bounded: no unbounded
        path enumeration on big graphs.
        """
        wanted = set(kinds)
        sub = nx.DiGraph()
        for u, v, k in self._g.edges(keys=True):
            if k in wanted:
                sub.add_edge(u, v)
        found: list[list[str]] = []
        for comp in sorted(nx.strongly_connected_components(sub), key=lambda c: sorted(c)[0]):
            if len(comp) < 2 or not any(self.kind(n) == through_kind for n in comp):
                continue
            for cycle in nx.simple_cycles(sub.subgraph(comp), length_bound=12):
                if any(self.kind(n) == through_kind for n in cycle):
                    found.append(_rotate(cycle))
                    if len(found) >= limit:
                        return found
        return found

    # ------------------------------------------------------------- export

    def to_networkx(self) -> nx.MultiDiGraph:
        """A copy with plain attributes (for export)."""
        g = nx.MultiDiGraph()
        for n in self.nodes():
            d = self._g.nodes[n]
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


def _rotate(cycle: list[str]) -> list[str]:
    """Start a cycle at its smallest node so the same cycle always prints the same way."""
    i = cycle.index(min(cycle))
    return cycle[i:] + cycle[:i]
