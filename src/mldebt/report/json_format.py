"""The stable JSON output: top-level `version`, `root`, `summary`, `findings`, `errors`.

Timing and cache counters are left out so two runs over the same tree are byte-identical.
"""

from __future__ import annotations

import json
from typing import Any

from mldebt.model import FileError, Finding, Fix, Report, Summary


def to_json(report: Report) -> str:
    """Serialise `report` to the documented JSON contract (indent 2, trailing newline)."""
    doc = {
        "version": report.version,
        "root": report.root,
        "summary": _summary(report.summary),
        "findings": [_finding(f) for f in sorted(report.findings, key=Finding.sort_key)],
        "errors": [_error(e) for e in sorted(report.errors)],
    }
    return json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def _summary(s: Summary) -> dict[str, Any]:
    return {
        "files": s.files,
        "lines": s.lines,
        "findings": s.findings,
        "errors": s.errors,
        "artifacts": s.artifacts,
        "io_sites": s.io_sites,
        "resolved_io_sites": s.resolved_io_sites,
        "resolution_rate": round(s.resolution_rate, 4),
        "by_resolution": dict(sorted(s.by_resolution)),
        "by_rule": dict(sorted(s.by_rule)),
        "suppressed": s.suppressed,
        "below_confidence": s.below_confidence,
        "in_baseline": s.in_baseline,
    }


def _finding(f: Finding) -> dict[str, Any]:
    loc = f.location
    return {
        "rule": f.rule,
        "name": f.name,
        "category": f.category,
        "severity": str(f.severity),
        "confidence": str(f.confidence),
        "message": f.message,
        "path": loc.path,
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line,
        "end_column": loc.end_column,
        "cell": loc.cell,
        "related": [
            {"path": r.path, "line": r.line, "column": r.column, "message": r.message, "cell": r.cell}
            for r in f.related
        ],
        "fingerprint": f.fingerprint,
        "fix": _fix(f.fix),
    }


def _fix(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "applicability": fix.applicability,
        "message": fix.message,
        "edits": [
            {
                "content": e.content,
                "line": e.line,
                "column": e.column,
                "end_line": e.end_line,
                "end_column": e.end_column,
                "cell": e.cell,
            }
            for e in fix.edits
        ],
    }


def _error(e: FileError) -> dict[str, object]:
    return {"path": e.path, "message": e.message, "partial": e.partial}
