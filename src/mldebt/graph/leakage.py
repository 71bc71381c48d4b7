"""Leakage across modules (MLD801, MLD802, MLD805): function summaries applied at call sites.

The parse phase analyses one file: a call of the file's own function or method replays that
function's summary in place (parse/detectors/leakage.py). A call of an imported function is
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
into the helper's file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mldebt.graph.project import Project
from mldebt.parse.facts import Evidence, FileFacts, LeakEvent, LeakSummary, Smell, Span

Tokens = frozenset[str]
_EMPTY: Tokens = frozenset()
_MAX_DEPTH = 4
_BUDGET = 200  # instances of callee summaries per caller summary
_LEAKY = ("supervised", "scaler")
_TOKEN = {"fit": "fitted", "stat": "stat", "resample": "resampled"}  # a step's token in summaries


@dataclass(frozen=True, slots=True)
class _Step:
    """A fit, a statistic or a resampling, with where it happens and what it saw."""

    token: str
    op: str  # "fit" | "stat" | "resample"
    cls: str
    kind: str
    data: Tokens
    site: tuple[str, Span]  # the caller's line: its own fit, or the call that leads to the callee's
    origin: tuple[str, str, Span, str] | None  # (callee label, its file, its line, its source) or None
    instance: int  # which instance of a callee made it (0: the caller itself)


@dataclass
class _Judge:
    project: Project
    facts: FileFacts
    summary: LeakSummary
    steps: dict[str, _Step] = field(default_factory=dict)
    smells: list[Smell] = field(default_factory=list)
    seen: set[tuple[str, int, str]] = field(default_factory=set)
    instances: int = 0
    raw: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the caller's fits, as the parse phase saw them
    # instances of imported classes, by their constructor's event: their `self` attributes and fits
    objects: dict[str, dict[str, Tokens]] = field(default_factory=dict)

    def run(self) -> list[Smell]:
        rets: dict[str, tuple[Tokens, ...]] = {}
        for i, ev in enumerate(self.summary.events):
            data = _resolve(frozenset(ev.data), rets)
            if ev.op in ("fit", "stat", "resample") and (ev.op != "fit" or ev.kind in _LEAKY):
                token = f"{_TOKEN[ev.op]}:#{i}"
                site = (self.facts.path, ev.span)
                self.steps[token] = _Step(token, ev.op, ev.cls, ev.kind, data, site, None, 0)
                self.raw[token] = ev.data
            elif ev.op in ("split", "cv"):
                self.check(data, ev, (self.facts.path, ev.span), None, 0)
            elif ev.op == "call":
                args = {a: _resolve(frozenset(t), rets) for a, t in ev.args if a != "self"}
                receiver = next((t[0][4:] for a, t in ev.args if a == "self" and t), None)
                site = (self.facts.path, ev.span)
                rets[str(i)] = self.call(self.facts, self.summary.function, ev, args, site, 1, receiver, str(i))
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
    ) -> tuple[Tokens, ...]:
        """Instantiate the callee's summary on these arguments; what it returns. A method of an
        imported class's instance (`receiver`: its constructor's event) reads and leaves that
        instance's attributes; a constructor (`Prep(df)`: the class's `__init__`) starts one."""
        found = self.callee(facts, caller, ev.cls, method=receiver is not None)
        if found is None and receiver is None and depth == 1 and event:
            found = self.callee(facts, caller, f"{ev.cls}.__init__", method=True)
            receiver = event if found is not None else None
        if found is None or depth > _MAX_DEPTH or self.instances >= _BUDGET:
            return ()
        callee_facts, summary = found
        state = self.objects.setdefault(receiver, {}) if receiver is not None else {}
        self.instances += 1
        instance = self.instances
        bound: dict[str, Tokens] = {}
        params = summary.params[1:] if receiver is not None else summary.params
        for key, tokens in args.items():
            if key.isdigit():
                if int(key) < len(params):
                    bound[params[int(key)]] = tokens
            else:
                bound[key] = tokens
        label = summary.function
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
                    out |= bound.get(t[1:], _EMPTY)
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
                self.steps[token] = _Step(token, step.op, step.cls, step.kind, data, site, origin, instance)
                local[f"{name}:#{i}"] = frozenset({token})
                if step.op == "fit" and step.obj.startswith("self.") and receiver is not None:
                    state[f"fitted:{step.obj}"] = frozenset({token})  # the instance's fitted object
                if step.op == "fit":
                    self.test_refit(self.steps[token], prefix)
            elif step.op in ("split", "cv"):
                self.check(data, step, site, origin, instance)
                local[f"train:#{i}"] = frozenset({f"{prefix}train:#{i}"})
                local[f"test:#{i}"] = frozenset({f"{prefix}test:#{i}"})
            elif step.op == "call":
                inner = {a: tr(t) for a, t in step.args}
                inner.pop("self", None)
                rets[str(i)] = self.call(callee_facts, summary.function, step, inner, site, depth + 1)
        parts = tuple(tr(part) for part in summary.returns)
        if receiver is not None:
            for attr, toks in summary.attrs:
                state["@" + attr] = tr(toks)
        return parts

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
                    and _joined(step.data)
                    and "transductive" not in self.raw.get(step.token, ())
                    and not any(_side(t) for t in step.data)
                ):
                    continue
            elif step.origin is None and origin is None:
                continue
            if step.op == "resample":
                self.resample(step, ev, origin, site)
                continue
            if any(_side(t) for t in step.data):
                continue  # fit on a training side (or a test side: MLD805's finding)
            self.leak(step, ev, site, origin, cv)

    def leak(
        self,
        step: _Step,
        ev: LeakEvent,
        site: tuple[str, Span],
        origin: tuple[str, str, Span, str] | None,
        cv: bool,
    ) -> None:
        path, span = step.site
        cls = step.cls.rsplit(".", 1)[-1]
        supervised = step.kind == "supervised"
        how = "are then cross-validated by" if cv else "are then split into train and test by"
        where = f"`{ev.text}`"
        if origin is not None:
            where += f" inside `{origin[0]}()` in `{origin[1]}`"
        if step.op == "stat":
            what = f"`{step.origin[3] if step.origin else cls}` is a statistic of all rows, and the data built from it"
            tail = "the test rows shaped the training data"
        elif supervised:
            what = f"`{cls}` learns from the target and the features of rows that"
            tail = "the evaluation sees data the preprocessing was fit on"
        else:
            what = f"`{cls}` learns its statistics from rows that"
            tail = "the evaluation sees data the preprocessing was fit on"
        message = f"{what} {how} {where}: {tail}"
        confidence = "medium" if cv and not supervised else ""
        joined = _joined(step.data)
        if joined:
            confidence = "medium"
            at = ""
            if joined.startswith("transductive:"):
                label, _, file = joined.removeprefix("transductive:").partition(":")
                at = f" inside `{label}()` in `{file}`"
            message = (
                f"`{cls}` is fit on the training rows and the unlabelled test rows together (transductive "
                f"preprocessing: train and test are concatenated{at} before the fit), and the training rows {how} "
                f"{where}: the validation score comes from rows the preprocessing was fit on"
            )
        related: list[Evidence] = []
        if step.origin is not None:
            label, opath, ospan, otext = step.origin
            verb = "statistic is computed" if step.op == "stat" else "fit happens"
            message += f" (the {verb} inside `{label}()` in `{opath}`, line {ospan.line}: `{otext}`)"
            done = f"`{otext}` is computed" if step.op == "stat" else f"`{cls}` is fit"
            related.append(Evidence(ospan, f"{done} here, inside `{label}()`", opath))
        if origin is not None:
            related.append(Evidence(ev.span, f"the rows are {'cross-validated' if cv else 'split'} here", origin[1]))
        if site[0] == path and site[1] != span:
            related.append(Evidence(site[1], "the rows it was fit on reach the evaluation here"))
        text = step.origin[3] if step.origin else ev.text
        self.add(
            Smell(
                "MLD801",
                span,
                message,
                key=f"cross:{step.op}:{cls}:{text}",
                related=tuple(related),
                confidence=confidence,
                data=(("supervised", "yes" if supervised else "no"),),
            ),
            path,
        )

    def resample(
        self, step: _Step, ev: LeakEvent, origin: tuple[str, str, Span, str] | None, site: tuple[str, Span]
    ) -> None:
        path, span = step.site
        related = []
        text = step.origin[3] if step.origin else step.cls
        if step.origin is not None:
            related.append(
                Evidence(step.origin[2], f"rows are resampled here, inside `{step.origin[0]}()`", step.origin[1])
            )
        if origin is not None:
            related.append(Evidence(ev.span, "the resampled data is split here", origin[1]))
        message = (
            f"`{text}` makes new rows before the split `{ev.text}`"
            f"{f' inside `{origin[0]}()` in `{origin[1]}`' if origin else ''}: copies and synthetic "
            "neighbours of training rows land in the test set"
        )
        if step.origin is not None:
            message += (
                f" (the rows are made inside `{step.origin[0]}()` in `{step.origin[1]}`, line {step.origin[2].line})"
            )
        self.add(Smell("MLD802", span, message, key=f"cross-resample:{text}", related=tuple(related)), path)

    def test_refit(self, step: _Step, prefix: str) -> None:
        """MLD805: a helper fits a preprocessor on rows that are only a test side of the caller's split."""
        tests = [t for t in step.data if _side(t) == "test"]
        trains = [t for t in step.data if _side(t) == "train"]
        if not tests or trains or all(t.startswith(prefix) for t in tests) or step.origin is None:
            return
        label, opath, ospan, otext = step.origin
        cls = step.cls.rsplit(".", 1)[-1]
        message = (
            f"`{cls}` is fit on a test side inside `{label}()` in `{opath}` (line {ospan.line}: `{otext}`): "
            "the test rows are transformed with their own statistics instead of the training set's, so "
            "train and test are on different scales"
        )
        path, span = step.site
        related = (Evidence(ospan, f"`{cls}` is fit here, inside `{label}()`", opath),)
        self.add(Smell("MLD805", span, message, key=f"cross-test-refit:{cls}:{otext}", related=related), path)

    def add(self, smell: Smell, path: str) -> None:
        key = (smell.rule, smell.span.line, str(smell.span.column))  # one finding per place: the first fit
        if key in self.seen or path != self.facts.path:
            return
        self.seen.add(key)
        self.smells.append(smell)


def _joined(tokens: Tokens) -> str:
    """A train+test concatenation the rows went through: the first, as a token ("" if none)."""
    return min((t for t in tokens if t.startswith("transductive")), default="")


def _side(token: str) -> str:
    """ "train" / "test" for a split side (of the caller, or "K/train:#I" of a callee's), else ""."""
    kind = token.rpartition("/")[2].partition(":")[0]
    return kind if kind in ("train", "test") else ""


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
