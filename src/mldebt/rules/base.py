"""What a rule is: a class with an id, typed options, and a `check` over the project graph.

Rules yield `Hit`s (location, message, evidence, a stable key); the engine adds the metadata
from the rule's doc, the fingerprint, suppressions and per-file ignores.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from mldebt.graph.build import Built
from mldebt.graph.facade import Site
from mldebt.model import Confidence


@dataclass(frozen=True, slots=True)
class Hit:
    site: Site
    message: str
    related: tuple[Site, ...] = ()  # each Site.note is the evidence step's message
    key: str = ""  # stable identity of the smell, for the fingerprint (no line numbers)
    confidence: Confidence | None = None  # None: the rule's default


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


def is_test_path(path: str) -> bool:
    """Test code writes scratch files and reads fixtures by design: graph rules skip it."""
    parts = path.split("/")
    name = parts[-1]
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(p in ("tests", "test", "testing") for p in parts[:-1])
    )


def fmt_site(site: Site) -> str:
    return f"{site.path}:{site.line}"
