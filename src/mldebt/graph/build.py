"""Facts -> the project graph (see facade.py for node and edge kinds and their direction).

Lineage tokens recorded per function are expanded here across functions and files: a fit's
`call:3` becomes the artifacts the called function reads, a `param:path` the arguments its callers pass.
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from mldebt.graph.facade import ProjectGraph, Site
from mldebt.graph.leakage import cross_module_leaks
from mldebt.graph.project import Binding, Project, Resolved, bound_lineage, weakest
from mldebt.model import Resolution
from mldebt.parse.facts import IO, FileFacts, ModelEvent, Smell, Span, Value, call_token

_MAX_EXPANSION_DEPTH = 6
_MAX_CONTEXTS = 64  # call sites of one helper asked separately (`Built.reads_per_caller`)


@dataclass(frozen=True, slots=True)
class IOSite:
    """One read or write in the code, with every artifact it was resolved to."""

    path: str
    index: int
    fact: IO
    resolved: tuple[Resolved, ...]

    @property
    def site(self) -> Site:
        s = self.fact.span
        return Site(self.path, s.line, s.column, s.end_line, s.end_column)

    def actor(self, r: Resolved) -> str:
        """The file on whose behalf the I/O happens: the outermost caller that passed the path."""
        return r.call_site[0] if r.call_site is not None else self.path

    def actor_site(self, r: Resolved) -> Site:
        if r.call_site is None:
            return self.site
        path, span = r.call_site
        return Site(path, span.line, span.column, span.end_line, span.end_column)

    @property
    def resolution(self) -> Resolution:
        if not self.resolved:
            return Resolution.UNRESOLVED
        return self.resolved[0].how  # sorted strongest first


@dataclass(frozen=True, slots=True)
class Base:
    """A lineage token expanded to where the data really comes from."""

    kind: str  # "read" | "pred" | "model"
    node: str  # artifact or model node id
    site: Site
    how: str = ""  # for reads: how the artifact was resolved


@dataclass
class Built:
    graph: ProjectGraph
    project: Project
    io_sites: list[IOSite] = field(default_factory=list)
    resolution_counts: Counter[str] = field(default_factory=Counter)
    smells: dict[str, tuple[Smell, ...]] = field(default_factory=dict)  # file rules' findings made here
    _chain_memo: dict[tuple[str, str, int], tuple[Binding, ...]] = field(default_factory=dict, repr=False)

    def reads_per_caller(self, path: str, function: str, lineage: frozenset[str]) -> list[tuple[Site, frozenset[str]]]:
        """The data artifacts a lineage of `function` reaches, once per chain of calls into it.

        The graph's edges join every caller of a helper (a `fit` inside `encode(df)` trains on what
        each of its callers passes); this separates them: one entry per chain of call sites up to
        a caller nobody calls (at most `_MAX_CONTEXTS` chains, 4 calls deep), each with the
        artifacts that chain's arguments and the functions' own reads bring, and the outermost
        call of the chain. Empty when the lineage has no parameter or there are fewer than two
        chains.
        """
        if not any(t.startswith("param:") for t in lineage):
            return []
        chains = self._chains(path, function, 4)
        if len(chains) < 2:
            return []
        expander = _Expander(self)  # not kept on self: a Built <-> expander cycle outlives the run
        out: list[tuple[Site, frozenset[str]]] = []
        for chain in chains:
            bases = expander.expand(path, function, lineage, binding=chain)
            reads = frozenset(b.node for b in bases if b.kind == "read" and _is_data(self.graph, b.node))
            outer = chain
            while outer.outer is not None:
                outer = outer.outer
            out.append((_site(outer.path, outer.call.span), reads))
        return out

    def _chains(self, path: str, function: str, depth: int) -> tuple[Binding, ...]:
        """At most `_MAX_CONTEXTS` chains of calls into `function`, memoised (recursion is cut
        by `depth`, and a helper's chains are built once however many callees ask)."""
        key = (path, function, depth)
        found = self._chain_memo.get(key)
        if found is not None:
            return found
        out: list[Binding] = []
        for caller_path, call in self.project.callers.get((path, function), []):
            outers = self._chains(caller_path, call.caller, depth - 1) if depth > 1 else ()
            out.extend([Binding(caller_path, call, o) for o in outers] or [Binding(caller_path, call)])
            if len(out) >= _MAX_CONTEXTS:
                break
        result = self._chain_memo[key] = tuple(out[:_MAX_CONTEXTS])
        return result


def artifact_id(name: str) -> str:
    return f"artifact:{name}"


def unresolved_id(site: IOSite) -> str:
    """A read whose path could not be resolved is its own artifact: it is one source, of unknown identity."""
    return f"artifact:?{site.path}:{site.fact.span.line}:{site.fact.span.column}"


def module_id(path: str) -> str:
    return f"module:{path}"


def function_id(path: str, qualname: str) -> str:
    return f"function:{path}::{qualname}"


def model_id(path: str, scoped_var: str) -> str:
    return f"model:{path}::{scoped_var}"


def _site(path: str, span: Span, note: str = "") -> Site:
    return Site(path, span.line, span.column, span.end_line, span.end_column, note)


def build(facts: Iterable[FileFacts]) -> Built:
    project = Project(facts)
    built = Built(ProjectGraph(), project)
    g = built.graph
    for f in project.files.values():
        if f.kind not in ("python", "notebook"):
            continue
        g.add_node(module_id(f.path), "module", f.path, Site(f.path, 1, 1))
        for fn in f.functions:
            fid = g.add_node(
                function_id(f.path, fn.qualname), "function", f"{f.path}::{fn.qualname}", _site(f.path, fn.span)
            )
            g.add_edge(module_id(f.path), fid, "contains")
    for f in project.files.values():
        if f.kind not in ("python", "notebook"):
            continue
        for imp in f.imports:
            target = project.find_module(imp.module, f.path)
            if imp.name and imp.name != "*":
                sub = project.find_module(f"{imp.module}.{imp.name}", f.path)
                target = sub or target
            if target is not None and target.path != f.path:
                g.add_edge(module_id(f.path), module_id(target.path), "imports", Site(f.path, imp.line, 1))
    for (path, index), ref in sorted(project.callees.items()):
        call = project.files[path].calls[index]
        g.add_edge(function_id(path, call.caller), function_id(ref.path, ref.qualname), "calls", _site(path, call.span))
    _add_config(built)
    _add_io(built)
    _add_patterns(built)
    _add_models(built)
    built.smells = cross_module_leaks(project)
    return built


def _add_config(built: Built) -> None:
    g = built.graph
    for path, d in built.project.declared_values():
        node = g.add_node(artifact_id(path), "artifact", path, Site(path, 1, 1), declared=True)
        key = g.add_node(
            f"config:{path}::{'.'.join(d.key)}", "config", f"{path}: {'.'.join(d.key)}", _site(path, d.span)
        )
        g.add_edge(node, key, "defines", _site(path, d.span))


def _add_io(built: Built) -> None:
    g, project = built.graph, built.project
    for f in project.files.values():
        for i, fact in enumerate(f.io):
            resolved = tuple(project.resolve_io(fact, f.path))
            site = IOSite(f.path, i, fact, resolved)
            if fact.kind != "config":
                built.io_sites.append(site)
                built.resolution_counts[str(site.resolution)] += 1
            fid = function_id(f.path, fact.function)
            if not resolved and fact.op == "read" and fact.kind != "config":
                node = g.add_node(
                    unresolved_id(site),
                    "artifact",
                    f"<unresolved path read at {f.path}:{fact.span.line}>",
                    unresolved=True,
                )
                g.add_edge(node, fid, "reads", site.site, resolution=str(Resolution.UNRESOLVED), api=fact.api)
            for r in resolved:
                node = g.add_node(artifact_id(r.artifact), "artifact", r.artifact, pattern="*" in r.artifact)
                s = _site(f.path, fact.span, f"{fact.op}s `{r.artifact}` ({r.how})")
                if fact.op == "read":
                    g.add_edge(node, fid, "reads", s, resolution=str(r.how), api=fact.api)
                else:
                    g.add_edge(fid, node, "writes", s, resolution=str(r.how), api=fact.api)
                for step in r.via:
                    cfg = f"config:{step.path}::{step.name}"
                    if step.kind == "config-key" and cfg in g:
                        g.add_edge(cfg, fid, "configures", s)


def _add_patterns(built: Built) -> None:
    g = built.graph
    artifacts = g.nodes("artifact")
    patterns = [a for a in artifacts if g.node(a).get("pattern")]
    exact = [a for a in artifacts if not g.node(a).get("pattern") and not g.node(a).get("unresolved")]
    for p in patterns:
        glob = g.label(p)
        prefix = glob.split("*", 1)[0]
        reads = [s for e in g.out_edges(p, ["reads"]) for s in e.sites]
        site = min(reads) if reads else None
        for e in exact:
            name = g.label(e)
            if name.startswith(prefix) and fnmatch.fnmatchcase(name, glob):
                g.add_edge(e, p, "matches", site)


class _Expander:
    """Expands lineage tokens into Bases: artifacts read, models' predictions, model objects.

    Context-sensitive by one call level: a `call:K` token expands the callee's returns with its
    parameters bound to what call K passes, so `load(path)` called with two paths does not mix them.

    Tokens form a graph (a `param:` token leads to the caller's argument tokens, a `call:` token to
    the callee's return tokens) that may have cycles (recursion, helpers calling each other). A
    token's expansion is every Base within `_MAX_EXPANSION_DEPTH` steps of it: a function of the
    token and the steps left only, never of the order tokens are visited in. Memoising by token
    alone behind a cycle guard was not: a result cut short by the guard on one path was reused on
    another where nothing cut it, and which path came first followed set iteration order (so
    PYTHONHASHSEED changed the graph). The steps left bound the recursion, so no guard is needed.
    """

    def __init__(self, built: Built) -> None:
        self.built = built
        self.sites = {(s.path, s.index): s for s in built.io_sites}
        self.steps: dict[tuple[str, str, str, tuple[tuple[str, int, int], ...]], _Step] = {}
        self.memo: dict[tuple[tuple[str, str, str, tuple[tuple[str, int, int], ...]], int], frozenset[Base]] = {}

    def expand(
        self, path: str, function: str, tokens: Iterable[str], depth: int = 0, binding: Binding | None = None
    ) -> frozenset[Base]:
        out: set[Base] = set()
        for token in tokens:
            out |= self.token(path, function, token, depth, binding)
        return frozenset(out)

    def token(self, path: str, function: str, token: str, depth: int, binding: Binding | None) -> frozenset[Base]:
        if depth > _MAX_EXPANSION_DEPTH:
            return frozenset()
        key = (path, function, token, binding.key if binding is not None else ())
        memo_key = (key, depth)
        found = self.memo.get(memo_key)
        if found is not None:
            return found
        step = self.steps.get(key)
        if step is None:
            step = self.steps[key] = self.step(path, function, token, binding)
        out = set(step.bases)
        for p, fn, lineage, b in step.next:
            out |= self.expand(p, fn, lineage, depth + 1, b)
        result = frozenset(out)
        self.memo[memo_key] = result
        return result

    def step(self, path: str, function: str, token: str, binding: Binding | None) -> _Step:
        """A token's own Bases, and the tokens one step further (whose Bases it also has)."""
        kind, _, rest = token.partition(":")
        out: set[Base] = set()
        nxt: list[tuple[str, str, frozenset[str], Binding | None]] = []
        project = self.built.project
        if kind == "io":
            site = self.sites.get((path, int(rest)))
            if site is not None and site.fact.op == "read":
                resolved = site.resolved
                if binding is not None and _uses_params(site.fact.target):
                    resolved = tuple(project.resolve_io(site.fact, path, binding=binding))
                    self._add_bound_reads(site, function, resolved)
                for r in resolved:
                    out.add(Base("read", artifact_id(r.artifact), site.actor_site(r), str(r.how)))
                if not resolved:
                    out.add(Base("read", unresolved_id(site), site.site, str(Resolution.UNRESOLVED)))
        elif kind in ("pred", "model"):
            out.add(Base(kind, model_id(path, rest), Site(path, 0, 0)))
        elif kind == "param":
            fn = project.functions.get((path, function))
            if fn is not None and rest in fn.params:
                if binding is not None:
                    calls = [(binding.path, binding.call, binding.outer)]
                else:
                    calls = [(p, c, None) for p, c in project.callers.get((path, function), [])]
                for caller_path, call, outer in calls:
                    lin = bound_lineage(fn, call, rest)
                    if lin:
                        nxt.append((caller_path, call.caller, lin, outer))
        elif kind == "call":
            found = call_token(token)
            ref = project.callees.get((path, found[0])) if found is not None else None
            if ref is not None and found is not None:
                call = project.files[path].calls[found[0]]
                fn = project.function(ref)
                if fn is not None:
                    # one element of a returned dict or tuple, where the callee's returns name it
                    returns = dict(fn.elements).get(found[1], fn.returns) if found[1] else fn.returns
                    nxt.append((ref.path, ref.qualname, returns, Binding(path, call, binding)))
        return _Step(frozenset(out), tuple(nxt))

    def _add_bound_reads(self, site: IOSite, function: str, resolved: tuple[Resolved, ...]) -> None:
        """A read resolved under one call's binding is a read of that artifact, like the IO site's own.

        The IO site resolves its parameters over all callers at once, keeping a bounded number of
        alternatives; the binding of one call can name an artifact beyond them
        (`get_data("jewellery")` among many datasets). Without its node and `reads` edge, models
        and writes fed by that read would point at nothing.
        """
        g = self.built.graph
        fid = function_id(site.path, function)
        for r in resolved:
            node = artifact_id(r.artifact)
            if node in g:
                continue
            g.add_node(node, "artifact", r.artifact, pattern="*" in r.artifact)
            s = _site(site.path, site.fact.span, f"reads `{r.artifact}` ({r.how})")
            g.add_edge(node, fid, "reads", s, resolution=str(r.how), api=site.fact.api)


@dataclass(frozen=True, slots=True)
class _Step:
    bases: frozenset[Base]
    next: tuple[tuple[str, str, frozenset[str], Binding | None], ...]


def _uses_params(value: Value) -> bool:
    return value.kind == "param" or any(_uses_params(p) for p in value.parts)


def _add_models(built: Built) -> None:
    g, project = built.graph, built.project
    expander = _Expander(built)
    for f in project.files.values():  # every model node first: edges may point into later files
        for ev in f.models:
            g.add_node(model_id(f.path, ev.var), "model", _model_label(f.path, ev), _site(f.path, ev.span))
    for f in project.files.values():
        for ev in f.models:
            mid = model_id(f.path, ev.var)
            site = _site(f.path, ev.span)
            if ev.event == "construct":
                g.node(mid)  # the node's site is the construction
            elif ev.event == "fit":
                for base in _ordered(expander.expand(f.path, ev.function, ev.lineage)):
                    if base.kind == "read" and _is_data(g, base.node):
                        g.add_edge(base.node, mid, "trains-on", site, read_at=_where(base.site), resolution=base.how)
                    elif base.kind == "pred" and base.node != mid:
                        g.add_edge(base.node, mid, "feeds", site, carries="predictions")
            elif ev.event in ("use", "load"):
                tokens = ev.lineage if ev.event == "use" else frozenset({f"io:{ev.io}"})
                for base in _ordered(expander.expand(f.path, ev.function, tokens)):
                    if base.kind == "read" and base.node in g:
                        # a read resolved in another call-site context than its IO site's may
                        # name an artifact no IO site created: no edge rather than a dangling one
                        g.add_edge(base.node, mid, "loads", base.site, resolution=base.how)
                    elif base.kind == "model" and base.node != mid:
                        g.add_edge(base.node, mid, "feeds", site, carries="object")
        for i, fact in enumerate(f.io):
            if fact.op != "write" or not fact.lineage:
                continue
            io_site = expander.sites.get((f.path, i)) if fact.kind != "config" else None
            if io_site is None:
                continue
            bases = expander.expand(f.path, fact.function, fact.lineage)
            for r in io_site.resolved:
                target = artifact_id(r.artifact)
                for base in _ordered(bases):
                    how = weakest(r.how, Resolution(base.how)) if base.how else r.how
                    if base.kind == "pred":
                        g.add_edge(base.node, target, "predicts-into", io_site.site, resolution=str(r.how))
                    elif base.kind == "model" and fact.kind == "model":
                        g.add_edge(base.node, target, "saves", io_site.site, resolution=str(r.how))
                    elif base.kind == "read" and base.node != target and _is_data(g, base.node):
                        g.add_edge(
                            base.node, target, "derives", io_site.site, read_at=_where(base.site), resolution=str(how)
                        )


def _ordered(bases: Iterable[Base]) -> list[Base]:
    """Bases in a fixed order: the first evidence of an edge becomes its site and its attributes."""
    return sorted(bases, key=lambda b: (b.kind, b.node, b.site, b.how))


def _is_data(g: ProjectGraph, node: str) -> bool:
    return node in g and not g.node(node).get("declared")


def _where(site: Site) -> str:
    return f"{site.path}:{site.line}:{site.column}"


def _model_label(path: str, ev: ModelEvent) -> str:
    var = ev.var.rpartition("::")[2]
    api = ev.api.rsplit(".", 1)[-1] if ev.event == "construct" and ev.api else ""
    return f"`{var}`{f' ({api})' if api else ''} in {path}"
