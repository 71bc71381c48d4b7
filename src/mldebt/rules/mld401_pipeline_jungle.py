"""MLD401 pipeline-jungle: scripts chained through intermediate files with no declared pipeline,
and files written by several scripts."""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from mldebt.graph.build import Built
from mldebt.graph.facade import Site
from mldebt.model import Confidence, Resolution
from mldebt.rules.base import Hit, Rule, is_test_path

_TRUSTED = (Resolution.EXACT, Resolution.IMPORTED, Resolution.CONFIG, Resolution.PARAMETER)
_MAX_CHAIN = 12


@dataclass(frozen=True, slots=True, order=True)
class Step:
    """A read or write as a pipeline step sees it: the script doing it and where."""

    path: str
    site: Site
    append: bool = False
    if_missing: bool = False  # written only when absent (a download cache): replaces nothing
    root: str = ""  # the path read against the project root ("" when that leaves the project)
    here: str = ""  # the path read against the folder of the script doing it


def _readings(artifact: str, actor: str, table: bool, launched: set[str]) -> tuple[str, str]:
    """(root, here): a relative path means one file if the script runs from the project root,
    another if it runs from its own folder. A notebook runs in its folder (Jupyter's working
    directory: the graph already reads its paths from there), and a script a launcher runs by
    its path from the root (`python src/prep.py` in a Makefile), or a module of a package
    (`python -m pipeline.clean`), runs from the root: one reading. Other scripts below the root
    (`exp2/train.py`, a copy of `exp1/train.py`) get both."""
    folder = posixpath.dirname(actor)
    if table or not folder or artifact.startswith(("/", "~")) or ":" in artifact[:3]:
        return artifact, artifact
    if actor.endswith(".ipynb") or actor in launched:
        return artifact, artifact
    return ("" if artifact.startswith("../") else artifact), posixpath.normpath(posixpath.join(folder, artifact))


class PipelineJungle(Rule):
    id = "MLD401"
    name = "pipeline-jungle"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"min-steps": (int, 3)}

    def check(self, built: Built) -> Iterator[Hit]:
        files = built.project.files
        launched = {m for f in files.values() if f.kind == "launcher" for m in f.mentions}
        launched |= {p for p in files if posixpath.join(posixpath.dirname(p), "__init__.py") in files}
        writes: dict[str, list[Step]] = defaultdict(list)
        reads: dict[str, list[Step]] = defaultdict(list)
        for site in built.io_sites:
            if site.fact.format in ("url", "hub"):
                continue
            for r in site.resolved:
                actor = site.actor(r)
                if r.how in _TRUSTED and "*" not in r.artifact and not is_test_path(actor):
                    if r.how is Resolution.PARAMETER and r.call_site is None:
                        continue  # only a default value: nobody is known to pass this path
                    root, here = _readings(r.artifact, actor, site.fact.format == "table", launched)
                    step = Step(actor, site.actor_site(r), site.fact.append, site.fact.if_missing, root, here)
                    (writes if site.fact.op == "write" else reads)[r.artifact].append(step)
        yield from self._chains(built, writes, reads)
        yield from _multiple_writers(built, writes, reads)

    def _chains(self, built: Built, writes: dict[str, list[Step]], reads: dict[str, list[Step]]) -> Iterator[Hit]:
        min_steps = max(2, int(self.options["min-steps"]))
        # module -> (artifact, write site, read site, next module): one step of the jungle
        steps: dict[str, list[tuple[str, Step, Step, str]]] = defaultdict(list)
        by_reading: dict[tuple[str, str], list[Step]] = defaultdict(list)
        for rs in reads.values():
            for r in rs:
                if r.root:
                    by_reading[("root", r.root)].append(r)
                by_reading[("here", r.here)].append(r)
        for artifact in sorted(writes):
            # a script that writes the file itself when it is absent needs nobody else's copy
            supplied = {w.path for w in writes[artifact] if w.if_missing}
            # scripts that read and write the file alike are variants of one stage (a trainer in
            # three flavours, each saving its scaler in one mode and loading it in another): a
            # link between two of them is no step of a pipeline
            variants = {w.path for w in writes[artifact]} & {r.path for r in reads.get(artifact, ())}
            for w in writes[artifact]:
                linked = by_reading.get(("root", w.root), []) if w.root else []
                for r in sorted({*linked, *by_reading.get(("here", w.here), [])}):
                    if w.path in variants and r.path in variants:
                        continue
                    if r.path != w.path and r.path not in supplied and _link(w, r) is not None:
                        steps[w.path].append((artifact, w, r, r.path))
        if not steps:
            return
        certain: dict[str, list[tuple[str, Step, Step, str]]] = defaultdict(list)
        for m, outs in steps.items():
            certain[m] = [st for st in outs if not _link(st[1], st[2])]
        declared = _declarations(built)
        orchestrators: list[set[str]] | None = None
        reported: set[tuple[str, int]] = set()  # (last module, line of its read): one finding per chain end
        # chains that hold whichever folder the scripts run from first; then the others, at low confidence
        for graph in (certain, steps):
            for start in _starts(graph):
                chain = _longest(start, graph)
                modules = [start] + [s[3] for s in chain]
                if len(modules) < min_steps:
                    continue
                if any(all(_mentioned(m, mentioned) for m in modules) for mentioned in declared):
                    continue
                if orchestrators is None:
                    orchestrators = _orchestrators(built)
                if any(set(modules) <= reached for reached in orchestrators):
                    continue
                artifact, _, last_read, last = chain[-1]
                end = (last, last_read.site.line)
                if end in reported:
                    continue
                reported.add(end)
                flow = " -> ".join([modules[0]] + [f"`{a}` -> {nxt}" for (a, _, _, nxt) in chain])
                # a link that holds when the scripts run from the root but not from their own folders
                # (or the other way round): copies of one stage in sibling folders look like this
                ambiguous = [a for a, w, r, _ in chain if _link(w, r)]
                related: list[Site] = []
                for a, w, r, _ in chain:
                    related.append(Site(w.path, w.site.line, w.site.column, note=f"writes `{a}`"))
                    related.append(Site(r.path, r.site.line, r.site.column, note=f"reads `{a}`"))
                yield Hit(
                    site=last_read.site,
                    message=(
                        f"`{last}` is step {len(modules)} of a pipeline that no pipeline file declares: {flow}; "
                        "the order of these scripts and their intermediate files lives only in people's heads"
                        + (
                            f" (if each script runs from its own folder, `{ambiguous[0]}` is not one file)"
                            if ambiguous
                            else ""
                        )
                    ),
                    related=tuple(related),
                    key="|".join(modules),
                    confidence=Confidence.LOW if ambiguous else None,
                    edges=tuple(
                        edge
                        for a, w, r, _ in chain
                        for edge in (
                            (f"module:{w.path}", f"artifact:{a}", "writes"),
                            (f"artifact:{a}", f"module:{r.path}", "reads"),
                        )
                    ),
                )


def _link(w: Step, r: Step) -> bool | None:
    """Do a write and a read name one file? None: no; False: yes, certainly; True: only if the
    project runs its scripts from the root, or only if from their own folders, not both.

    One convention per project is assumed (every script from the root, or every script from its
    folder); a reading that leaves the project (`../data` from the root) rules that convention
    out for the pair."""
    same_here = w.here == r.here
    if not (w.root and r.root):
        return False if same_here else None
    same_root = w.root == r.root
    if not (same_root or same_here):
        return None
    return same_root != same_here


def _starts(steps: dict[str, list[tuple[str, Step, Step, str]]]) -> list[str]:
    """Chain starts: scripts nobody feeds, then, for scripts only in cycles, the first of each cycle."""
    has_pred = {nxt for outs in steps.values() for (_, _, _, nxt) in outs}
    starts = [m for m in sorted(steps) if m not in has_pred]
    reached = set(starts)
    frontier = list(starts)
    for candidate in sorted(steps):
        while frontier:
            node = frontier.pop()
            for *_, nxt in steps.get(node, []):
                if nxt not in reached:
                    reached.add(nxt)
                    frontier.append(nxt)
        if candidate not in reached:
            starts.append(candidate)
            reached.add(candidate)
            frontier.append(candidate)
    return starts


def _mentioned(module: str, mentioned: set[str]) -> bool:
    """A pipeline file names a script by its path, or by `python -m` (which drops a `src/` layout)."""
    return module in mentioned or any(module.endswith("/" + m) for m in mentioned)


def _longest(start: str, steps: dict[str, list[tuple[str, Step, Step, str]]]) -> list[tuple[str, Step, Step, str]]:
    """The longest chain of distinct modules from `start` (bounded depth-first search, deterministic)."""
    best: list[tuple[str, Step, Step, str]] = []
    budget = [5000]

    def walk(node: str, path: list[tuple[str, Step, Step, str]], seen: set[str]) -> None:
        nonlocal best
        budget[0] -= 1
        if len(path) > len(best):
            best = list(path)
        if budget[0] <= 0 or len(path) >= _MAX_CHAIN:
            return
        for step in sorted(steps.get(node, []), key=lambda s: (s[3], s[0])):
            if step[3] in seen:
                continue
            seen.add(step[3])
            path.append(step)
            walk(step[3], path, seen)
            path.pop()
            seen.discard(step[3])

    walk(start, [], {start})
    return best


def _declarations(built: Built) -> list[set[str]]:
    """Script sets that one pipeline file (dvc.yaml, Makefile, a shell driver) runs."""
    out = []
    for f in built.project.files.values():
        if f.declares_pipeline and f.mentions:
            out.append({m for m in f.mentions})
    return out


def _orchestrators(built: Built) -> list[set[str]]:
    """For each driver function, the modules it reaches through calls: a pipeline declared in code."""
    g = built.graph
    out: list[set[str]] = []
    for fn in g.nodes("function"):
        if len(g.out_edges(fn, ["calls"])) < 2:
            continue
        reached: set[str] = set()
        frontier = [fn]
        for _ in range(3):
            nxt = []
            for node in frontier:
                for e in g.out_edges(node, ["calls"]):
                    if e.target not in reached:
                        reached.add(e.target)
                        nxt.append(e.target)
            frontier = nxt
        modules = {n.split("::", 1)[0].removeprefix("function:") for n in reached}
        if len(modules) > 1:
            out.append(modules)
    return out


def _multiple_writers(built: Built, writes: dict[str, list[Step]], reads: dict[str, list[Step]]) -> Iterator[Hit]:
    for artifact in sorted(writes):
        if not reads.get(artifact) or "/" not in artifact:
            # an output nobody reads, or a bare file name (`pytorch_model.bin`, `model.pkl`) that
            # unrelated tools write into whatever directory they run in
            continue
        # appends, and writes only when the file is absent, do not overwrite
        sites = sorted({s for s in writes[artifact] if not s.append and not s.if_missing})
        modules = sorted({s.path for s in sites})
        if len(modules) < 2 or built.graph.node(f"artifact:{artifact}").get("declared"):
            continue
        if {s.path for s in reads[artifact]} <= set(modules):
            # each reader reads back what it wrote itself (two variants of one notebook that
            # save and reload `lgb.jl`): no script consumes another's output
            continue
        first = sites[0]
        # writers in different folders of one relative path: from their own folders, different files
        copies = len({s.here for s in sites}) > 1
        others = [s for s in sites if s.path != first.path]
        anchor = others[0]
        related = tuple(
            Site(s.path, s.site.line, s.site.column, note=f"also writes `{artifact}`") for s in sites if s is not anchor
        )
        yield Hit(
            site=anchor.site,
            message=(
                f"`{artifact}` is written by {len(modules)} scripts ({', '.join(modules)}); whichever runs last "
                "silently wins, so its content depends on the order people run them"
                + (" (unless each script runs from its own folder: then these are different files)" if copies else "")
            ),
            related=related,
            key=f"writers|{artifact}",
            confidence=Confidence.LOW if copies else Confidence.MEDIUM,
            edges=tuple((f"module:{m}", f"artifact:{artifact}", "writes") for m in modules),
        )
