"""MLD504 hardcoded-hyperparameter: literal hyper-parameters beside a configuration system
(found by parse/detectors/configuration.py)."""

from __future__ import annotations

from collections.abc import Iterator

from mldebt.graph.build import Built
from mldebt.graph.configflow import Param
from mldebt.parse.facts import Smell, Span
from mldebt.rules.base import FileRule, Hit, data
from mldebt.rules.mld501_undefined_config_key import site


class HardcodedHyperparameter(FileRule):
    id = "MLD504"
    name = "hardcoded-hyperparameter"

    def check(self, built: Built) -> Iterator[Hit]:
        """A smell found in a function that receives a configuration parameter (`data`
        "carriers") stands only where some caller passes it a real configuration
        (graph/configflow.py); the call site is the evidence."""
        receivers = built.project.config_flow.receivers() if _any_carried(built) else {}
        yield from super().check(built)
        for path in sorted(built.project.files):
            for smell in built.project.files[path].smells:
                carriers = data(smell, "carriers") if smell.rule == self.id else ""
                if not carriers:
                    continue
                passed = _passed(receivers, path, carriers.split())
                if passed is None:
                    continue
                caller, span = passed
                yield Hit(
                    site=site(path, smell.span),
                    message=smell.message,
                    related=(site(caller, span, "the configuration is passed here"),),
                    key=smell.key,
                )

    def accept(self, smell: Smell) -> bool:
        return not data(smell, "carriers")


def _any_carried(built: Built) -> bool:
    return any(s.rule == "MLD504" and data(s, "carriers") for f in built.project.files.values() for s in f.smells)


def _passed(receivers: dict[Param, tuple[str, Span]], path: str, carriers: list[str]) -> tuple[str, Span] | None:
    found = [receivers[p] for c in carriers if (p := Param(path, *c.rsplit(":", 1))) in receivers]
    return min(found, key=lambda s: (s[0], s[1].line, s[1].column)) if found else None
