"""SARIF 2.1.0 output shaped for GitHub code scanning (see the project's SARIF notes).

One run; every enabled rule described; repository-relative URIs under `%SRCROOT%`;
evidence as both `relatedLocations` and a code flow; file errors as tool notifications.
No timestamps, so output is byte-identical across runs.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from mldebt.model import (
    Confidence,
    FileError,
    Finding,
    Location,
    Related,
    Report,
    RuleInfo,
    Severity,
)

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/mldebt/mldebt"
FINGERPRINT_KEY = "mldebt/v1"
SRCROOT = "%SRCROOT%"
MAX_DESCRIPTION = 1024  # GitHub's limit for short/full descriptions
MAX_TITLE = 120  # shortDescription is shown as a one-line title

_PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}


def to_sarif(report: Report) -> str:
    """Serialise `report` as a SARIF 2.1.0 log with one run (indent 2, trailing newline)."""
    rules = _rules(report)
    index = {rule.id: i for i, rule in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "mldebt",
                "version": report.version,
                "semanticVersion": report.version,
                "informationUri": INFORMATION_URI,
                "rules": [_rule(rule) for rule in rules],
            }
        },
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [_notification(e) for e in sorted(report.errors)],
            }
        ],
        "originalUriBaseIds": {SRCROOT: {"uri": _root_uri(report.root)}},
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[f.rule]) for f in sorted(report.findings, key=Finding.sort_key)],
    }
    doc = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _rules(report: Report) -> list[RuleInfo]:
    """Enabled rules sorted by id, plus a stub for any rule that fired but was not listed."""
    rules = {rule.id: rule for rule in report.rules}
    for f in report.findings:
        if f.rule not in rules:
            rules[f.rule] = RuleInfo(
                id=f.rule,
                name=f.name,
                category=f.category,
                severity=f.severity,
                confidence=f.confidence,
                status="stable",
                summary="",
                doc="",
            )
    return [rules[key] for key in sorted(rules)]


def _rule(rule: RuleInfo) -> dict[str, Any]:
    summary = plain_text(rule.summary.strip()) or f"{rule.id} {rule.name}."
    doc = rule.doc.strip() or summary
    # No helpUri until the project has a public address: the doc travels in `help` instead.
    source = f"Rule documentation: `rules/{rule.id}-{rule.name}.md` in the mldebt sources; `mldebt explain {rule.id}`."
    markdown = f"{doc}\n\n{source}"
    return {
        "id": rule.id,
        "name": rule.pascal_name,
        "shortDescription": {"text": _title(summary)},
        "fullDescription": {"text": _truncate(summary)},
        "help": {"text": plain_text(markdown), "markdown": markdown},
        "defaultConfiguration": {"level": _level(rule.severity), "enabled": rule.default},
        "properties": {
            "tags": [rule.category, "maintainability"],
            "precision": _precision(rule.confidence),
            "problem.severity": _PROBLEM_SEVERITY[_level(rule.severity)],
        },
    }


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": _level(f.severity),
        "message": {"text": _sentence(f.message)},
        "locations": [{"physicalLocation": _physical(f.location)}],
    }
    if f.related:
        steps = [_related(r, i) for i, r in enumerate(f.related, start=1)]
        result["relatedLocations"] = steps
        result["codeFlows"] = [
            {
                "threadFlows": [
                    {"locations": [{"location": {k: v for k, v in step.items() if k != "id"}} for step in steps]}
                ]
            }
        ]
    if f.fingerprint:
        result["partialFingerprints"] = {FINGERPRINT_KEY: f.fingerprint}
    if f.fix is not None and f.location.cell is None:
        result["fixes"] = [_fix(f)]
    props: dict[str, Any] = {"category": f.category, "confidence": str(f.confidence)}
    if f.location.cell is not None:
        props["cell"] = f.location.cell
    result["properties"] = props
    return result


def _fix(f: Finding) -> dict[str, Any]:
    assert f.fix is not None
    replacements = [
        {
            "deletedRegion": {
                "startLine": e.line,
                "startColumn": e.column,
                "endLine": e.end_line,
                "endColumn": e.end_column,
            },
            "insertedContent": {"text": e.content},
        }
        for e in f.fix.edits
    ]
    return {
        "description": {"text": _sentence(f"{f.fix.message} ({f.fix.applicability} fix)")},
        "artifactChanges": [{"artifactLocation": _artifact(f.location.path), "replacements": replacements}],
    }


def _physical(loc: Location) -> dict[str, Any]:
    if loc.raw_line is not None:  # a notebook: the line of the .ipynb that holds the source line
        return {"artifactLocation": _artifact(loc.path), "region": {"startLine": loc.raw_line}}
    start_line, start_col = max(loc.line, 1), max(loc.column, 1)
    end_line = max(loc.end_line, start_line)
    end_col = max(loc.end_column, 1)
    if end_line == start_line:
        end_col = max(end_col, start_col)
    return {
        "artifactLocation": _artifact(loc.path),
        "region": {
            "startLine": start_line,
            "startColumn": start_col,
            "endLine": end_line,
            "endColumn": end_col,
        },
    }


def _related(r: Related, ident: int) -> dict[str, Any]:
    return {
        "id": ident,
        "physicalLocation": {
            "artifactLocation": _artifact(r.path),
            "region": (
                {"startLine": r.raw_line}
                if r.raw_line is not None
                else {"startLine": max(r.line, 1), "startColumn": max(r.column, 1)}
            ),
        },
        "message": {"text": _sentence(r.message)},
    }


def _notification(e: FileError) -> dict[str, Any]:
    return {
        "level": "warning" if e.partial else "error",
        "message": {"text": _sentence(e.message)},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact(e.path)}}],
    }


def _artifact(path: str) -> dict[str, str]:
    return {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT}


def _root_uri(root: str) -> str:
    """`file://` URI of the scan root, percent-encoded, ending in `/`."""
    posix = root.replace("\\", "/")
    if not posix.startswith("/"):
        posix = "/" + posix  # e.g. a Windows drive path `C:/src`
    uri = "file://" + quote(str(PurePosixPath(posix)), safe="/:")
    return uri if uri.endswith("/") else uri + "/"


def _level(severity: Severity | str) -> str:
    value = str(severity)
    return value if value in _PROBLEM_SEVERITY else "warning"


def _precision(confidence: Confidence | str) -> str:
    value = str(confidence)
    return value if value in ("high", "medium", "low") else "medium"


def _sentence(text: str) -> str:
    """The text as a sentence ending with a period (GitHub titles alerts by the first one)."""
    text = text.strip()
    return text if text.endswith(".") else text + "."


def _title(text: str) -> str:
    """A one-line title: the first sentence; when longer than `MAX_TITLE` characters, without
    its parentheses, then only its head before a colon or semicolon."""
    line = " ".join(text.split())
    end = re.search(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\.)\.(?!\.)(\s|$)", line)
    first = line[: end.start()] if end else line
    if len(first) > MAX_TITLE:
        first = re.sub(r" \([^()]*\)", "", first)
    if len(first) > MAX_TITLE:
        cut = re.search(r"[:;] ", first[30:])
        if cut is not None:
            first = first[: 30 + cut.start()]
    return _truncate(first.rstrip(" :;,"), MAX_TITLE)


def plain_text(markdown: str) -> str:
    """Markdown as plain text for `help.text`: no markup, code blocks indented, links spelled out."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(markdown)
    out: list[str] = []
    prefix: list[str] = []
    for tok in tokens:
        if tok.type == "bullet_list_open":
            prefix.append("- ")
        elif tok.type == "ordered_list_open":
            prefix.append("1. ")
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            prefix.pop()
        elif tok.type in ("fence", "code_block"):
            out.append("\n".join("    " + line for line in tok.content.rstrip("\n").split("\n")))
        elif tok.type == "inline":
            lead = "  " * (len(prefix) - 1) + prefix[-1] if prefix else ""
            out.append(lead + _inline_text(tok.children or []))
    return "\n\n".join(part for part in out if part.strip())


def _inline_text(children: list[Any]) -> str:
    text: list[str] = []
    href: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline", "html_inline"):
            text.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            text.append("\n")
        elif child.type == "link_open":
            href.append(str(child.attrs.get("href", "")))
        elif child.type == "link_close" and href:
            url = href.pop()
            if url and url not in text[-1:]:
                text.append(f" ({url})")
    return "".join(text)


def _truncate(text: str, limit: int = MAX_DESCRIPTION) -> str:
    """At most `limit` characters, cut at a word boundary with an ellipsis when too long."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"
