"""MLD701 unvalidated-external-data: data read from a file, URL or table reaching `fit`/`predict`
in the same scope with no validation (found by parse/detectors/external.py).

The detector reports every such scope; this rule keeps those whose data comes from outside the
project: a read resolved only to files that the project's own code writes (an intermediate of
its pipeline) is not external. By default it also keeps only scripts that the project's
launchers run (dvc.yaml stages, Makefiles, shell drivers, CI workflows): the code that runs
unattended, where nobody looks at the data before the model does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any, ClassVar

from mldebt.config import ConfigError
from mldebt.graph.build import Built
from mldebt.graph.facade import Site
from mldebt.model import Confidence
from mldebt.parse.facts import Smell, Span
from mldebt.rules.base import FileRule, Hit, data, is_test_path

SCOPES = ("launched", "scripts", "all")


class UnvalidatedExternalData(FileRule):
    id = "MLD701"
    name = "unvalidated-external-data"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"scope": (str, "launched")}

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        if self.options["scope"] not in SCOPES:
            raise ConfigError(f"'rules.MLD701.scope' must be one of {', '.join(SCOPES)}, not {self.options['scope']!r}")

    def accept(self, smell: Smell) -> bool:
        return self.options["scope"] == "all" or data(smell, "notebook") != "1"

    def check(self, built: Built) -> Iterator[Hit]:
        scope = self.options["scope"]
        launched = _launched(built) if scope == "launched" else set()
        internal = _internal_reads(built)
        for path in sorted(built.project.files):
            if scope == "launched" and path not in launched:
                continue
            for smell in built.project.files[path].smells:
                if smell.rule != self.id or not self.accept(smell):
                    continue
                reads = {r for r in data(smell, "reads").split(",") if r}
                if reads and reads <= internal.get(path, set()):
                    continue  # the project's own intermediate files: checked where they are written
                yield self._hit(path, smell)

    @staticmethod
    def _hit(path: str, smell: Smell) -> Hit:
        def site(span: Span, note: str = "") -> Site:
            return Site(path, span.line, span.column, span.end_line, span.end_column, note)

        return Hit(
            site=site(smell.span),
            message=smell.message,
            related=tuple(site(e.span, e.note) for e in smell.related),
            key=smell.key,
            confidence=Confidence(smell.confidence) if smell.confidence else None,
        )


def _internal_reads(built: Built) -> dict[str, set[str]]:
    """path -> "line:column" of its reads whose every artifact is written by the project's code."""
    written = {
        r.artifact
        for site in built.io_sites
        if site.fact.op == "write" and not is_test_path(site.path)
        for r in site.resolved
    }
    exact = {w for w in written if "*" not in w}
    patterns = [w for w in written if "*" in w]

    def is_written(artifact: str) -> bool:
        if artifact in exact:
            return True
        if any(fnmatchcase(artifact, p) for p in patterns):
            return True
        return "*" in artifact and any(fnmatchcase(w, artifact) for w in exact)

    out: dict[str, set[str]] = {}
    for site in built.io_sites:
        fact = site.fact
        if fact.op != "read" or fact.kind != "data" or not site.resolved:
            continue
        if all(is_written(r.artifact) for r in site.resolved):
            out.setdefault(site.path, set()).add(f"{fact.span.line}:{fact.span.column}")
    return out


def _launched(built: Built) -> set[str]:
    """Python files that a launcher (dvc.yaml, Makefile, shell script, CI workflow) runs."""
    mentioned = {m.strip("./") for f in built.project.files.values() for m in f.mentions}
    mentioned.discard("")
    out: set[str] = set()
    for path in built.project.files:
        if not path.endswith(".py"):
            continue
        if any(path == m or path.endswith("/" + m) for m in mentioned):
            out.add(path)
    return out
