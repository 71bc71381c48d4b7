"""Export the project graph: JSON (node-link), GraphML, Graphviz DOT, Mermaid."""

from __future__ import annotations

import io
import json
import re

import networkx as nx

from mldebt.graph.facade import ProjectGraph

FORMATS = ("json", "graphml", "dot", "mermaid")


def node_link(g: nx.MultiDiGraph, fmt: str) -> str | None:
    """A NetworkX graph as node-link JSON or GraphML (None for another format)."""
    if fmt == "json":
        data = {
            "nodes": [{"id": n, **d} for n, d in g.nodes(data=True)],
            "edges": [{"source": u, "target": v, **d} for u, v, _, d in g.edges(keys=True, data=True)],
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "graphml":
        buf = io.BytesIO()
        nx.write_graphml(g, buf)
        return buf.getvalue().decode("utf-8")
    return None


def export(graph: ProjectGraph, fmt: str) -> str:
    g = graph.to_networkx()
    text = node_link(g, fmt)
    if text is not None:
        return text
    if fmt == "dot":
        lines = ["digraph mldebt {", "  rankdir=LR;"]
        shapes = {"module": "box", "function": "box", "artifact": "note", "config": "component", "model": "ellipse"}
        for n, d in g.nodes(data=True):
            lines.append(f"  {_q(n)} [label={_q(d['label'])}, shape={shapes.get(d['kind'], 'box')}];")
        for u, v, _, d in g.edges(keys=True, data=True):
            lines.append(f"  {_q(u)} -> {_q(v)} [label={_q(d['kind'])}];")
        lines.append("}")
        return "\n".join(lines) + "\n"
    if fmt == "mermaid":
        ids = {n: f"n{i}" for i, n in enumerate(g.nodes)}
        shape = {"artifact": ('[("', '")]'), "model": ('(["', '"])'), "config": ('{{"', '"}}')}
        lines = ["flowchart LR"]
        for n, d in g.nodes(data=True):
            left, right = shape.get(d["kind"], ('["', '"]'))
            lines.append(f"  {ids[n]}{left}{_m(d['label'])}{right}")
        for u, v, _, d in g.edges(keys=True, data=True):
            lines.append(f"  {ids[u]} -->|{d['kind']}| {ids[v]}")
        return "\n".join(lines) + "\n"
    raise ValueError(f"unknown graph format {fmt!r}")


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _m(text: str) -> str:
    return re.sub(r'["<>]', "'", text).replace("`", "")
