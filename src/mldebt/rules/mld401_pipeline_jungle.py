"""MLD401 pipeline-jungle: scripts chained through intermediate files with no declared pipeline,
and files written by several scripts."""

from __future__ import annotations

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


class PipelineJungle(Rule):
    id = "MLD401"
    name = "pipeline-jungle"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"min-steps": (int, 3)}

    def check(self, built: Built) -> Iterator[Hit]:
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
                    step = Step(actor, site.actor_site(r), site.fact.append)
                    (writes if site.fact.op == "write" else reads)[r.artifact].append(step)
        yield from self._chains(built, writes, reads)
        yield from _multiple_writers(built, writes, reads)

    def _chains(self, built: Built, writes: dict[str, list[Step]], reads: dict[str, list[Step]]) -> Iterator[Hit]:
        min_steps = max(2, int(self.options["min-steps"]))
        # module -> (artifact, write site, read site, next module): one step of the jungle
        steps: dict[str, list[tuple[str, Step, Step, str]]] = defaultdict(list)
        for artifact in sorted(writes):
            for w in writes[artifact]:
                for r in reads.get(artifact, []):
                    if r.path != w.path:
                        steps[w.path].append((artifact, w, r, r.path))
        if not steps:
            return
        declared = _declarations(built)
        orchestrators: list[set[str]] | None = None
        reported: set[tuple[str, int]] = set()  # (last module, line of its read): one finding per chain end
        for start in _starts(steps):
            chain = _longest(start, steps)
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
            related: list[Site] = []
            for a, w, r, _ in chain:
                related.append(Site(w.path, w.site.line, w.site.column, note=f"writes `{a}`"))
                related.append(Site(r.path, r.site.line, r.site.column, note=f"reads `{a}`"))
            yield Hit(
                site=last_read.site,
                message=(
                    f"`{last}` is step {len(modules)} of a pipeline that no pipeline file declares: {flow}; "
                    "the order of these scripts and their intermediate files lives only in people's heads"
                ),
                related=tuple(related),
                key="|".join(modules),
                edges=tuple(
                    edge
                    for a, w, r, _ in chain
                    for edge in (
                        (f"module:{w.path}", f"artifact:{a}", "writes"),
                        (f"artifact:{a}", f"module:{r.path}", "reads"),
                    )
                ),
            )


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
        sites = sorted({s for s in writes[artifact] if not s.append})  # appends do not overwrite
        modules = sorted({s.path for s in sites})
        if len(modules) < 2 or built.graph.node(f"artifact:{artifact}").get("declared"):
            continue
        first = sites[0]
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
            ),
            related=related,
            key=f"writers|{artifact}",
            confidence=Confidence.MEDIUM,
            edges=tuple((f"module:{m}", f"artifact:{artifact}", "writes") for m in modules),
        )
