"""The CI formats (github, gitlab, junit, markdown) on hand-built reports and on the demo."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from markdown_it import MarkdownIt

from mldebt.api import analyze
from mldebt.model import Confidence, FileError, Finding, FlowEdge, Location, Related, Report, Severity, Summary
from mldebt.report import to_github, to_gitlab, to_junit, to_markdown

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "fixtures" / "demo"

LOOP = Finding(
    rule="MLD301",
    name="feedback-loop",
    category="feedback-loop",
    severity=Severity.WARNING,
    confidence=Confidence.HIGH,
    message="`model` in train.py is trained on its own predictions, 100% of them",
    location=Location("train.py", 16, 1, 16, 30),
    related=(
        Related("score.py", 11, 1, "`model` in score.py writes its predictions to `scores.csv`"),
        Related("train.py", 9, 5, "`features.csv` is read, with a, comma"),
    ),
    fingerprint="0123456789abcdef",
    flow=(
        FlowEdge(
            "artifact:scores.csv",
            "model:train.py::<module>::model",
            "trains-on",
            "scores.csv",
            "`model` in train.py",
            True,
        ),
        FlowEdge(
            "model:train.py::<module>::model",
            "artifact:scores.csv",
            "predicts-into",
            "`model` in train.py",
            "scores.csv",
            True,
        ),
        FlowEdge(
            "config:conf/p.yaml::data.scores",
            "function:train.py::<module>",
            "configures",
            "conf/p.yaml: data.scores",
            "train.py::<module>",
        ),
    ),
)
NOTEBOOK = Finding(
    rule="MLD801",
    name="preprocessing-leakage",
    category="data-leakage",
    severity=Severity.ERROR,
    confidence=Confidence.MEDIUM,
    message="scaler <b>fit</b> on rows\nthat go to the test split | *all* of them",
    location=Location("notebooks/explore, v2.ipynb", 3, 1, 3, 22, cell=4, raw_line=57),
    fingerprint="fedcba9876543210",
)
NOTE = Finding(
    rule="MLD702",
    name="unseeded-randomness",
    category="reproducibility-debt",
    severity=Severity.NOTE,
    confidence=Confidence.LOW,
    message="draws random numbers \x1b[31m with no seed",
    location=Location("train.py", 3, 1, 3, 9),
    fingerprint="aaaaaaaaaaaaaaaa",
)
REPORT = Report(
    version="0.1.0",
    root="/src",
    findings=(NOTE, NOTEBOOK, LOOP),
    errors=(FileError("old.py", "cannot parse: invalid syntax"),),
    summary=Summary(files=3, lines=40, findings=3, errors=1),
)
EMPTY = Report(version="0.1.0", root="/src", findings=(), errors=(), summary=Summary(files=3, lines=40))


# -- github ------------------------------------------------------------------------------------


def test_github_annotations() -> None:
    lines = to_github(REPORT).splitlines()
    assert lines == [
        "::error file=notebooks/explore%2C v2.ipynb,line=57,title=MLD801 preprocessing-leakage::"
        "notebooks/explore, v2.ipynb:cell 4:3:1: MLD801 scaler <b>fit</b> on rows%0Athat go to the test split | *all* of them",
        "::notice file=train.py,line=3,col=1,endLine=3,endColumn=9,title=MLD702 unseeded-randomness::"
        "train.py:3:1: MLD702 draws random numbers \ufffd[31m with no seed",
        "::warning file=train.py,line=16,col=1,endLine=16,endColumn=30,title=MLD301 feedback-loop::"
        "train.py:16:1: MLD301 `model` in train.py is trained on its own predictions, 100%25 of them"
        "%0A  -> score.py:11:1: `model` in score.py writes its predictions to `scores.csv`"
        "%0A  -> train.py:9:5: `features.csv` is read, with a, comma",
        "::warning file=old.py,title=mldebt could not analyse this file::cannot parse: invalid syntax",
    ]
    assert to_github(EMPTY) == ""


# -- gitlab ------------------------------------------------------------------------------------

# GitLab's documented Code Quality report format (docs.gitlab.com/ci/testing/code_quality,
# "Code Quality report format"): no schema ships as a package, so its required fields as a schema.
GITLAB_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "type": {"const": "issue"},
            "categories": {"type": "array", "items": {"type": "string"}},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "minLength": 1},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}, "end": {"type": "integer"}},
                    },
                },
            },
        },
    },
}


def test_gitlab_code_quality() -> None:
    issues = json.loads(to_gitlab(REPORT))
    jsonschema.validate(issues, GITLAB_SCHEMA)
    assert len({i["fingerprint"] for i in issues}) == len(issues)  # GitLab shows one issue per fingerprint
    by_check = {i["check_name"]: i for i in issues}
    assert by_check["MLD801 preprocessing-leakage"]["severity"] == "critical"
    assert by_check["MLD801 preprocessing-leakage"]["location"] == {
        "path": "notebooks/explore, v2.ipynb",
        "lines": {"begin": 57},  # the line of the .ipynb file, which GitLab links to
    }
    assert by_check["MLD301 feedback-loop"]["fingerprint"] == "0123456789abcdef"
    assert by_check["MLD301 feedback-loop"]["severity"] == "major"
    assert by_check["MLD702 unseeded-randomness"]["severity"] == "minor"
    assert by_check["mldebt/file-error"]["location"] == {"path": "old.py", "lines": {"begin": 1}}
    assert json.loads(to_gitlab(EMPTY)) == []


# -- junit -------------------------------------------------------------------------------------


def test_junit_parses_and_counts() -> None:
    root = ET.fromstring(to_junit(REPORT))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "3", "1")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == ["notebooks/explore, v2.ipynb", "train.py", "mldebt files"]
    cases = [(c.get("classname"), c.get("line")) for c in suites["train.py"].iter("testcase")]
    assert cases == [("mldebt.MLD702", "3"), ("mldebt.MLD301", "16")]
    failure = suites["train.py"].findall("testcase")[1].find("failure")
    assert failure is not None
    assert failure.get("type") == "MLD301 warning"
    assert failure.text is not None and "score.py:11:1: `model` in score.py writes" in failure.text
    # a control character cannot be written in XML 1.0: replaced, and the document still parses
    note = suites["train.py"].findall("testcase")[0].find("failure")
    assert note is not None and note.get("message") == "draws random numbers \ufffd[31m with no seed"
    error = suites["mldebt files"].find("testcase/error")
    assert error is not None and error.get("message") == "cannot parse: invalid syntax"


def test_junit_clean_project_has_one_passing_case() -> None:
    root = ET.fromstring(to_junit(EMPTY))
    cases = list(root.iter("testcase"))
    assert len(cases) == 1 and not list(cases[0])


# -- markdown ----------------------------------------------------------------------------------


class _Balanced(HTMLParser):
    """Checks that every opened element is closed in order (HTML void elements aside)."""

    VOID = frozenset({"br", "hr", "img", "input", "meta", "link"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def html_of(markdown: str) -> str:
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    checker = _Balanced()
    checker.feed(html)
    checker.close()
    assert checker.problems == [] and checker.stack == []
    return html


def test_markdown_renders_to_valid_html() -> None:
    md = to_markdown(REPORT)
    html = html_of(md)
    assert md.startswith("## mldebt: 3 findings (1 error, 1 warning, 1 note) in 3 files (40 lines)\n")
    # the summary table, by category and rule
    assert "<th>category</th>" in html and "<td>data-leakage</td>" in html
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", html)
    assert rows == [("data-leakage", "MLD801"), ("feedback-loop", "MLD301"), ("reproducibility-debt", "MLD702")]
    # grouped by file, in order
    assert re.findall(r"<h3><code>(.*?)</code></h3>", html) == ["notebooks/explore, v2.ipynb", "train.py"]
    # text from the analysed code never becomes markup: no <b>, no emphasis, no table cell split
    assert "<b>" not in html and "&lt;b&gt;fit&lt;/b&gt;" in html and "<em>" not in html
    assert "\x1b" not in md
    # code spans in messages stay code; evidence steps are listed
    assert "<code>model</code> in train.py is trained" in html
    assert "<li><code>score.py:11:1</code>: <code>model</code> in score.py writes its predictions" in html
    # the loop as a Mermaid diagram, its edges thick
    assert '<pre><code class="language-mermaid">' in html
    diagram = md.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert "==>|trains-on|" in diagram and "==>|predicts-into|" in diagram and "-->|configures|" in diagram
    assert "classDef finding" in diagram
    assert "### Files that could not be analysed" in md


def test_markdown_too_big_a_subgraph_is_a_list() -> None:
    flow = tuple(
        FlowEdge(f"artifact:in{i}.csv", "model:t.py::<module>::m", "trains-on", f"in{i}.csv", "`m` in t.py", True)
        for i in range(40)
    )
    big = Finding(**{**{k: getattr(LOOP, k) for k in LOOP.__slots__}, "flow": flow})  # type: ignore[attr-defined]
    md = to_markdown(Report("0.1.0", "/src", (big,), (), Summary(files=1, lines=1, findings=1)))
    html_of(md)
    assert "```mermaid" not in md
    assert "The evidence spans 40 edges, too many for a diagram" in md
    assert "  - **`in0.csv` trains-on `m (in t.py)`**" not in md  # labels are the short forms
    assert "  - **`in0.csv` trains-on `m in t.py`**" in md


def test_markdown_stays_under_githubs_comment_limit() -> None:
    many = tuple(
        Finding(**{**{k: getattr(LOOP, k) for k in LOOP.__slots__}, "location": Location(f"f{i}.py", 1, 1, 1, 2)})  # type: ignore[attr-defined]
        for i in range(400)
    )
    md = to_markdown(Report("0.1.0", "/src", many, (), Summary(files=400, lines=400, findings=400)))
    assert len(md) <= 65_000
    assert "more findings left out to fit GitHub's size limit" in md
    html_of(md)


def test_markdown_clean_project() -> None:
    assert to_markdown(EMPTY) == "## mldebt: no findings in 3 files (40 lines)\n"


# -- on the demo ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    target = tmp_path_factory.mktemp("fmt") / "demo"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns(".mldebt_cache", "expected.txt"))
    return analyze([str(target)], root=target)


def test_demo_feedback_loop_diagram_is_the_loop(demo_report: Report) -> None:
    loop = next(f for f in demo_report.findings if f.rule == "MLD301")
    assert {(e.source, e.kind, e.target) for e in loop.flow} == {
        ("model:train.py::<module>::model", "saves", "artifact:models/churn.pkl"),
        ("artifact:models/churn.pkl", "loads", "model:score.py::<module>::model"),
        ("model:score.py::<module>::model", "predicts-into", "artifact:data/interim/scores.csv"),
        ("artifact:data/interim/scores.csv", "derives", "artifact:data/interim/clean.parquet"),
        ("artifact:data/interim/clean.parquet", "derives", "artifact:data/processed/features.parquet"),
        ("artifact:data/processed/features.parquet", "trains-on", "model:train.py::<module>::model"),
    }
    assert all(e.on_path for e in loop.flow)
    md = to_markdown(demo_report)
    html_of(md)
    assert md.count("```mermaid") == 4  # MLD101, MLD301 and the two MLD401: each with a picture


def test_demo_formats_are_byte_identical_across_runs(demo_report: Report, tmp_path: Path) -> None:
    target = tmp_path / "demo"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns(".mldebt_cache", "expected.txt"))
    again = analyze([str(target)], root=target)
    for render in (to_github, to_gitlab, to_junit, to_markdown):
        assert render(again) == render(demo_report)


# -- SARIF titles ------------------------------------------------------------------------------


def test_sarif_short_description_is_a_one_line_title() -> None:
    from mldebt.model import RuleInfo
    from mldebt.report import to_sarif

    summary = (
        "Flags a call of a scikit-learn (or imbalanced-learn) splitter, estimator or function that draws\n"
        "random numbers (shuffling, bootstrapping, initialisation) and is not given a `random_state`: "
        "every run then differs. See e.g. the glossary."
    )
    info = RuleInfo(
        "MLD703",
        "missing-random-state",
        "reproducibility-debt",
        Severity.WARNING,
        Confidence.HIGH,
        "preview",
        summary,
        f"## What it does\n\n{summary}\n\n- a [link](https://example.org)\n",
    )
    rule = json.loads(to_sarif(Report("0.1.0", "/src", (), (), Summary(), (info,))))["runs"][0]["tool"]["driver"][
        "rules"
    ][0]
    assert rule["shortDescription"]["text"] == (
        "Flags a call of a scikit-learn splitter, estimator or function that draws random numbers and is not given a "
        "random_state"
    )
    assert "helpUri" not in rule
    assert rule["help"]["text"].startswith("What it does\n\nFlags a call of a scikit-learn (or imbalanced-learn)")
    assert "- a link (https://example.org)" in rule["help"]["text"] and "`" not in rule["help"]["text"]


def test_readme_markdown_sample_is_real(demo_report: Report) -> None:
    """The README shows the demo's feedback-loop diagram: it must be what mldebt prints."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("  ```mermaid\n", 1)[1].split("  ```\n", 1)[0]
    printed = (
        to_markdown(demo_report).split("feedback loop: ", 1)[1].split("  ```mermaid\n", 1)[1].split("  ```\n", 1)[0]
    )
    assert shown == printed
