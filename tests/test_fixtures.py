"""Every fixture project: exact findings against `# expect:` markers, and a text-report snapshot.

Projects are `fixtures/MLD*/{positive,negative}/<case>/` (any directory there that holds files
directly; `positive/` or `negative/` itself counts when it holds files), `fixtures/demo`, and
`fixtures/good-practice` (a project that follows good practice: it must get no finding).
Each is scanned as its own root with its own `pyproject.toml`, if it has one.

Markers: a line that must produce a finding ends with `# expect: MLDnnn` (several codes are
comma-separated). The set of (file, line, rule) over *all* rules must equal the markers exactly.
In notebooks, put the marker at the end of the line inside the code cell; findings in notebooks
are reported at the line within the cell, and that is the line the marker stands for.
Positive projects must hold at least one marker of their rule, negative projects none of it.

Snapshots: each project has `expected.txt` beside its files, the text report
(`mldebt.report.render(report, "text", color=False)`) with the absolute scan root replaced by
`<root>`. After an intended change of messages or findings, regenerate them with

    MLDEBT_UPDATE_SNAPSHOTS=1 PYTHONPATH=src pytest tests/test_fixtures.py

and review the diff of the `expected.txt` files before committing them.

Known engine bugs: projects the engine currently gets wrong are listed in `KNOWN_FAILING`
(and `KNOWN_DUPLICATES`) with the reason; their tests are `xfail(strict=True)`, so the suite stays
green while the bug stays visible, and fixing the bug makes the test XPASS and fail until the
entry is removed (and the snapshot regenerated).
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import pytest
from helpers import actual, expected, scan

from mldebt.model import Report
from mldebt.report import render

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SNAPSHOT = "expected.txt"
UPDATE = os.environ.get("MLDEBT_UPDATE_SNAPSHOTS") == "1"

# fixtures/demo predates the marker convention and carries no `# expect:` comments; its findings
# are pinned here instead (every one of them is intended: see the docstrings of its files).
DEMO_FINDINGS = {
    ("pipeline/features.py", 7, "MLD201"),  # census extract not listed in conf/params.yaml
    ("pipeline/features.py", 6, "MLD401"),  # end of the undeclared ingest -> clean -> features chain
    ("pipeline/features.py", 10, "MLD401"),  # features.parquet also rewritten by the notebook
    ("pipeline/ingest.py", 6, "MLD201"),  # /home/dana/... export
    # end of the notebook -> train -> score chain (pipeline/ joins it only if run from the root)
    ("score.py", 8, "MLD401"),
    ("train.py", 11, "MLD201"),  # support_tickets.csv not declared
    ("train.py", 12, "MLD202"),  # promotions read from a live API URL: unversioned
    ("train.py", 16, "MLD101"),  # four sources
    ("train.py", 16, "MLD301"),  # scores -> clean -> features -> train
}

# Projects whose exact-findings test fails because of an engine bug (not a fixture problem).
KNOWN_FAILING: dict[str, str] = {}

# Projects where one smell is reported more than once at the same place (same file, line, rule).
KNOWN_DUPLICATES: dict[str, str] = {}


def _holds_files(directory: Path) -> bool:
    return any(p.is_file() and p.name != SNAPSHOT for p in directory.iterdir())


def _projects() -> list[Path]:
    out: list[Path] = []
    for rule_dir in sorted(p for p in FIXTURES.glob("MLD*") if p.is_dir()):
        for polarity in ("positive", "negative"):
            base = rule_dir / polarity
            if not base.is_dir():
                continue
            if _holds_files(base):
                out.append(base)  # the polarity folder is itself one project
            else:
                out.extend(d for d in sorted(base.iterdir()) if d.is_dir() and _holds_files(d))
    out.append(FIXTURES / "demo")
    out.append(FIXTURES / "good-practice")  # issue 3's acceptance project: no finding at all
    return out


PROJECTS = _projects()
RULE_PROJECTS = [p for p in PROJECTS if p not in (FIXTURES / "demo", FIXTURES / "good-practice")]


def _id(project: Path) -> str:
    return project.relative_to(FIXTURES).as_posix()


def _params(projects: list[Path], known: dict[str, str]) -> list[object]:
    out = []
    for p in projects:
        reason = known.get(_id(p))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(p, id=_id(p), marks=marks))
    return out


def markers(root: Path) -> set[tuple[str, int, str]]:
    if root == FIXTURES / "demo":
        return expected(root) | DEMO_FINDINGS
    return expected(root)


@functools.cache
def _scan(root: Path) -> Report:
    # A rule's own fixtures run with the rule selected, even if it is opt-in (`default = false`);
    # every other rule runs as a user would see it, with the default selection.
    if root.relative_to(FIXTURES).parts[0].startswith("MLD"):
        return scan(root, **{"extend-select": [_rule_of(root)]})
    return scan(root)


def _rule_of(project: Path) -> str:
    return project.relative_to(FIXTURES).parts[0].split("-", 1)[0]


def _polarity(project: Path) -> str:
    return project.relative_to(FIXTURES).parts[1]


def test_fixture_projects_exist() -> None:
    """Each rule has positive and negative projects, and no case folder is silently skipped."""
    for rule_dir in sorted(p for p in FIXTURES.glob("MLD*") if p.is_dir()):
        for polarity in ("positive", "negative"):
            base = rule_dir / polarity
            assert any(p.parent == base or p == base for p in RULE_PROJECTS), f"{base} holds no fixture project"
            if base.is_dir() and not _holds_files(base):
                skipped = [d.name for d in sorted(base.iterdir()) if d.is_dir() and not _holds_files(d)]
                assert not skipped, f"case folders in {base} with no file of their own are not scanned: {skipped}"


@pytest.mark.parametrize("project", RULE_PROJECTS, ids=_id)
def test_fixture_polarity(project: Path) -> None:
    """Positive projects expect their rule at least once; negative projects never expect it
    (another rule may fire there: a fixture is real-looking code, and every rule runs on it)."""
    want = markers(project)
    if _polarity(project) == "positive":
        assert any(rule == _rule_of(project) for _, _, rule in want), "a positive project needs a marker of its rule"
    else:
        assert not any(rule == _rule_of(project) for _, _, rule in want), "a negative project must not expect its rule"


@pytest.mark.parametrize("project", _params(PROJECTS, KNOWN_FAILING))
def test_findings_match_markers(project: Path) -> None:
    assert actual(_scan(project)) == markers(project)


@pytest.mark.parametrize("project", _params(PROJECTS, KNOWN_DUPLICATES))
def test_one_finding_per_location(project: Path) -> None:
    """No smell is reported twice at the same place (the marker comparison works on sets)."""
    try:
        report = _scan(project)
    except Exception:
        if _id(project) in KNOWN_FAILING:
            pytest.skip(f"the scan fails: {KNOWN_FAILING[_id(project)]}")
        raise
    seen = [(f.location.path, f.location.line, f.rule) for f in report.findings]
    dupes = sorted({k for k in seen if seen.count(k) > 1})
    assert not dupes


_TIMING = re.compile(r"\d+(?:\.\d+)?\s*(?:ms|s|sec|seconds)\b")


@pytest.mark.parametrize("project", PROJECTS, ids=_id)
def test_text_report_snapshot(project: Path) -> None:
    try:
        report = _scan(project)
    except Exception:
        if _id(project) in KNOWN_FAILING:
            pytest.xfail(f"the scan fails: {KNOWN_FAILING[_id(project)]}")
        raise
    text = render(report, "text", color=False).replace(report.root, "<root>")
    summary = text.rstrip("\n").rsplit("\n", 1)[-1]
    assert not _TIMING.search(summary), f"the summary line must not hold timing: {summary!r}"
    snapshot = project / SNAPSHOT
    if UPDATE:
        snapshot.write_text(text, encoding="utf-8")
        return
    assert snapshot.is_file(), f"no snapshot {snapshot}; run with MLDEBT_UPDATE_SNAPSHOTS=1 to create it"
    assert text == snapshot.read_text(encoding="utf-8")
