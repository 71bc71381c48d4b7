"""The README is true: its demo output is what a real run prints, the commit it pins exists,
its CI snippet cannot hide errors, and its configuration sample loads as documented."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from mldebt.api import settings_for
from mldebt.catalog import load_rules
from mldebt.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, re.S)


def test_quick_start_demo_output_is_a_real_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the quick start runs from the top of a checkout
    result = CliRunner().invoke(main, ["check", "fixtures/demo", "--no-cache", "--no-color"])
    assert result.exit_code == 1
    out = result.output.splitlines()
    demo = next(b for b in _blocks("text") if "MLD301" in b)
    shown = [line for line in demo.splitlines() if line]
    assert shown[-1] == out[-1]  # the summary line, exactly
    positions = [out.index(line) for line in shown]  # every line printed, in this order
    assert positions == sorted(positions)


def test_pinned_commits_exist() -> None:
    pins = set(re.findall(r"(?:rev: |@)([0-9a-f]{40})\b", README))
    assert pins, "the install, pre-commit and CI snippets pin a commit"
    try:
        subprocess.run(["git", "rev-parse", "--git-dir"], cwd=ROOT, check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    for sha in sorted(pins):
        proc = subprocess.run(["git", "cat-file", "-e", f"{sha}^{{commit}}"], cwd=ROOT, capture_output=True)
        assert proc.returncode == 0, f"README pins {sha}, which this repository does not have"


def test_ci_snippet_uses_exit_zero_and_uploads_sarif() -> None:
    workflow = next(b for b in _blocks("yaml") if "upload-sarif" in b)
    assert "|| true" not in README
    assert "--exit-zero" in workflow and "--output-format sarif --output-file mldebt.sarif" in workflow
    assert "if: always()" not in workflow  # after exit 2 there is no file to upload
    assert "pip install mldebt" not in README  # nothing is published on a package index


def test_configuration_sample_loads_and_keeps_opt_in_rules_off(tmp_path: Path) -> None:
    sample = next(b for b in _blocks("toml") if b.startswith("[tool.mldebt]\n"))
    (tmp_path / "pyproject.toml").write_text(sample, encoding="utf-8")
    settings = settings_for(tmp_path)
    on = {code for code, info in load_rules().items() if settings.is_enabled(code, info.default)}
    opt_in = {code for code, info in load_rules().items() if not info.default}
    assert on & opt_in == {"MLD706"}  # only what extend-select names
    assert (settings.fail_on, settings.min_confidence, settings.require_reason) == ("warning", "medium", False)


def test_rule_table_lists_every_rule_as_its_doc_says() -> None:
    rows = re.findall(r"^\| (MLD\d{3}) \| ([\w-]+) \| ([\w-]+) \| (\w+) \| ([\w-]+) \|$", README, re.M)
    expected = [
        (r.id, r.name, r.category, str(r.confidence), "on" if r.default else "opt-in")
        for r in sorted(load_rules().values(), key=lambda r: r.id)
    ]
    assert rows == expected
    assert f"{len(expected)} rules cover every category" in README
