"""The baseline: findings recorded once (`mldebt baseline`), hidden afterwards (`check --baseline`).

Matching is by fingerprint, which names the rule, the file (relative to the report root) and the
smell's identity without line numbers, plus its rank among equal ones in the file: moving code
or editing other code keeps it, editing the smell itself or renaming the file does not. Each
baseline entry hides at most one finding; entries that match nothing are reported as fixed, so
the file can be pruned (run `mldebt baseline` again).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from mldebt.config import ConfigError
from mldebt.model import Report

__all__ = ["BaselineEntry", "apply_baseline", "baseline_json", "read_baseline"]

FORMAT = 1


@dataclass(frozen=True, slots=True, order=True)
class BaselineEntry:
    path: str
    line: int  # where it was when recorded: for people reading the file, not for matching
    rule: str
    fingerprint: str
    message: str


def baseline_json(report: Report) -> str:
    rows = sorted(
        BaselineEntry(f.location.path, f.location.line, f.rule, f.fingerprint, f.message) for f in report.findings
    )
    doc = {
        "mldebt_baseline": FORMAT,
        "version": report.version,
        "findings": [
            {"path": e.path, "line": e.line, "rule": e.rule, "fingerprint": e.fingerprint, "message": e.message}
            for e in rows
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def read_baseline(path: str | Path) -> tuple[BaselineEntry, ...]:
    """The entries of a baseline file; a missing or malformed file is a ConfigError."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such baseline file (create it with `mldebt baseline -o {path}`)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{path}: not a baseline file: {exc}") from None
    rows = doc.get("findings") if isinstance(doc, dict) and doc.get("mldebt_baseline") == FORMAT else None
    if not isinstance(rows, list):
        raise ConfigError(f"{path}: not an mldebt baseline file (format {FORMAT})")
    out = []
    for row in rows:
        try:
            out.append(
                BaselineEntry(
                    str(row["path"]), int(row["line"]), str(row["rule"]), str(row["fingerprint"]), str(row["message"])
                )
            )
        except (KeyError, TypeError, ValueError):
            raise ConfigError(f"{path}: malformed entry {row!r}") from None
    return tuple(out)


def apply_baseline(report: Report, entries: tuple[BaselineEntry, ...]) -> tuple[Report, tuple[BaselineEntry, ...]]:
    """The report without the findings the baseline holds, and the entries that matched nothing."""
    budget = Counter(e.fingerprint for e in entries)
    kept = []
    for f in report.findings:
        if budget[f.fingerprint] > 0:
            budget[f.fingerprint] -= 1
        else:
            kept.append(f)
    fixed = []
    for e in sorted(entries):
        if budget[e.fingerprint] > 0:
            budget[e.fingerprint] -= 1
            fixed.append(e)
    hidden = len(report.findings) - len(kept)
    by_rule = Counter(f.rule for f in kept)
    summary = replace(report.summary, findings=len(kept), in_baseline=hidden, by_rule=tuple(sorted(by_rule.items())))
    return replace(report, findings=tuple(kept), summary=summary), tuple(fixed)
