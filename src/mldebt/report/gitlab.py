"""GitLab Code Quality report: a JSON array of Code Climate issues, as GitLab's merge-request
widget reads it (`artifacts: reports: codequality:`).

Each issue has the fields GitLab documents as required: `description`, `check_name`,
`fingerprint` (unique per issue), `severity` (info, minor, major, critical, blocker) and
`location.path` with `location.lines.begin`; plus `type` and `categories` from Code Climate's
spec. Notebook findings point at the line of the .ipynb file.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from mldebt.model import Finding, Report

# mldebt severity -> GitLab's scale: an error breaks results, a warning is debt, a note advice.
SEVERITY = {"error": "critical", "warning": "major", "note": "minor"}


def to_gitlab(report: Report) -> str:
    issues = [_issue(f) for f in sorted(report.findings, key=Finding.sort_key)]
    for e in sorted(report.errors):
        issues.append(
            {
                "type": "issue",
                "description": f"mldebt could not analyse this file: {e.message}",
                "check_name": "mldebt/file-error",
                "categories": ["Bug Risk"],
                "fingerprint": hashlib.sha256(f"error|{e.path}|{e.message}".encode()).hexdigest()[:32],
                "severity": "info",
                "location": {"path": e.path, "lines": {"begin": 1}},
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


def _issue(f: Finding) -> dict[str, Any]:
    loc = f.location
    begin = loc.raw_line if loc.raw_line is not None else max(loc.line, 1)
    lines: dict[str, int] = {"begin": begin}
    if loc.raw_line is None and loc.end_line > loc.line:
        lines["end"] = loc.end_line
    fingerprint = f.fingerprint or hashlib.sha256(f"{f.rule}|{loc.path}|{f.message}".encode()).hexdigest()[:16]
    return {
        "type": "issue",
        "description": f"{f.rule} {f.message}",
        "check_name": f"{f.rule} {f.name}",
        "categories": ["Bug Risk" if str(f.severity) == "error" else "Complexity"],
        "fingerprint": fingerprint,
        "severity": SEVERITY.get(str(f.severity), "major"),
        "location": {"path": loc.path, "lines": lines},
    }
