"""Readable pictures of the project graph: which part to draw, and DOT / Mermaid for it.

A `View` is a small, plain selection of the graph: by default the data and model flow (scripts
and functions, artifacts, models, and the config keys that feed them); containment, imports,
calls and config-file metadata only when asked for. A view may be focused on findings (only the
subgraph their evidence walks), highlights the nodes and edges findings involve, can cluster
nodes by file, and is cut down with a warning past what a renderer can draw (GitHub renders
Mermaid up to 50,000 characters and 500 edges).

Edges point the way the project graph's do (see facade.py): downstream, the way data flows.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from mldebt.graph.facade import EDGE_KINDS, ProjectGraph, Site
from mldebt.model import Finding, FlowEdge

# What a reader means by "the data and model flow".
FLOW_KINDS = ("reads", "writes", "trains-on", "predicts-into", "saves", "loads", "feeds", "derives", "configures")
# Edges an evidence step may stand for (containment and imports never carry evidence of data flow).
_EVIDENCE_KINDS = frozenset((*FLOW_KINDS, "matches", "defines"))
_MAX_EVIDENCE_EDGES = 40
_PRIORITY = {
    **dict.fromkeys(("trains-on", "predicts-into", "saves", "loads", "feeds"), 0),
    **dict.fromkeys(("reads", "writes"), 1),
    **dict.fromkeys(("derives", "matches"), 2),
    **dict.fromkeys(("configures", "defines"), 3),
}

MERMAID_MAX_EDGES = 500  # Mermaid's default maxEdges, which GitHub keeps
MERMAID_MAX_CHARS = 50_000  # Mermaid's default maxTextSize
DOT_MAX_EDGES = 2_000  # past this, `dot` takes minutes and the picture is unreadable anyway


@dataclass(frozen=True, slots=True)
class ViewNode:
    id: str
    kind: str  # module | function | artifact | config | model, or "file" in a collapsed view
    label: str
    file: str  # the file that holds it ("" for artifacts)
    highlight: bool = False


@dataclass(frozen=True, slots=True)
class ViewEdge:
    source: str
    target: str
    kind: str
    highlight: bool = False


@dataclass(frozen=True, slots=True)
class View:
    nodes: tuple[ViewNode, ...]  # sorted by id
    edges: tuple[ViewEdge, ...]  # sorted by (source, target, kind)
    warnings: tuple[str, ...] = ()


# ------------------------------------------------------------------ evidence of one finding


class EvidenceIndex:
    """Graph edges by the code position that evidences them, to find the edges a finding's steps name."""

    def __init__(self, graph: ProjectGraph) -> None:
        self.graph = graph
        self._by_site: dict[tuple[str, int, int], list[tuple[str, str, str]]] = defaultdict(list)
        for e in graph.edges(_EVIDENCE_KINDS):
            for s in e.sites:
                self._by_site[(s.path, s.line, s.column)].append((e.source, e.target, e.kind))

    def _script(self, node: str) -> str:
        """A module as the graph draws it in the flow: its top-level code, when it has any."""
        if node.startswith("module:"):
            top = f"function:{node[len('module:') :]}::<module>"
            if top in self.graph:
                return top
        return node

    def flow(
        self, site: Site, related: Sequence[Site], explicit: Sequence[tuple[str, str, str]] = ()
    ) -> tuple[FlowEdge, ...]:
        """The subgraph behind a finding: `explicit` edges (all on its path), or the edges evidenced
        at its location and its steps, with the loop (or else the longest chain) marked on path."""
        g = self.graph
        if explicit:
            script = self._script
            edges = sorted({(script(u), script(v), k) for u, v, k in explicit if u in g and v in g})
            on_path = set(edges)
        else:
            found: set[tuple[str, str, str]] = set()
            for s in (site, *related):
                at = self._by_site.get((s.path, s.line, s.column), ())
                # one line evidences several edges (a write also derives and is configured):
                # keep those of the most specific kind present
                best = min((_PRIORITY.get(k, 9) for _, _, k in at), default=9)
                found.update(e for e in at if _PRIORITY.get(e[2], 9) == best)
            if not related:  # a finding without steps has no picture to draw beyond its own line
                return ()
            edges = sorted(found)[:_MAX_EVIDENCE_EDGES]
            on_path = _marked(edges)
        return tuple(FlowEdge(u, v, k, g.label(u), g.label(v), (u, v, k) in on_path) for u, v, k in edges)


def _marked(edges: Sequence[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    """The edges of a loop when the evidence closes one (the rest is context); else all of them.

    An edge u -> v lies on a loop when v reaches u. Evidence is a handful of edges, so a search per
    edge is cheap, and the scan path need not import NetworkX for it.
    """
    succ: dict[str, set[str]] = {}
    for u, v, _ in edges:
        succ.setdefault(u, set()).add(v)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = {start}, [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            for nxt in succ.get(node, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    on_loop = {e for e in edges if reaches(e[1], e[0])}
    return on_loop or set(edges)


# ------------------------------------------------------------------ selecting a view


def node_file(node: str) -> str:
    """The file a node lives in, from its id (artifacts live in no file)."""
    kind, _, rest = node.partition(":")
    if kind == "module":
        return rest
    if kind in ("function", "config", "model"):
        return rest.split("::", 1)[0]
    return ""


def display_label(node: str, label: str, *, grouped: bool) -> str:
    """A short label: the file is said by the cluster when grouped, else on a second line."""
    kind, _, rest = node.partition(":")
    path = node_file(node)
    if kind == "function":
        qual = rest.split("::", 1)[1] if "::" in rest else rest
        if qual == "<module>":
            return posixpath.basename(path) if grouped else path
        return f"{qual}()" if grouped else f"{qual}()\n{path}"
    if kind == "model":
        text = label.replace("`", "")
        suffix = f" in {path}"
        text = text[: -len(suffix)] if text.endswith(suffix) else text
        return text if grouped else f"{text}\n{path}"
    if kind == "config":
        key = rest.split("::", 1)[1] if "::" in rest else label
        return key if grouped else f"{key}\n{path}"
    return label


def parse_kinds(value: str) -> tuple[str, ...]:
    """Edge kinds from a comma-separated list (`flow` stands for the default set); ValueError names a bad one."""
    out: list[str] = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        if part == "flow":
            out.extend(FLOW_KINDS)
        elif part in EDGE_KINDS:
            out.append(part)
        else:
            raise ValueError(f"unknown edge kind {part!r}; expected flow or one of {', '.join(EDGE_KINDS)}")
    return tuple(dict.fromkeys(out))


def select(
    graph: ProjectGraph,
    kinds: Iterable[str] | None = None,
    *,
    findings: Sequence[Finding] = (),
    everything: bool = False,
    unresolved: bool = False,
) -> View:
    """The nodes and edges of `kinds` (default: the flow); nodes left without an edge are dropped
    unless `everything`. Reads of a path that could not be resolved (each its own node, often a
    hub of a loader helper) are left out unless `unresolved`, `everything`, or in a finding.
    Nodes and edges that `findings` involve are highlighted."""
    wanted = set(EDGE_KINDS) if everything else set(kinds or FLOW_KINDS)
    marked_nodes, marked_edges = _involved(findings)

    def shown(node: str) -> bool:
        return everything or unresolved or not node.startswith("artifact:?") or node in marked_nodes

    edges = [
        ViewEdge(e.source, e.target, e.kind, (e.source, e.target, e.kind) in marked_edges)
        for e in graph.edges(wanted)
        if shown(e.source) and shown(e.target)
    ]
    keep = set(graph.nodes()) if everything else {n for e in edges for n in (e.source, e.target)}
    nodes = [_node(graph, n, n in marked_nodes) for n in sorted(keep)]
    return View(tuple(nodes), tuple(edges))


def focus(graph: ProjectGraph, findings: Sequence[Finding]) -> View:
    """Only the subgraph behind `findings`, their loops and chains highlighted."""
    seen: dict[tuple[str, str, str], bool] = {}
    for f in findings:
        for e in f.flow:
            key = (e.source, e.target, e.kind)
            seen[key] = seen.get(key, False) or e.on_path
    edges = [ViewEdge(u, v, k, hl) for (u, v, k), hl in sorted(seen.items())]
    on_path = {n for e in edges if e.highlight for n in (e.source, e.target)}
    labels = {e.source: e.source_label for f in findings for e in f.flow} | {
        e.target: e.target_label for f in findings for e in f.flow
    }
    nodes = [
        _node(graph, n, n in on_path)
        if n in graph
        else ViewNode(n, n.partition(":")[0], labels[n], node_file(n), n in on_path)
        for n in sorted({n for e in edges for n in (e.source, e.target)})
    ]
    return View(tuple(nodes), tuple(edges))


def _node(graph: ProjectGraph, node: str, highlight: bool) -> ViewNode:
    return ViewNode(node, graph.kind(node), graph.label(node), node_file(node), highlight)


def _involved(findings: Sequence[Finding]) -> tuple[set[str], set[tuple[str, str, str]]]:
    nodes: set[str] = set()
    edges: set[tuple[str, str, str]] = set()
    for f in findings:
        for e in f.flow:
            if e.on_path:
                edges.add((e.source, e.target, e.kind))
                nodes.update((e.source, e.target))
    return nodes, edges


# ------------------------------------------------------------------ size guards


def fit(view: View, max_edges: int, *, max_chars: int = 0, render: Callable[[View], str] | None = None) -> View:
    """`view` cut down to at most `max_edges` edges (0: no limit), with a warning saying how.

    First the functions, models and config keys of each file are merged into the file; if still
    too big, only what touches highlighted nodes is kept; then the first edges, in order.
    """
    if not max_edges or (len(view.edges) <= max_edges and not _too_long(view, max_chars, render)):
        return view
    original = (len(view.nodes), len(view.edges))
    steps: list[str] = []
    current = collapse_files(view)
    steps.append("merged into files")
    if len(current.edges) > max_edges or _too_long(current, max_chars, render):
        marked = {n.id for n in current.nodes if n.highlight}
        if marked:
            edges = [e for e in current.edges if e.source in marked or e.target in marked]
            current = _with_edges(current, edges)
            steps.append("kept only what touches nodes in findings")
    if len(current.edges) > max_edges or _too_long(current, max_chars, render):
        limit = max_edges
        while limit > 1:
            trial = _with_edges(current, current.edges[:limit])
            if not _too_long(trial, max_chars, render):
                break
            limit = limit * 3 // 4
        current = _with_edges(current, current.edges[:limit])
        steps.append(f"cut to the first {limit} edges")
    msg = (
        f"the graph has {original[0]:,} nodes and {original[1]:,} edges, more than can be drawn readably "
        f"(limit {max_edges:,} edges{f', {max_chars:,} characters' if max_chars else ''}); showing a cut-down view "
        f"({'; '.join(steps)}: {len(current.nodes):,} nodes, {len(current.edges):,} edges). "
        "Narrow it with --focus, --kinds or PATHS, or raise --max-edges."
    )
    return View(current.nodes, current.edges, (*view.warnings, msg))


def _too_long(view: View, max_chars: int, render: Callable[[View], str] | None) -> bool:
    return bool(max_chars) and render is not None and len(render(view)) > max_chars


def _with_edges(view: View, edges: Sequence[ViewEdge]) -> View:
    keep = {n for e in edges for n in (e.source, e.target)}
    return View(tuple(n for n in view.nodes if n.id in keep), tuple(edges), view.warnings)


def collapse_files(view: View) -> View:
    """Every node that lives in a file replaced by its file; artifacts stay; parallel edges merged."""

    def owner(node: ViewNode) -> str:
        return f"module:{node.file}" if node.file else node.id

    by_id = {n.id: n for n in view.nodes}
    nodes: dict[str, ViewNode] = {}
    for n in view.nodes:
        oid = owner(n)
        prev = nodes.get(oid)
        hl = n.highlight or (prev.highlight if prev else False)
        nodes[oid] = ViewNode(oid, "module", n.file, n.file, hl) if n.file else ViewNode(n.id, n.kind, n.label, "", hl)
    edges: dict[tuple[str, str, str], bool] = {}
    for e in view.edges:
        u, v = owner(by_id[e.source]), owner(by_id[e.target])
        if u == v:
            continue
        edges[(u, v, e.kind)] = edges.get((u, v, e.kind), False) or e.highlight
    return View(
        tuple(nodes[k] for k in sorted(nodes)),
        tuple(ViewEdge(u, v, k, hl) for (u, v, k), hl in sorted(edges.items())),
        view.warnings,
    )


# ------------------------------------------------------------------ rendering

_DOT_SHAPE = {
    "module": 'shape=box, style="rounded,filled", fillcolor="#eeeeee"',
    "function": 'shape=box, style="rounded,filled", fillcolor="#eeeeee"',
    "artifact": 'shape=cylinder, style=filled, fillcolor="#e3f2fd"',
    "model": 'shape=ellipse, style=filled, fillcolor="#e8f5e9"',
    "config": 'shape=note, style=filled, fillcolor="#fff8e1", fontsize=10',
}


_MODEL_EDGE = ', color="#2e7d32", fontcolor="#2e7d32"'
_DOT_EDGE = {
    **dict.fromkeys(("trains-on", "predicts-into", "saves", "loads", "feeds"), _MODEL_EDGE),
    "configures": ', style=dashed, color="#b08d00", fontcolor="#b08d00"',
    "defines": ', style=dashed, color="#b08d00", fontcolor="#b08d00"',
    "derives": ", style=dashed",
    "contains": ", style=dotted",
    "imports": ", style=dotted",
    "calls": ", style=dotted",
}
_PACK_PARTS = 8


def _parts(view: View) -> int:
    """How many unconnected parts the view has (union-find over its edges)."""
    parent = {n.id: n.id for n in view.nodes}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for e in view.edges:
        if e.source in parent and e.target in parent:
            parent[root(e.source)] = root(e.target)
    return len({root(n) for n in parent})


def _by_file(view: View) -> list[tuple[str, list[ViewNode]]]:
    """The view's nodes grouped by the file they belong to ("" for none), in file order."""
    groups: dict[str, list[ViewNode]] = defaultdict(list)
    for n in view.nodes:
        groups[n.file].append(n)
    return sorted(groups.items())


def to_dot(view: View, *, group_by_file: bool = False) -> str:
    lines = [
        "digraph mldebt {",
        "  rankdir=LR;",
        '  graph [fontname="Helvetica", fontsize=11];',
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9, color="#777777", fontcolor="#777777"];',
    ]

    def node_line(n: ViewNode, indent: str) -> str:
        label = display_label(n.id, n.label, grouped=group_by_file and bool(n.file))
        style = _DOT_SHAPE.get(n.kind, _DOT_SHAPE["module"])
        if n.highlight:
            style = style.replace("fillcolor=", 'color="#c62828", penwidth=2.5, fillcolor=').replace(
                '"#eeeeee"', '"#ffebee"'
            )
        return f"{indent}{_q(n.id)} [label={_q(label)}, {style}];"

    if _parts(view) > _PACK_PARTS:
        # many unconnected parts: side by side rather than one tall column (`dot` then drops
        # edge labels, so edge kinds are told by colour and style as well)
        lines.append('  pack=true; packmode="array_u";')
    if group_by_file:
        for i, (file, members) in enumerate(_by_file(view)):
            if not file:
                lines.extend(node_line(n, "  ") for n in members)
                continue
            lines.append(f"  subgraph cluster_{i} {{")
            lines.append(f'    label={_q(file)}; style="rounded,dashed"; color="#999999";')
            lines.extend(node_line(n, "    ") for n in members)
            lines.append("  }")
    else:
        lines.extend(node_line(n, "  ") for n in view.nodes)
    for e in view.edges:
        style = ', color="#c62828", fontcolor="#c62828", penwidth=2.5' if e.highlight else _DOT_EDGE.get(e.kind, "")
        lines.append(f"  {_q(e.source)} -> {_q(e.target)} [label={_q(e.kind)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


_MERMAID_SHAPE = {"artifact": ('[("', '")]'), "model": ('(["', '"])'), "config": ('{{"', '"}}')}


def to_mermaid(view: View, *, group_by_file: bool = False) -> str:
    ids = {n.id: f"n{i}" for i, n in enumerate(view.nodes)}
    lines = ["flowchart LR"]

    def node_line(n: ViewNode, indent: str) -> str:
        left, right = _MERMAID_SHAPE.get(n.kind, ('["', '"]'))
        label = display_label(n.id, n.label, grouped=group_by_file and bool(n.file))
        return f"{indent}{ids[n.id]}{left}{_m(label)}{right}"

    if group_by_file:
        for i, (file, members) in enumerate(_by_file(view)):
            if not file:
                lines.extend(node_line(n, "  ") for n in members)
                continue
            lines.append(f'  subgraph f{i}["{_m(file)}"]')
            lines.extend(node_line(n, "    ") for n in members)
            lines.append("  end")
    else:
        lines.extend(node_line(n, "  ") for n in view.nodes)
    marked: list[int] = []
    for i, e in enumerate(view.edges):
        arrow = "==>" if e.highlight else "-->"
        lines.append(f"  {ids[e.source]} {arrow}|{e.kind}| {ids[e.target]}")
        if e.highlight:
            marked.append(i)
    hl = [ids[n.id] for n in view.nodes if n.highlight]
    if hl:
        lines.append("  classDef finding fill:#ffebee,stroke:#c62828,stroke-width:2px")
        lines.append(f"  class {','.join(hl)} finding")
    if marked:
        lines.append(f"  linkStyle {','.join(map(str, marked))} stroke:#c62828,stroke-width:2px")
    return "\n".join(lines) + "\n"


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


_MERMAID_UNSAFE = re.compile(r'["<>#&;`|{}\[\]]')


def _m(text: str) -> str:
    """Text safe inside a quoted Mermaid label; a newline becomes a line break."""
    return "<br>".join(_MERMAID_UNSAFE.sub("'", part) for part in text.split("\n"))


def render(graph: ProjectGraph, view: View, fmt: str, *, group_by_file: bool = False) -> str:
    """`view` as DOT or Mermaid; as JSON or GraphML, the graph's own attributes for the view's
    nodes and edges, each with `highlight`."""
    if fmt == "dot":
        return to_dot(view, group_by_file=group_by_file)
    if fmt == "mermaid":
        return to_mermaid(view, group_by_file=group_by_file)
    full = graph.to_networkx()
    import networkx as nx  # drawing only: a scan never needs it

    sub = nx.MultiDiGraph()
    for n in view.nodes:
        attrs = dict(full.nodes[n.id]) if n.id in full else {"kind": n.kind, "label": n.label}
        sub.add_node(n.id, **attrs, highlight=n.highlight)
    for e in view.edges:
        attrs = dict(full.edges[e.source, e.target, e.kind]) if full.has_edge(e.source, e.target, e.kind) else {}
        attrs.update(kind=e.kind, highlight=e.highlight)
        sub.add_edge(e.source, e.target, key=e.kind, **attrs)
    from mldebt.graph.export import node_link

    text = node_link(sub, fmt)
    if text is not None:
        return text
    raise ValueError(f"unknown graph format {fmt!r}")


def guard(view: View, fmt: str, max_edges: int | None, *, group_by_file: bool = False) -> View:
    """`view` cut down for a renderer: Mermaid to GitHub's limits, DOT to what `dot` lays out in
    seconds; JSON and GraphML are data and never cut. `max_edges` 0: no limit."""
    if fmt == "mermaid":
        limit = MERMAID_MAX_EDGES if max_edges is None else max_edges
        return fit(
            view,
            limit,
            max_chars=MERMAID_MAX_CHARS if limit else 0,
            render=lambda v: to_mermaid(v, group_by_file=group_by_file),
        )
    if fmt == "dot":
        return fit(view, DOT_MAX_EDGES if max_edges is None else max_edges)
    return view
