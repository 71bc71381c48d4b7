"""Inline suppressions applied to a project's findings, with their audit trail and MLD707.

A `# mldebt: ignore[MLD201] -- reason` comment (parsed in parse/suppressions.py, in every file
kind) silences the findings of its rules on its own line and, when the comment stands alone on
its line, on the next line (in notebooks: the next line of the same cell). Each comment gets a
`SuppressionRecord` saying what it did; comments that suppress nothing although their rules ran,
that name a rule that does not exist, or that lack a reason under `require-reason`, are findings
of MLD707 unused-suppression (as ruff's RUF100 reports unused `noqa`). An MLD707 finding can be
silenced only by a comment naming MLD707 itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from mldebt.model import Finding, Location, RuleInfo, SuppressionRecord
from mldebt.parse.facts import FileFacts, Suppression

__all__ = ["RULE_ID", "Applied", "apply_suppressions"]

RULE_ID = "MLD707"

_Key = tuple[str, int | None, int]  # (path, cell, line)


@dataclass(frozen=True, slots=True)
class Applied:
    findings: tuple[Finding, ...]  # kept, plus MLD707 findings, sorted
    suppressed: int
    records: tuple[SuppressionRecord, ...]


def _matches(codes: Sequence[str], rule: str) -> bool:
    return not codes or any(rule.startswith(c) for c in codes)


def _where(facts: FileFacts, line: int) -> tuple[int | None, int]:
    """(cell, line in cell) of a line of the file; (None, line) outside notebooks."""
    if facts.line_map and 1 <= line <= len(facts.line_map):
        cell, in_cell, _ = facts.line_map[line - 1]
        return cell, in_cell
    return None, line


def _covered(facts: FileFacts, sup: Suppression) -> list[tuple[int | None, int]]:
    """The (cell, line) positions a suppression comment covers."""
    here = _where(facts, sup.line)
    out = [here]
    if sup.own_line:
        nxt = _where(facts, sup.line + 1)
        if nxt[0] == here[0]:  # in notebooks, only within the same cell
            out.append(nxt)
    return out


def apply_suppressions(
    findings: Sequence[Finding],
    files: Mapping[str, FileFacts],
    *,
    known_rules: Collection[str],
    rule_runs: Callable[[str, str], bool],
    require_reason: bool,
    info: RuleInfo | None,
) -> Applied:
    """Drop suppressed findings; audit every comment; add MLD707 findings when `info` is given.

    `rule_runs(path, code)` says whether rule `code` ran on file `path` (selected, not
    per-file-ignored): a comment for a rule that did not run is not called unused.
    """
    # every comment, with the codes it names that are real rules
    by_pos: dict[_Key, list[tuple[str, int]]] = {}  # position -> (path, index in facts.suppressions)
    for path in sorted(files):
        facts = files[path]
        for i, sup in enumerate(facts.suppressions):
            if require_reason and not sup.reason:
                continue
            for cell, line in _covered(facts, sup):
                by_pos.setdefault((path, cell, line), []).append((path, i))

    used: dict[tuple[str, int], set[str]] = {}  # comment -> rules it silenced
    counts: dict[tuple[str, int], int] = {}
    kept: list[Finding] = []
    for f in findings:
        loc = f.location
        hit = None
        for ref in by_pos.get((loc.path, loc.cell, loc.line), ()):
            if _matches(files[ref[0]].suppressions[ref[1]].codes, f.rule):
                hit = ref
                break
        if hit is None:
            kept.append(f)
            continue
        used.setdefault(hit, set()).add(f.rule)
        counts[hit] = counts.get(hit, 0) + 1

    records: list[SuppressionRecord] = []
    extra: list[Finding] = []
    for path in sorted(files):
        facts = files[path]
        for i, sup in enumerate(facts.suppressions):
            cell, line = _where(facts, sup.line)
            unknown = [c for c in sup.codes if not any(k.startswith(c) for k in known_rules)]
            silenced = used.get((path, i), set())
            if require_reason and not sup.reason:
                status, why = "no-reason", "has no reason (`require-reason` is set, so it suppresses nothing)"
            elif unknown:
                status, why = "unknown-rule", f"names no rule mldebt has: {', '.join(unknown)}"
            elif not sup.codes:
                status = "used" if silenced else "unused"
                why = "suppresses no finding (a bare `# mldebt: ignore` silences every rule on its line)"
            else:
                idle = [
                    c
                    for c in sup.codes
                    if not any(r.startswith(c) for r in silenced)
                    and any(rule_runs(path, k) for k in known_rules if k.startswith(c))
                ]
                if idle:
                    status, why = "unused", f"suppresses no finding of {', '.join(idle)}"
                elif silenced:
                    status, why = "used", ""
                else:
                    status, why = "rule-disabled", ""
            records.append(SuppressionRecord(path, line, sup.codes, sup.reason, status, counts.get((path, i), 0), cell))
            if info is not None and status in ("unused", "unknown-rule", "no-reason"):
                extra.append(_finding(info, facts, sup, line, cell, f"suppression comment {why}", status))

    # MLD707 findings are silenced only by a comment that names MLD707 (never by a bare ignore)
    for f in extra:
        loc = f.location
        refs = by_pos.get((loc.path, loc.cell, loc.line), [])
        if any(RULE_ID in files[p].suppressions[i].codes for p, i in refs):
            continue
        kept.append(f)
    total = sum(counts.values())
    return Applied(tuple(sorted(kept, key=Finding.sort_key)), total, tuple(records))


def _finding(
    info: RuleInfo, facts: FileFacts, sup: Suppression, line: int, cell: int | None, message: str, status: str
) -> Finding:
    raw = facts.line_map[sup.line - 1][2] if facts.line_map and sup.line <= len(facts.line_map) else None
    codes = ",".join(sup.codes)
    digest = hashlib.sha256(f"{info.id}|{facts.path}|{status}|{codes}|{sup.reason}".encode()).hexdigest()[:16]
    return Finding(
        rule=info.id,
        name=info.name,
        category=info.category,
        severity=info.severity,
        confidence=info.confidence,
        message=message,
        location=Location(facts.path, line, sup.column, line, sup.column + 1, cell, raw or None),
        fingerprint=digest,
    )
