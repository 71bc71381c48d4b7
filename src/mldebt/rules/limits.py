"""Bounded output: a file cannot make a report unreadable (or 14 MB of JSON) with one rule.

A billion-laughs YAML or generated code can give one rule thousands of findings in one file; the
first `MAX_PER_RULE_PER_FILE` (in report order) are kept and the rest summed up in one line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from mldebt.model import FileError, Finding

__all__ = ["MAX_PER_RULE_PER_FILE", "cap_findings"]

MAX_PER_RULE_PER_FILE = 100


def cap_findings(
    findings: Sequence[Finding], limit: int = MAX_PER_RULE_PER_FILE
) -> tuple[list[Finding], list[FileError]]:
    """`findings` (sorted) with at most `limit` per (file, rule), and one summary line per cut."""
    seen: Counter[tuple[str, str]] = Counter()
    kept: list[Finding] = []
    for f in findings:
        key = (f.location.path, f.rule)
        seen[key] += 1
        if seen[key] <= limit:
            kept.append(f)
    notes = [
        FileError(
            path, f"{rule}: {n - limit:,} more findings not shown (at most {limit} per rule in one file)", partial=True
        )
        for (path, rule), n in sorted(seen.items())
        if n > limit
    ]
    return kept, notes
