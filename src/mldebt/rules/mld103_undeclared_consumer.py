"""MLD103 undeclared-consumer: one component reads another's predictions or saved model by a raw path.

The producer is a write whose artifact a model's `predicts-into` or `saves` edge points at; the
consumer is a read of the same exact artifact on behalf of another file (its actor), with a path
written into its own code: a literal, a module global of its own, a literal passed to a helper.
A path both sides take from a config key or an imported constant, a launcher's argument, or a
pipeline file that runs both scripts, declares the dependency: then there is no finding.

A saved model loaded by a serving or evaluation script is the model's intended use; its raw path
is only reported (by default) when the producer declares the path and the consumer bypasses that
declaration with a literal of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from mldebt.graph.build import Built
from mldebt.graph.facade import Site
from mldebt.graph.project import Resolved, Via
from mldebt.model import Confidence, Resolution
from mldebt.rules.base import Hit, Rule, is_test_path
from mldebt.rules.mld102_correction_cascade import Models, short, where

# Resolution steps that are a declaration a reader can find: a shared constant, a config key,
# a command-line option (its default included), a launcher's argument, an environment variable.
_DECLARING = frozenset({"constant", "config-key", "config-default", "cli-default", "cli-flag", "argv", "env-default"})


@dataclass(frozen=True, slots=True, order=True)
class _Output:
    """A write of a model's output: who writes it, where, which model, and whether the path is declared."""

    actor: str
    site: Site
    model: str
    what: str  # "predictions" | "model"
    declared_by: str  # the declaring step (`conf/params.yaml:3 model.path`), "" when written raw


def _declaration(r: Resolved, reader: str) -> Via | None:
    """The first declaring step of a resolution; a constant of the reader's own module is no declaration."""
    for v in r.via:
        if v.kind in _DECLARING and not (v.kind == "constant" and v.path == reader):
            return v
    return None


def _raw(r: Resolved, reader: str) -> bool:
    """The path is written into the reading code itself, not taken from any declaration."""
    ok = (Resolution.EXACT, Resolution.IMPORTED, Resolution.PARAMETER)
    return r.how in ok and _declaration(r, reader) is None


class UndeclaredConsumer(Rule):
    id = "MLD103"
    name = "undeclared-consumer"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"all-model-files": (bool, False)}

    def check(self, built: Built) -> Iterator[Hit]:
        g = built.graph
        outputs = _outputs(built)
        if not outputs:
            return
        models = Models(built)
        all_models = bool(self.options["all-model-files"])
        pipelines = [set(f.mentions) for f in built.project.files.values() if f.declares_pipeline and f.mentions]
        reported: set[tuple[Site, str]] = set()
        for site in built.io_sites:
            if site.fact.op != "read" or site.fact.format in ("url", "hub"):
                continue
            for r in site.resolved:
                made = outputs.get(r.artifact, [])
                consumer = site.actor(r)
                if not made or not _raw(r, consumer) or is_test_path(consumer):
                    continue
                if any(o.actor == consumer for o in made):
                    continue  # the reader writes the file too: its own output, or one of several writers
                candidates = [
                    o
                    for o in made
                    if not any(_mentioned(o.actor, m) and _mentioned(consumer, m) for m in pipelines)
                    and (o.what == "predictions" or o.declared_by or all_models)
                ]
                read_at = site.actor_site(r)
                if not candidates or (read_at, r.artifact) in reported:
                    continue
                reported.add((read_at, r.artifact))
                out = min(candidates, key=lambda o: (o.what != "predictions", o))
                related: list[Site] = []
                if out.what == "predictions":
                    pred = models.predict_site(out.model, before=out.site)
                    if pred is not None:
                        note = f"{short(g, out.model)} predicts here"
                        related.append(Site(pred.path, pred.line, pred.column, note=note))
                    note = f"its predictions are written to `{r.artifact}`"
                    thing = f"the predictions of {short(g, out.model)}"
                else:
                    note = f"{short(g, out.model)} is saved to `{r.artifact}`"
                    thing = f"the saved model {short(g, out.model)}"
                related.append(Site(out.site.path, out.site.line, out.site.column, note=note))
                if out.declared_by:
                    how = f"bypassing the declaration the writer uses ({out.declared_by})"
                else:
                    how = "with no config key, shared constant or pipeline file declaring that dependency"
                yield Hit(
                    site=read_at,
                    message=(
                        f"undeclared consumer: `{consumer}` reads `{r.artifact}`, {thing} written at "
                        f"{where(built, out.site)}, through a path of its own, {how}"
                    ),
                    related=tuple(related),
                    key=f"{consumer}|{r.artifact}|{out.actor}",
                    confidence=Confidence.MEDIUM if out.what == "predictions" else Confidence.LOW,
                )


def _outputs(built: Built) -> dict[str, list[_Output]]:
    """Exact artifact -> the writes of a model's predictions or of the model itself into it."""
    g = built.graph
    kinds: dict[tuple[str, Site], tuple[str, str]] = {}  # (artifact node, write site) -> (model, what)
    for e in g.edges(["predicts-into", "saves"]):
        for s in e.sites:
            key = (e.target, Site(s.path, s.line, s.column, s.end_line, s.end_column))
            if key not in kinds or e.kind == "predicts-into":
                kinds[key] = (e.source, "predictions" if e.kind == "predicts-into" else "model")
    made: dict[str, set[_Output]] = defaultdict(set)
    for site in built.io_sites:
        if site.fact.op != "write":
            continue
        for r in site.resolved:
            hit = kinds.get((f"artifact:{r.artifact}", site.site))
            actor = site.actor(r)
            if hit is None or "*" in r.artifact or is_test_path(actor):
                continue
            step = _declaration(r, actor)
            declared_by = _describe(step) if step is not None else ""
            made[r.artifact].add(_Output(actor, site.actor_site(r), hit[0], hit[1], declared_by))
    return {a: sorted(v) for a, v in made.items()}


def _describe(step: Via) -> str:
    """A declaring step as a reader would look for it."""
    if step.kind == "constant":
        return f"the constant `{step.name}` of `{step.path}`"
    if step.kind in ("config-key", "config-default"):
        return f"the config key `{step.name}`" + (f" of `{step.path}`" if step.path else "")
    if step.kind in ("cli-default", "cli-flag"):
        return f"the option `--{step.name}`"
    if step.kind == "argv":
        return f"the argument `{step.path}` passes"
    return f"`${step.name}`"


def _mentioned(module: str, mentioned: set[str]) -> bool:
    """A pipeline file names a script by its path, or by `python -m` (which drops a `src/` layout)."""
    return module in mentioned or any(module.endswith("/" + m) for m in mentioned)
