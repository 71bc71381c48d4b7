"""Runs the enabled rules over the built graph and turns their hits into findings.

Adds what every finding shares: metadata from the rule's doc, notebook cells, a fingerprint
that survives unrelated edits, and per-file ignores (inline comments: `mldebt.suppressions`).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace

from mldebt.catalog import load_rules
from mldebt.graph.build import Built
from mldebt.graph.facade import Site
from mldebt.graph.view import EvidenceIndex
from mldebt.model import Finding, Location, Related, RuleInfo
from mldebt.parse.facts import FileFacts
from mldebt.rules import REGISTRY
from mldebt.rules.base import FileRule, Hit, Rule


def known_options() -> dict[str, dict[str, type]]:
    return {r.id: {name: typ for name, (typ, _) in r.OPTIONS.items()} for r in REGISTRY}


def enabled_rules(settings: object) -> list[Rule]:
    infos = load_rules()
    out: list[Rule] = []
    for cls in REGISTRY:
        if settings.is_enabled(cls.id, infos[cls.id].default):  # type: ignore[attr-defined]
            out.append(cls(settings.options(cls.id)))  # type: ignore[attr-defined]
    return out


def run_rules(built: Built, rules: Sequence[Rule], settings: object) -> list[Finding]:
    infos = load_rules()
    findings: list[Finding] = []
    evidence = EvidenceIndex(built.graph)
    for rule in rules:
        info = infos[rule.id]
        seen: Counter[str] = Counter()
        for hit in rule.check(built):
            if settings.ignored_for(hit.site.path, rule.id):  # type: ignore[attr-defined]
                continue
            base = f"{rule.id}|{hit.site.path}|{_without_lines(hit.key or hit.message)}"
            seen[base] += 1
            finding = _finding(info, hit, base, seen[base], built.project.files)
            # a file rule's steps are lines of one file, not a walk through the graph
            flow = () if isinstance(rule, FileRule) else evidence.flow(hit.site, hit.related, hit.edges)
            findings.append(replace(finding, flow=flow) if flow else finding)
    unique = {(f.rule, f.location, f.message): f for f in findings}
    return sorted(unique.values(), key=Finding.sort_key)


_LINE_REFS = re.compile(r"(\.[A-Za-z][A-Za-z0-9]{0,5})(?::\d+)+|\b(?:[Ll]ines?|cell) \d+(?:[-–]\d+)?(?::\d+)*")


def _without_lines(text: str) -> str:
    """A message without line references (`train.py:12`, `line 23`, `cell 4`), so fingerprints survive
    code moving in this file or in the files the evidence points at."""
    return _LINE_REFS.sub(lambda m: m.group(1) or "", text)


def _finding(info: RuleInfo, hit: Hit, base: str, n: int, files: Mapping[str, FileFacts]) -> Finding:
    digest = hashlib.sha256(f"{base}|{n}".encode()).hexdigest()[:16]
    return Finding(
        rule=info.id,
        name=info.name,
        category=info.category,
        severity=info.severity,
        confidence=hit.confidence or info.confidence,
        message=hit.message,
        location=_location(hit.site, files),
        related=tuple(_related(s, files) for s in hit.related),
        fingerprint=digest,
    )


def _location(site: Site, files: Mapping[str, FileFacts]) -> Location:
    end_line = site.end_line or site.line
    end_col = site.end_column or site.column
    facts = files.get(site.path)
    if facts is not None and facts.line_map:
        cell, line = _cell(facts, site.line)
        cell_end, line_end = _cell(facts, end_line)
        if cell_end != cell:
            line_end, end_col = line, site.column + 1
        raw = facts.line_map[site.line - 1][2] if 1 <= site.line <= len(facts.line_map) else 0
        return Location(site.path, line, site.column, line_end, end_col, cell, raw or None)
    return Location(site.path, site.line, site.column, end_line, end_col)


def _related(site: Site, files: Mapping[str, FileFacts]) -> Related:
    loc = _location(site, files)
    return Related(loc.path, loc.line, loc.column, site.note, loc.cell, loc.raw_line)


def _cell(facts: FileFacts, line: int) -> tuple[int, int]:
    if 1 <= line <= len(facts.line_map):
        cell, in_cell, _raw = facts.line_map[line - 1]
        return cell, in_cell
    return 0, line
