"""What a codemod proposes: text edits in 0-based (line, code-point column) positions of its unit."""

from __future__ import annotations

from dataclasses import dataclass

TEXT_ONLY = frozenset({"MLD404"})  # fixed from the text alone: no LibCST parse, no worker

Pos = tuple[int, int]  # 0-based line, 0-based code-point column


@dataclass(frozen=True, slots=True)
class RawEdit:
    start: Pos
    end: Pos
    content: str


@dataclass(frozen=True, slots=True)
class Proposal:
    applicability: str  # "safe" | "unsafe"
    message: str
    edits: tuple[RawEdit, ...]
