"""JUnit XML for CI test-report views (GitLab `reports: junit`, Jenkins, Azure): one test suite
per file, one failing test case per finding, file errors as `<error>`; one passing case when the
project is clean, so the report is never empty.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import groupby

from mldebt.model import Finding, Report
from mldebt.report.text import format_location

# Characters XML 1.0 cannot carry at all, even escaped (hostile file names and messages).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def to_junit(report: Report) -> str:
    findings = sorted(report.findings, key=Finding.sort_key)
    errors = sorted(report.errors)
    root = ET.Element(
        "testsuites",
        name="mldebt",
        tests=str(max(1, len(findings) + len(errors))),
        failures=str(len(findings)),
        errors=str(len(errors)),
    )
    for path, group in groupby(findings, key=lambda f: f.location.path):
        items = list(group)
        suite = ET.SubElement(
            root, "testsuite", name=_x(path), tests=str(len(items)), failures=str(len(items)), errors="0"
        )
        for f in items:
            loc = f.location
            case = ET.SubElement(
                suite,
                "testcase",
                name=_x(f"{f.rule} {f.name} at {format_location(loc.path, loc.line, loc.column, loc.cell)}"),
                classname=_x(f"mldebt.{f.rule}"),
                file=_x(loc.path),
                line=str(loc.raw_line if loc.raw_line is not None else loc.line),
            )
            failure = ET.SubElement(case, "failure", message=_x(f.message), type=_x(f"{f.rule} {f.severity}"))
            steps = [f"{format_location(r.path, r.line, r.column, r.cell)}: {r.message}" for r in f.related]
            failure.text = _x(
                "\n".join([f"{format_location(loc.path, loc.line, loc.column, loc.cell)}: {f.message}", *steps])
            )
    if errors:
        suite = ET.SubElement(
            root, "testsuite", name="mldebt files", tests=str(len(errors)), failures="0", errors=str(len(errors))
        )
        for e in errors:
            case = ET.SubElement(suite, "testcase", name=_x(e.path), classname="mldebt.file", file=_x(e.path))
            ET.SubElement(case, "error", message=_x(e.message), type="file-error")
    if not findings and not errors:
        suite = ET.SubElement(root, "testsuite", name="mldebt", tests="1", failures="0", errors="0")
        ET.SubElement(suite, "testcase", name="no ML technical debt found", classname="mldebt")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _x(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
