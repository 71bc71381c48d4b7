"""The vocabulary every phase shares: findings, locations, errors and the report.

Imports neither libcst nor networkx, so formatters and the API stay light.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    def __str__(self) -> str:
        return self.value


class Confidence(str, enum.Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    def __str__(self) -> str:
        return self.value

    @property
    def rank(self) -> int:
        return {"high": 3, "medium": 2, "low": 1}[self.value]


class Resolution(str, enum.Enum):
    """How an artifact's identity was found from the code that touches it."""

    EXACT = "exact"  # literal, or constants folded in the same file
    IMPORTED = "imported"  # constant imported from another project module
    CONFIG = "config"  # value of a config file key / argparse default
    PARAMETER = "parameter"  # function parameter bound at a call site or by its default
    PATTERN = "pattern"  # partly known: a glob with holes
    UNRESOLVED = "unresolved"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A span in a scanned file. Lines and columns are 1-based; end_column is one past the end."""

    path: str  # POSIX, relative to the scan root
    line: int
    column: int
    end_line: int
    end_column: int
    cell: int | None = None  # notebook cell index, when the file is a notebook
    raw_line: int | None = None  # notebooks: the line of the .ipynb file holding this source line


@dataclass(frozen=True, slots=True, order=True)
class Related:
    """One step of the evidence behind a finding."""

    path: str
    line: int
    column: int
    message: str
    cell: int | None = None
    raw_line: int | None = None


@dataclass(frozen=True, slots=True, order=True)
class FlowEdge:
    """One edge of the project graph behind a finding, for a picture of its evidence.

    Node ids are the graph's `kind:qualifier` strings; `on_path` marks the loop or chain the
    finding is about (the rest is context).
    """

    source: str
    target: str
    kind: str  # the graph's edge kind: reads, writes, trains-on, derives ...
    source_label: str
    target_label: str
    on_path: bool = False


@dataclass(frozen=True, slots=True, order=True)
class Edit:
    """One replacement: the text from (line, column) up to (end_line, end_column) becomes `content`.

    Lines and columns are 1-based, columns count code points, the end is exclusive; in notebooks
    they are positions in cell `cell`'s source, as for findings.
    """

    line: int
    column: int
    end_line: int
    end_column: int
    content: str
    cell: int | None = None


@dataclass(frozen=True, slots=True)
class Fix:
    """How to fix one finding (see `mldebt.fix`): `applicability` is "safe" or "unsafe"."""

    applicability: str
    message: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str  # MLDnnn
    name: str  # kebab-case
    category: str  # taxonomy slug
    severity: Severity
    confidence: Confidence
    message: str
    location: Location
    related: tuple[Related, ...] = ()
    fingerprint: str = ""
    flow: tuple[FlowEdge, ...] = ()  # graph rules: the subgraph the evidence walks (not in JSON)
    fix: Fix | None = None  # set by `mldebt.fix` when a fix is known (never by the analysis)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.rule, self.message)


@dataclass(frozen=True, slots=True, order=True)
class FileError:
    """A file, or part of one, that was not analysed.

    `partial`: the file was analysed and only a part of it (a notebook cell that is not Python)
    or of its findings (past the per-rule cap) was left out; it is reported, and does not fail
    the run as a file that could not be analysed does.
    """

    path: str
    message: str
    partial: bool = False


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """A rule's metadata, read from its doc in `rules/`."""

    id: str
    name: str
    category: str
    severity: Severity
    confidence: Confidence
    status: str  # preview | stable | deprecated
    summary: str  # first paragraph of "What it does"
    doc: str  # the whole Markdown body
    default: bool = True  # in the default selection (false: opt-in with `select`/`extend-select`)

    @property
    def pascal_name(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("-"))


@dataclass(frozen=True, slots=True)
class Summary:
    files: int = 0
    lines: int = 0
    findings: int = 0
    errors: int = 0
    artifacts: int = 0
    io_sites: int = 0  # reads and writes of data seen
    resolved_io_sites: int = 0  # of which the artifact is known (exact, imported, config, parameter)
    by_resolution: tuple[tuple[str, int], ...] = ()
    by_rule: tuple[tuple[str, int], ...] = ()
    cached_files: int = 0
    suppressed: int = 0  # findings silenced by `# mldebt: ignore[...]` comments
    below_confidence: int = 0  # findings hidden by `min-confidence`
    in_baseline: int = 0  # findings hidden because the baseline file holds them
    duration_s: float = 0.0  # left out of JSON/SARIF so output stays byte-identical

    @property
    def resolution_rate(self) -> float:
        return self.resolved_io_sites / self.io_sites if self.io_sites else 1.0


@dataclass(frozen=True, slots=True)
class Report:
    version: str
    root: str  # absolute POSIX path of the scan root
    findings: tuple[Finding, ...]
    errors: tuple[FileError, ...]
    summary: Summary
    rules: tuple[RuleInfo, ...] = field(default=())  # the rules that were enabled
    suppressions: tuple[SuppressionRecord, ...] = field(default=())  # the audit trail, sorted


@dataclass(frozen=True, slots=True)
class SuppressionRecord:
    """One `# mldebt: ignore[...]` comment and what it did in this run.

    status: "used" (it suppressed something), "unused" (its rules ran and found nothing there),
    "unknown-rule" (a code no rule has), "no-reason" (`require-reason` is set and it has none:
    it suppresses nothing), "rule-disabled" (its rules did not run on this file).
    """

    path: str
    line: int
    codes: tuple[str, ...]  # empty: every rule
    reason: str
    status: str
    suppressed: int  # findings it silenced
    cell: int | None = None
