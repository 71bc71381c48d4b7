"""One rule, one file: a file rule's detector (`detect`) lives in its rule module, the parse
phase runs every one of them, and the facts cache notices when one changes."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

from mldebt.parse import cache
from mldebt.parse.detectors import FILE_RULES, detectors
from mldebt.rules import REGISTRY
from mldebt.rules.base import FileRule

# File rules whose detectors still live in an area module of parse/detectors/ (being changed
# elsewhere; they move next). This set only shrinks.
NOT_MOVED: dict[str, str] = {}
# Shared analyses that run as detectors for facts no file rule owns (the graph rules' inputs)
FACTS_ONLY = {
    "config_keys": "KeyUses for MLD501-MLD503, MLD506 and the graph",
    "leakflow": "LeakSummaries for the project phase (graph/leakage.py); MLD801-805 ask its data flow",
}
# File rules with no detector of Python code: their smells come from another parser
NO_DETECTOR = {"MLD705": "parse/requirements.py (requirements and pyproject files)"}


def test_every_file_rule_has_its_detector_in_its_own_module() -> None:
    missing = []
    for rule in REGISTRY:
        if not issubclass(rule, FileRule) or rule.id in NO_DETECTOR:
            continue
        module = importlib.import_module(rule.__module__)
        own = getattr(module, "detect", None)
        has = own is not None and inspect.getmodule(own) is module
        if rule.id in NOT_MOVED:
            assert not has, f"{rule.id} has moved: drop it from NOT_MOVED"
        elif not has:
            missing.append(rule.id)
    assert missing == []


def test_every_detector_of_a_rule_module_runs_and_every_area_left_is_listed() -> None:
    rule_modules = {r.__module__ for r in REGISTRY if hasattr(importlib.import_module(r.__module__), "detect")}
    listed = {n for n in FILE_RULES if n.startswith("mldebt.rules.")}
    assert listed == rule_modules
    areas = {n.rsplit(".", 1)[1] for n in FILE_RULES if not n.startswith("mldebt.rules.")}
    assert areas == set(NOT_MOVED.values()) | set(FACTS_ONLY)
    ran = set(detectors())
    for name in sorted(listed):
        assert importlib.import_module(name).detect in ran, name


def test_the_facts_cache_key_covers_every_file_rule_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed detector must never be served stale smells: the cache version hashes each
    file rule module's source."""
    files = set(cache.code_files())
    for name in FILE_RULES:
        assert Path(importlib.import_module(name).__file__ or "") in files, name
    before = cache._code()
    target = Path(importlib.import_module("mldebt.rules.mld410_plain_old_data").__file__ or "")
    real = Path.read_bytes

    def edited(self: Path) -> bytes:
        return real(self) + (b"\n# changed\n" if self == target else b"")

    monkeypatch.setattr(Path, "read_bytes", edited)
    assert cache._code() != before


def test_the_three_reproducibility_rules_share_one_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """MLD702-704 ask one scan of the file (memoised per file), not one walk each."""
    import ast

    from mldebt.parse.detectors import repro
    from mldebt.parse.detectors.context import FileContext
    from mldebt.parse.facts import Smell

    runs: list[str] = []
    real = repro._Scanner.run

    def counted(self: repro._Scanner) -> repro.Scan:
        runs.append(self.ctx.rel)
        return real(self)

    monkeypatch.setattr(repro._Scanner, "run", counted)
    text = (
        "import numpy as np\nimport torch\nfrom sklearn.model_selection import train_test_split\n"
        "torch.manual_seed(0)\nx = np.random.rand(3)\na, b = train_test_split(x)\n"
        "for _ in range(3):\n    loss = model(x.cuda())\n    loss.backward()\n"
    )
    ctx = FileContext("train.py", "train", text, ast.parse(text))
    smells = [s for d in detectors() for s in d(ctx) if isinstance(s, Smell)]
    found = sorted((s.rule, s.span.line) for s in smells if s.rule in ("MLD702", "MLD703", "MLD704"))
    assert found == [("MLD702", 5), ("MLD703", 6), ("MLD704", 4)]
    assert runs == ["train.py"]


def test_key_uses_and_mld504_share_one_configuration_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """MLD504's detector asks the file's configuration scan (memoised per file) whether the file
    reads a configuration system; the key uses come from that same scan, not a second one."""
    import ast

    from mldebt.parse.detectors import config_keys
    from mldebt.parse.detectors.context import FileContext
    from mldebt.parse.facts import KeyUse, Smell

    runs: list[str] = []
    real = config_keys._Scan.run

    def counted(self: config_keys._Scan) -> list[KeyUse]:
        runs.append(self.ctx.rel)
        return real(self)

    monkeypatch.setattr(config_keys._Scan, "run", counted)
    text = (
        "import yaml\nfrom sklearn.ensemble import RandomForestClassifier\n"
        "cfg = yaml.safe_load(open('params.yaml'))\n"
        "clf = RandomForestClassifier(n_estimators=cfg['trees'], max_depth=8)\n"
    )
    ctx = FileContext("train.py", "train", text, ast.parse(text))
    found = [x for d in detectors() for x in d(ctx)]
    smells = sorted((s.rule, s.span.line) for s in found if isinstance(s, Smell) and s.rule == "MLD504")
    reads = sorted((u.key, u.span.line) for u in found if isinstance(u, KeyUse) and u.source == "config")
    assert smells == [("MLD504", 4)]
    assert reads == [(("trees",), 4)]
    assert runs == ["train.py"]


def test_rule_ids_without_importing_a_rule_are_the_registrys() -> None:
    from mldebt.rules import option_types, rule_ids

    assert rule_ids() == [r.id for r in REGISTRY]
    assert all(r.__module__.startswith(f"mldebt.rules.{r.id.lower()}_") for r in REGISTRY)
    assert dict(option_types()) == {r.id: {n: t for n, (t, _) in r.OPTIONS.items()} for r in REGISTRY}


def test_a_run_served_from_the_stored_report_imports_no_rule(tmp_path: Path) -> None:
    """Rule modules hold their detectors, so importing one is not free: validating settings needs
    only the rule ids (and the option types, when the configuration sets options)."""
    import subprocess
    import sys

    (tmp_path / "train.py").write_text("import numpy as np\nx = np.zeros(3)\ny = x == np.nan\n", encoding="utf-8")
    # the modules loaded, not `-X importtime`: it does not see `importlib.import_module` (the detectors')
    code = (
        "import atexit, sys\nfrom mldebt.cli import main\n"
        "atexit.register(lambda: print(sorted(m for m in sys.modules if m.startswith('mldebt.rules.mld')), file=sys.stderr))\n"
        "main(['check', '.', '--output-format', 'json'])\n"
    )
    check = [sys.executable, "-c", code]
    first = subprocess.run(check, cwd=tmp_path, capture_output=True, text=True)
    assert "MLD811" in first.stdout and "'mldebt.rules.mld811_nan_equivalence'" in first.stderr
    again = subprocess.run(check, cwd=tmp_path, capture_output=True, text=True)
    assert again.stdout == first.stdout
    assert again.stderr == "[]\n"


def test_the_five_leakage_rules_share_one_data_flow_and_the_summaries_come_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """MLD801-805 each ask the one leakage data flow of the file (each scope analysed once), and
    the function summaries it yields reach the facts once."""
    import ast

    from mldebt.parse.detectors import leakflow, run_all

    runs: list[str] = []
    real = leakflow.ScopeFlow.run

    def counted(self: leakflow.ScopeFlow) -> None:
        runs.append(getattr(self.scope, "name", "<module>"))
        real(self)

    monkeypatch.setattr(leakflow.ScopeFlow, "run", counted)
    text = (
        "import pandas as pd\nfrom imblearn.over_sampling import SMOTE\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from sklearn.model_selection import train_test_split\nfrom sklearn.preprocessing import StandardScaler\n"
        "\n\ndef prepare(df):\n    scaler = StandardScaler()\n    return scaler.fit_transform(df)\n\n\n"
        'df = pd.read_csv("data.csv")\n'
        'X = prepare(df.drop(columns="y"))\n'  # 14: fit inside prepare(), then split
        'X_res, y_res = SMOTE().fit_resample(X, df["y"])\n'  # 15: resampled before the split
        "X_train, X_test, y_train, y_test = train_test_split(X_res, y_res)\n"
        "test_scaler = StandardScaler()\n"
        "X_test = test_scaler.fit_transform(X_test)\n"  # 18: fit on the test side
        "model = LogisticRegression()\nmodel.fit(X_train, y_train)\n"
        "print(model.score(X_train, y_train))\n"  # 21: scored on its training rows
        "for c in (0.1, 1.0):\n    candidate = LogisticRegression(C=c)\n    candidate.fit(X_train, y_train)\n"
        "    print(candidate.score(X_test, y_test))\n"  # 25: one test set picks among candidates
    )
    smells, _, leaks, _ = run_all("train.py", "train", text, ast.parse(text))
    found = [(s.rule, s.span.line) for s in smells if s.rule.startswith("MLD80")]
    assert found == [("MLD801", 14), ("MLD802", 15), ("MLD805", 18), ("MLD804", 21), ("MLD803", 25)]
    assert [summary.function for summary in leaks] == ["prepare"]
    assert runs == ["<module>", "prepare"]
