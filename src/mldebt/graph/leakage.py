"""Leakage across modules (MLD801, MLD802, MLD805): function summaries applied at call sites.

The parse phase analyses one file: a call of the file's own function or method replays that
function's summary in place (parse/detectors/leakflow.py). A call of an imported function is
recorded in the caller's summary as a `call` event, with the provenance of its arguments,
between the caller's own fits, splits and cross-validations, in statement order. Here, with
every file's summaries in view, each such call is resolved to the project function it names
and that function's summary is instantiated on the caller's arguments, one instance per call
site (context-sensitive), its own calls of other modules' functions instantiated the same way
up to `_MAX_DEPTH` nested calls and `_BUDGET` instances per caller (the bound that stands in for
a fixed point: helpers calling helpers are followed, recursion is cut).

Only findings that cross a module boundary are made here; a fit and a split in one file are the
parse phase's. The finding is at the caller's line where the leak happens (the call of the
helper whose fit leaks, or the caller's own fit whose rows a helper splits); the evidence points
into the helper's file. What each rule reports of a step is its question in
graph/leakquestions.py; here, which steps' rows cross a module into which split, and one
finding per place.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from mldebt.graph.leakquestions import (
    Step,
    fit_on_test_side,
    joined,
    own_fit_on_test_side,
    preprocessing_leak,
    resampled_before_split,
    side,
)
from mldebt.graph.project import Project
from mldebt.parse.facts import FileFacts, LeakEvent, LeakSummary, Smell, Span

Tokens = frozenset[str]
_EMPTY: Tokens = frozenset()
_MAX_DEPTH = 4
_BUDGET = 200  # instances of callee summaries per caller summary
_LEAKY = ("supervised", "scaler")
_TOKEN = {"fit": "fitted", "stat": "stat", "resample": "resampled"}  # a step's token in summaries


@dataclass
class _Judge:
    project: Project
    facts: FileFacts
    summary: LeakSummary
    steps: dict[str, Step] = field(default_factory=dict)
    smells: list[Smell] = field(default_factory=list)
    seen: set[tuple[str, int, str]] = field(default_factory=set)
    instances: int = 0
    raw: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the caller's fits, as the parse phase saw them
    # instances of imported classes, by their constructor's event: their `self` attributes and fits
    objects: dict[str, dict[str, Tokens]] = field(default_factory=dict)
    entries: dict[str, Tokens] = field(default_factory=dict)  # the last call's returned dict, by key path
    split_at: dict[str, tuple[str, str, Span]] = field(default_factory=dict)  # a callee's test side -> its split

    def run(self) -> list[Smell]:
        rets: dict[str, tuple[Tokens, ...]] = {}
        for i, ev in enumerate(self.summary.events):
            data = _resolve(frozenset(ev.data), rets)
            if ev.op in ("fit", "stat", "resample") and (ev.op != "fit" or ev.kind in _LEAKY):
                token = f"{_TOKEN[ev.op]}:#{i}"
                site = (self.facts.path, ev.span)
                self.steps[token] = Step(token, ev.op, ev.cls, ev.kind, data, site, None, 0)
                self.raw[token] = ev.data
                if ev.op == "fit":  # the caller's own fit on a test side a helper split off
                    self.add(own_fit_on_test_side(self.steps[token], ev.text, self.split_at))
            elif ev.op in ("split", "cv"):
                self.check(data, ev, (self.facts.path, ev.span), None, 0)
            elif ev.op == "call":
                args = {a: _resolve(frozenset(t), rets) for a, t in ev.args if a != "self"}
                receiver = next((t[0][4:] for a, t in ev.args if a == "self" and t), None)
                site = (self.facts.path, ev.span)
                rets[str(i)] = self.call(self.facts, self.summary.function, ev, args, site, 1, receiver, str(i))
                rets.update((f"{i}@{path}", (toks,)) for path, toks in self.entries.items())
        return self.smells

    def call(
        self,
        facts: FileFacts,
        caller: str,
        ev: LeakEvent,
        args: dict[str, Tokens],
        site: tuple[str, Span],
        depth: int,
        receiver: str | None = None,
        event: str = "",
        name: str = "",
    ) -> tuple[Tokens, ...]:
        """Instantiate the callee's summary on these arguments; what it returns. A method of an
        imported class's instance (`receiver`: its constructor's event) reads and leaves that
        instance's attributes; a constructor (`Prep(df)`: the class's `__init__`) starts one."""
        self.entries = {}
        found = self.callee(facts, caller, name or ev.cls, method=receiver is not None)
        if found is None and receiver is None and depth == 1 and event:
            found = self.callee(facts, caller, f"{ev.cls}.__init__", method=True)
            receiver = event if found is not None else None
        if found is None or depth > _MAX_DEPTH or self.instances >= _BUDGET:
            return ()
        callee_facts, summary = found
        state = self.objects.setdefault(receiver, {}) if receiver is not None else {}
        self.instances += 1
        instance = self.instances
        bound = summary.bind(((k, t) for k, t in args.items() if not k.startswith("*")), receiver is not None)
        label = summary.function
        handed: dict[str, str] = {}  # a handed preprocessor (its "self" argument) -> its last fit
        local: dict[str, Tokens] = {}
        rets: dict[str, tuple[Tokens, ...]] = {}
        prefix = f"{instance}/"

        def tr(data: tuple[str, ...]) -> Tokens:
            out: set[str] = set()
            for t in data:
                if t.startswith("@self."):
                    out |= state.get(t, frozenset({f"{prefix}src"}))
                elif t.startswith("fitted:self."):
                    out |= state.get(t, _EMPTY)
                elif t.startswith("@"):
                    out |= LeakSummary.param_rows(bound, t[1:])
                elif t == "src":
                    out.add(f"{prefix}src")
                elif t == "transductive":
                    out.add(f"transductive:{label}:{callee_facts.path}")  # where train and test were joined
                elif t.startswith("ret:"):
                    out |= _resolve(frozenset({t}), rets)
                else:
                    out |= local.get(t, _EMPTY)
            return frozenset(out)

        for i, step in enumerate(summary.events):
            data = tr(step.data)
            origin = (label, callee_facts.path, step.span, step.text)
            if step.op in ("fit", "stat", "resample") and (step.op != "fit" or step.kind in _LEAKY):
                name = _TOKEN[step.op]
                token = f"{prefix}{name}:#{i}"
                self.steps[token] = Step(token, step.op, step.cls, step.kind, data, site, origin, instance)
                local[f"{name}:#{i}"] = frozenset({token})
                if step.op == "fit" and step.obj.startswith("self.") and receiver is not None:
                    state[f"fitted:{step.obj}"] = frozenset({token})  # the instance's fitted object
                if step.op == "fit":
                    self.add(fit_on_test_side(self.steps[token], prefix))
            elif step.op in ("split", "cv"):
                self.check(data, step, site, origin, instance)
                local[f"train:#{i}"] = frozenset({f"{prefix}train:#{i}"})
                local[f"test:#{i}"] = frozenset({f"{prefix}test:#{i}"})
                self.split_at[f"{prefix}test:#{i}"] = (label, callee_facts.path, step.span)
            elif step.op == "call" and step.cls.startswith("@"):
                # a method of an object the caller handed over: an imported class's instance, a preprocessor
                inner = {a: tr(t) for a, t in _forward(summary, step.args, bound)}
                rets[str(i)] = self.handed(step, inner, site, origin, depth, instance, i, handed)
                if step.cls.endswith((".fit", ".fit_transform", ".partial_fit")):
                    fit = self.steps.get(f"{prefix}fitted:#{i}")
                    if fit is not None:
                        self.add(fit_on_test_side(fit, prefix))
            elif step.op == "call":
                inner = {a: tr(t) for a, t in _forward(summary, step.args, bound)}
                inner.pop("self", None)
                rets[str(i)] = self.call(callee_facts, summary.function, step, inner, site, depth + 1)
                rets.update((f"{i}@{path}", (toks,)) for path, toks in self.entries.items())
        parts = tuple(tr(part) for part in summary.returns)
        self.entries = {path: tr(toks) for path, toks in summary.keys}
        if receiver is not None:
            for attr, toks in summary.attrs:
                state["@" + attr] = tr(toks)
        return parts

    def handed(
        self,
        step: LeakEvent,
        args: dict[str, Tokens],
        site: tuple[str, Span],
        origin: tuple[str, str, Span, str],
        depth: int,
        instance: int,
        i: int,
        fits: dict[str, str],
    ) -> tuple[Tokens, ...]:
        """`prep.fit(df)` inside a callee, on the object its caller handed over: a method of an
        imported class's instance the caller made (its summary applied, with the instance's
        state), or a preprocessor's fit or transform (a step of this instance)."""
        method = step.cls.rpartition(".")[2]
        recv = args.pop("self", _EMPTY)
        events = self.summary.events  # "obj:K": the caller's K-th event made the instance
        made = sorted(k for t in recv if t.startswith("obj:") and (k := t[4:]).isdigit() and int(k) < len(events))
        if made and events[int(made[0])].op == "call":
            cls = events[int(made[0])].cls
            name = f"{cls}.{method}"
            return self.call(self.facts, self.summary.function, step, args, site, depth + 1, made[0], name=name)
        ests = sorted(t for t in recv if t.startswith("est:"))
        data = frozenset().union(*(t for a, t in args.items() if a in ("0", "1")))
        if not ests or not data:
            return ()
        _, kind, cls = ests[0].split(":", 2)
        key = str(step.args[0][1]) if step.args else ""
        if method in ("fit", "fit_transform", "partial_fit"):
            if kind not in _LEAKY:
                return ()
            token = f"{instance}/fitted:#{i}"
            self.steps[token] = Step(token, "fit", cls, kind, data, site, origin, instance)
            fits[key] = token
            return (args.get("0", _EMPTY) | {token},) if method == "fit_transform" else ()
        if method == "transform" and key in fits:
            return (args.get("0", _EMPTY) | {fits[key]},)
        return ()

    def callee(
        self, facts: FileFacts, caller: str, name: str, method: bool = False
    ) -> tuple[FileFacts, LeakSummary] | None:
        ref = self.project.resolve_callee(facts, caller, name)
        if ref is None or ref.path == facts.path or ("." in ref.qualname) != method:
            return None  # the file's own functions were applied in the parse phase
        target = self.project.files.get(ref.path)
        if target is None:
            return None
        for summary in target.leak_summaries:
            if summary.function == ref.qualname:
                return target, summary
        return None

    # -------------------------------------------------------------- checks

    def check(
        self,
        data: Tokens,
        ev: LeakEvent,
        site: tuple[str, Span],
        origin: tuple[str, str, Span, str] | None,
        instance: int,
    ) -> None:
        """Rows reaching a split or a cross-validation carry a fit's or a statistic's knowledge of
        rows that are not a training side (MLD801), or were made by resampling (MLD802)."""
        cv = ev.op == "cv"
        for token in sorted(data):
            step = self.steps.get(token)
            if step is None:
                continue
            if step.instance == instance and (instance or step.origin is None):
                # a fit and a split in one function: found in the parse phase, unless the rows were
                # a helper's concatenation of train and test (then said here, as transductive)
                if not (
                    instance == 0
                    and step.op == "fit"
                    and joined(step.data)
                    and "transductive" not in self.raw.get(step.token, ())
                    and not any(side(t) for t in step.data)
                ):
                    continue
            elif step.origin is None and origin is None:
                continue
            if step.op == "resample":
                self.add(resampled_before_split(step, ev, origin))
            else:
                self.add(preprocessing_leak(step, ev, site, origin, cv))

    def add(self, found: tuple[Smell, str] | None) -> None:
        """A question's finding (with the file it is in), kept if it is in this file."""
        if found is None:
            return
        smell, path = found
        key = (smell.rule, smell.span.line, str(smell.span.column))  # one finding per place: the first fit
        if key in self.seen or path != self.facts.path:
            return
        self.seen.add(key)
        self.smells.append(smell)


def _forward(
    summary: LeakSummary, args: tuple[tuple[str, tuple[str, ...]], ...], bound: dict[str, Tokens]
) -> Iterator[tuple[str, tuple[str, ...]]]:
    """A callee's call arguments, with a `*args` / `**kwargs` it forwards whole
    (`f(*args, **kwargs)`) spelled as what its caller bound: element by element, entry by entry."""
    for a, toks in args:
        if a.startswith("*") and a != "**" and summary.star and toks == (f"@{summary.star}",):
            start = int(a[1:])
            k = 0
            while f"{summary.star}[{k}]" in bound:
                yield str(start + k), (f"@{summary.star}[{k}]",)
                k += 1
        elif a == "**" and summary.dstar and toks == (f"@{summary.dstar}",):
            prefix = f"{summary.dstar}["
            for n in sorted(n for n in bound if n.startswith(prefix)):
                yield n[len(prefix) : -1], (f"@{n}",)
        elif not a.startswith("*"):
            yield a, toks  # another sequence spread (`f(*batch)`): its elements are not known


def _resolve(tokens: Tokens, rets: dict[str, tuple[Tokens, ...]]) -> Tokens:
    """`ret:K` / `ret:K.I`: what the K-th event's call returned (element I of a tuple)."""
    if not any(t.startswith("ret:") for t in tokens):
        return tokens
    out: set[str] = set()
    for t in tokens:
        if not t.startswith("ret:"):
            out.add(t)
            continue
        k, _, i = t[4:].partition(".")
        if i.startswith("@"):  # an entry of a returned dict ("K.@train/X"), else the nearest enclosing one
            path = i[1:]
            while path and f"{k}@{path}" not in rets:
                path = path.rpartition("/")[0]
            if path:
                out |= rets[f"{k}@{path}"][0]
                continue
        parts = rets.get(k, ())
        if i.isdigit() and len(parts) > 1 and int(i) < len(parts):
            out |= parts[int(i)]
        else:
            out |= frozenset().union(*parts) if parts else _EMPTY
    return frozenset(out)


def cross_module_leaks(project: Project) -> dict[str, tuple[Smell, ...]]:
    """Per file, the leakage findings that cross into another module's function."""
    out: dict[str, tuple[Smell, ...]] = {}
    for path, facts in project.files.items():
        found: list[Smell] = []
        for summary in facts.leak_summaries:
            if any(e.op == "call" for e in summary.events):
                found.extend(_Judge(project, facts, summary).run())
        if found:
            found.sort(key=lambda s: (s.span.line, s.span.column, s.rule, s.message))
            out[path] = tuple(found)
    return out
