"""The stored report: a scan where nothing changed is a lookup, and any change is a new scan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mldebt.api as api
from mldebt.api import analyze, settings_for
from mldebt.parse import results

TRAIN = """\
import pandas as pd
from sklearn.linear_model import LogisticRegression

df = pd.read_csv("data/train.csv")
model = LogisticRegression()
model.fit(df[["a"]], df["y"])
df["pred"] = model.predict(df[["a"]])
df.to_csv("data/train.csv")
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n", encoding="utf-8")
    (tmp_path / "train.py").write_text(TRAIN, encoding="utf-8")
    (tmp_path / "util.py").write_text("def helper():\n    return 1\n", encoding="utf-8")
    return tmp_path


def _run(root: Path, **overrides: object):
    return analyze([str(root)], settings_for(root, {"jobs": 1, **overrides}), root=root)


def _rows(report):
    return [(f.rule, f.location.path, f.location.line) for f in report.findings]


def _no_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("rules ran although nothing changed")

    monkeypatch.setattr(api, "run_rules", fail)


def test_nothing_changed_serves_the_stored_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)
    first = _run(root)
    assert ("MLD301", "train.py", 6) in _rows(first)  # the model is fit on what its predictions are written to
    _no_rules(monkeypatch)
    second = _run(root)
    assert second.findings == first.findings
    assert second.errors == first.errors
    assert second.summary.cached_files == 3  # train.py, util.py, pyproject.toml
    assert (second.summary.files, second.summary.lines, second.summary.by_rule) == (
        first.summary.files,
        first.summary.lines,
        first.summary.by_rule,
    )


def test_a_changed_file_or_setting_scans_again(tmp_path: Path) -> None:
    root = _project(tmp_path)
    first = _run(root)
    assert ("MLD301", "train.py", 6) in _rows(first)
    (root / "train.py").write_text(TRAIN.replace('df.to_csv("data/train.csv")', 'df.to_csv("data/scored.csv")'))
    assert ("MLD301", "train.py", 6) not in _rows(_run(root))
    (root / "train.py").write_text(TRAIN, encoding="utf-8")
    assert ("MLD301", "train.py", 6) in _rows(_run(root))
    assert _rows(_run(root, ignore=["MLD301"])) == [r for r in _rows(first) if r[0] != "MLD301"]
    assert _rows(_run(root)) == _rows(first)  # the other slot is still there


@pytest.mark.parametrize(
    "garbage",
    ["{not json", '{"key": "K", "report": {"findings": [["MLD301"]], "errors": [], "summary": []}}', "[]"],
)
def test_a_tampered_entry_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, garbage: str) -> None:
    root = _project(tmp_path)
    first = _run(root)
    entries = list((root / ".mldebt_cache" / results.LAYOUT).glob("*.json"))
    assert len(entries) == 1
    key = json.loads(entries[0].read_text(encoding="utf-8"))["key"]
    entries[0].write_text(garbage.replace('"K"', json.dumps(key)), encoding="utf-8")
    assert _run(root).findings == first.findings


def test_no_cache_stores_nothing(tmp_path: Path) -> None:
    root = _project(tmp_path)
    _run(root, **{"no-cache": True})
    assert not (root / ".mldebt_cache").exists()
