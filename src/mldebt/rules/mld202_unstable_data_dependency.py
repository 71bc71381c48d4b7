"""MLD202 unstable-data-dependency: reads of sources that change under the reader (found by
parse/detectors/datadeps.py): unversioned URLs, `latest` paths, bucket prefixes and globs, SQL
tables with no snapshot, hub datasets and models with no pinned revision."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, data


class UnstableDataDependency(FileRule):
    id = "MLD202"
    name = "unstable-data-dependency"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"hub-revisions": (bool, True), "globs": (bool, True)}

    def accept(self, smell: Smell) -> bool:
        kind = data(smell, "kind")
        if kind == "hub" and not self.options["hub-revisions"]:
            return False
        return not (kind == "glob" and not self.options["globs"])
