"""What a rule is: a class with an id, typed options, and a `check` over the project graph.

Rules yield `Hit`s (location, message, evidence, a stable key); the engine adds the metadata
from the rule's doc, the fingerprint, suppressions and per-file ignores.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from mldebt.model import Confidence
from mldebt.parse.detectors.context import is_test_path as is_test_path  # re-exported for the graph rules
from mldebt.parse.facts import Smell, Span

if TYPE_CHECKING:  # the graph loads only when rules run: the parse phase imports file rules for `detect`
    from mldebt.graph.build import Built
    from mldebt.graph.facade import Site


@dataclass(frozen=True, slots=True)
class Hit:
    site: Site
    message: str
    related: tuple[Site, ...] = ()  # each Site.note is the evidence step's message
    key: str = ""  # stable identity of the smell, for the fingerprint (no line numbers)
    confidence: Confidence | None = None  # None: the rule's default
    edges: tuple[tuple[str, str, str], ...] = ()  # graph edges (source, target, kind) the evidence walks


class Rule:
    id: ClassVar[str]
    name: ClassVar[str]
    # option name -> (type, default)
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {}

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options = {k: default for k, (_, default) in self.OPTIONS.items()}
        self.options.update(options or {})

    def check(self, built: Built) -> Iterator[Hit]:
        raise NotImplementedError


class FileRule(Rule):
    """A rule whose findings its detector found in the parse phase.

    The detector is the rule module's own `detect(ctx: FileContext) -> Iterator[Smell | KeyUse]`
    (listed in `parse/detectors/__init__.py`, which runs it on each file's `ast` tree; the
    results are cached with the file's facts). `check` turns the file's `Smell`s of this rule
    into hits; `accept` is where options apply, from the measured knobs the detector put in
    `Smell.data`, so the cache never depends on settings.
    """

    # test code builds scenarios on synthetic data on purpose: rules that judge a pipeline's
    # data flow (leakage) skip it, as the graph rules do
    skips_tests: ClassVar[bool] = False

    def accept(self, smell: Smell) -> bool:
        return True

    def check(self, built: Built) -> Iterator[Hit]:
        for path, smell in smells_by_rule(built).get(self.id, ()):
            if self.skips_tests and is_test_path(path):
                continue
            if not self.accept(smell):
                continue
            done = self.complete(built, path, smell)
            if done is not None:
                yield smell_hit(path, done)

    def complete(self, built: Built, path: str, smell: Smell) -> Smell | None:
        """A smell the detector left to the project phase (a call of another module's function),
        judged on what the project knows; None drops it."""
        return smell


_BY_RULE: list[tuple[weakref.ref[Built], dict[str, list[tuple[str, Smell]]]]] = []


def smells_by_rule(built: Built) -> dict[str, list[tuple[str, Smell]]]:
    """Every file's smells by rule id, files in path order, each file's parse-phase smells
    before the project phase's (`Built.smells`), which replace a parse-phase smell of the same
    rule at the same place. Made once per `built` for all file rules (each walked every file
    itself before: 50 rules x 1,800 files on transformers), kept only while `built` lives."""
    if _BY_RULE and _BY_RULE[0][0]() is built:
        return _BY_RULE[0][1]
    out: dict[str, list[tuple[str, Smell]]] = {}
    files = built.project.files
    for path in sorted(files):
        late = built.smells.get(path, ())
        redone = {(s.rule, s.span.line, s.span.column) for s in late}
        for smell in files[path].smells:
            if (smell.rule, smell.span.line, smell.span.column) not in redone:
                out.setdefault(smell.rule, []).append((path, smell))
        for smell in late:
            out.setdefault(smell.rule, []).append((path, smell))
    _BY_RULE[:] = [(weakref.ref(built, _forget), out)]
    return out


def _forget(ref: weakref.ref[Built]) -> None:
    if _BY_RULE and _BY_RULE[0][0] is ref:
        _BY_RULE.clear()


def site_of(path: str, span: Span, note: str = "") -> Site:
    from mldebt.graph.facade import Site

    return Site(path, span.line, span.column, span.end_line, span.end_column, note)


def smell_hit(path: str, smell: Smell, evidence: tuple[Site, ...] = ()) -> Hit:
    """A file rule's finding as the detector wrote it (its evidence may lie in another file),
    with more evidence from the project phase after it."""
    return Hit(
        site=site_of(path, smell.span),
        message=smell.message,
        related=(*(site_of(e.path or path, e.span, e.note) for e in smell.related), *evidence),
        key=smell.key,
        confidence=Confidence(smell.confidence) if smell.confidence else None,
    )


def data(smell: Smell, key: str, default: str = "") -> str:
    return dict(smell.data).get(key, default)


def fmt_site(site: Site) -> str:
    return f"{site.path}:{site.line}"
