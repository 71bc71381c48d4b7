"""What fails a run besides findings, and how the command line says so.

Files that could not be analysed fail the run (their debt would go unseen): the message names
them and gives the `extend-exclude` line that excludes them, relative to each file's project
root, for the configuration that applies there. Baseline entries that match no finding any more
are listed, so the baseline can be pruned.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from mldebt.model import Confidence, Report
from mldebt.roots import project_root

__all__ = ["apply_min_confidence", "fixed_note", "unanalysed_note"]

_MAX_LISTED = 10


def unanalysed_note(report: Report) -> str:
    """The stderr message for files that could not be analysed ("" when there are none)."""
    failed = [e for e in report.errors if not e.partial]
    if not failed:
        return ""
    top = Path(report.root)
    by_project: dict[str, list[str]] = {}
    for e in failed:
        full = top / e.path
        proj = project_root(full, top)
        rel = os.path.relpath(full, proj).replace(os.sep, "/")
        where = os.path.relpath(proj, top).replace(os.sep, "/")
        by_project.setdefault(where, []).append(rel if not rel.startswith("..") else e.path)
    n = len({e.path for e in failed})
    lines = [
        f"mldebt: {n} file{'' if n == 1 else 's'} could not be analysed (see the errors above); "
        "this fails the run. Fix them, or exclude them in the project's mldebt.toml or [tool.mldebt]:"
    ]
    for where, rels in sorted(by_project.items()):
        shown = sorted(set(rels))[:_MAX_LISTED]
        head = "" if where == "." else f"  in {where}/: "
        lines.append(f"{head or '  '}extend-exclude = {json.dumps(shown)}")
    return "\n".join(lines)


def fixed_note(fixed: Sequence[object], baseline: str) -> str:
    """The stderr message listing baseline entries fixed since it was recorded."""
    if not fixed:
        return ""
    n = len(fixed)
    lines = [
        f"mldebt: {n} finding{'' if n == 1 else 's'} in {baseline} no longer found (fixed, or the code moved "
        f"to another file); prune them with `mldebt baseline -o {baseline}`:"
    ]
    for e in fixed:
        lines.append(f"  {e.path}:{e.line}: {e.rule} {e.message}")  # type: ignore[attr-defined]
    return "\n".join(lines)


def apply_min_confidence(report: Report, minimum: str) -> Report:
    """The report without findings below `minimum`, counted in the summary."""
    floor = Confidence(minimum).rank
    shown = tuple(f for f in report.findings if f.confidence.rank >= floor)
    by_rule = Counter(f.rule for f in shown)
    summary = replace(
        report.summary,
        findings=len(shown),
        by_rule=tuple(sorted(by_rule.items())),
        below_confidence=report.summary.below_confidence + len(report.findings) - len(shown),
    )
    return replace(report, findings=shown, summary=summary)
