"""The stored report (mldebt.stored): a run where nothing changed is a lookup, and never a
different answer. Each test compares the shortcut's output with a full `--no-cache` run."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from mldebt import stored, workspace
from mldebt.api import analyze
from mldebt.cli import main
from mldebt.parse.cache import user_key

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "demo"
FORMATS = ("json", "sarif", "text")


class Spy:
    """Counts the facts collections a run starts: none when the stored report answers."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real: Callable[..., object] = workspace.collect_facts

        def counted(*args: object, **kwargs: object) -> object:
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(workspace, "collect_facts", counted)

    def take(self) -> int:
        calls, self.calls = self.calls, 0
        return calls


def check(*args: str) -> str:
    result = CliRunner().invoke(main, ["check", *args, "--exit-zero", "--color", "never"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def outputs(*args: str) -> dict[str, str]:
    return {fmt: check(*args, "--output-format", fmt) for fmt in FORMATS}


def entries(cache: Path) -> list[Path]:
    return sorted((cache / stored.LAYOUT).glob("*.json"))


@pytest.fixture()
def demo(tmp_path: Path) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns(".mldebt_cache", "expected.txt"))
    return target


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A report root holding two projects: the demo, and a nested one with its own settings."""
    top = tmp_path / "repo"
    shutil.copytree(DEMO, top / "churn", ignore=shutil.ignore_patterns(".mldebt_cache", "expected.txt"))
    nested = top / "services" / "batch"
    shutil.copytree(DEMO, nested, ignore=shutil.ignore_patterns(".mldebt_cache", "expected.txt", "pyproject.toml"))
    (nested / "pyproject.toml").write_text('[project]\nname = "batch"\n\n[tool.mldebt]\nignore = ["MLD202"]\n')
    (top / "pyproject.toml").write_text('[project]\nname = "top"\n')
    monkeypatch.chdir(top)
    return top


def test_demo_outputs_are_byte_identical_from_the_stored_report(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(monkeypatch)
    full = outputs(str(demo), "--root", str(demo), "--no-cache")
    assert spy.take() == 3 and not (demo / ".mldebt_cache").exists()
    assert json.loads(full["json"])["findings"]  # the demo has findings to get wrong
    check(str(demo), "--root", str(demo))  # cold: analyses, stores
    assert spy.take() == 1 and len(entries(demo / ".mldebt_cache")) == 1
    warm = outputs(str(demo), "--root", str(demo))
    assert spy.take() == 0  # every format answered by the one stored report
    assert warm == full


def test_a_partly_analysed_file_stays_partial_from_the_stored_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A notebook cell that is not Python is reported (SARIF: a warning) and does not fail the
    run; the stored report kept the error but lost `partial`, so a warm run failed."""
    cells = [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": [src]}
        for src in ("import pandas as pd\n", "this is not python (\n")
    ]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "explore.ipynb").write_text(json.dumps(notebook))
    spy = Spy(monkeypatch)
    runs = []
    for _ in range(2):  # cold, then from the stored report
        result = CliRunner().invoke(
            main, ["check", str(tmp_path), "--root", str(tmp_path), "--output-format", "sarif"], catch_exceptions=False
        )
        runs.append((result.exit_code, result.stdout))
    assert spy.take() == 1
    assert runs[0] == runs[1]
    notes = json.loads(runs[1][1])["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [(n["level"], n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for n in notes] == [
        ("warning", "explore.ipynb")
    ]
    assert runs[1][0] == 0


def test_nested_projects_byte_identical_and_invalidated(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(monkeypatch)

    def full() -> dict[str, str]:
        out = outputs(".", "--no-cache")
        spy.take()
        return out

    expected = full()
    rules = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in json.loads(
        expected["sarif"])["runs"][0]["results"]}  # fmt: skip
    assert ("MLD202", "churn/train.py") in rules and ("MLD202", "services/batch/train.py") not in rules
    check(".")
    assert spy.take() == 3  # one facts collection per project: the top, churn, services/batch
    assert outputs(".") == expected and spy.take() == 0

    # each change below is seen: the run analyses again and answers as a full run does
    edits: list[Callable[[], None]] = [
        lambda: (repo / "services" / "batch" / "train.py").write_text(
            (repo / "services" / "batch" / "train.py").read_text() + "\nopen('/home/dana/x.csv')\n"
        ),
        lambda: (repo / "services" / "batch" / "pyproject.toml").write_text('[project]\nname = "batch"\n'),
        lambda: (repo / "churn" / "pyproject.toml").write_text(
            (repo / "churn" / "pyproject.toml").read_text() + "\n[tool.mldebt.rules.MLD101]\nmax-sources = 5\n"
        ),
    ]
    for edit in edits:
        before = expected
        edit()
        expected = full()
        assert expected != before
        assert outputs(".") == expected
        assert spy.take() > 0  # the first format analysed again...
        assert outputs(".") == expected and spy.take() == 0  # ...and stored the new report
    assert len(entries(repo / ".mldebt_cache")) == 1  # one slot, replaced at each change


def test_only_and_other_paths_get_their_own_slot(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(monkeypatch)
    whole = check(".", "--output-format", "json")
    only = check("churn/train.py", "--only", "--output-format", "json")
    assert spy.take() == 4 and only != whole  # three projects, then the one of churn/train.py
    assert check("churn/train.py", "--only", "--output-format", "json") == only
    assert check(".", "--output-format", "json") == whole and spy.take() == 0
    paths = {f["path"] for f in json.loads(only)["findings"]}
    assert paths == {"churn/train.py"}


def test_an_entry_made_with_another_key_is_not_believed(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(monkeypatch)
    full = check(str(demo), "--root", str(demo), "--no-cache", "--output-format", "json")
    check(str(demo), "--root", str(demo))
    assert spy.take() == 2 and len(entries(demo / ".mldebt_cache")) == 1
    # another user's (or a committed) cache: same slot, same key, but not our secret
    monkeypatch.setenv("XDG_CACHE_HOME", str(demo.parent / "other-home"))
    assert check(str(demo), "--root", str(demo), "--output-format", "json") == full
    assert spy.take() == 1


def test_a_tampered_entry_is_a_miss(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(monkeypatch)
    full = check(str(demo), "--root", str(demo), "--no-cache", "--output-format", "json")
    check(str(demo), "--root", str(demo))
    spy.take()
    [entry] = entries(demo / ".mldebt_cache")
    mac, _, payload = entry.read_bytes().partition(b"\n")
    raw = json.loads(payload)
    raw["report"][2] = []  # hide every finding, keep the MAC
    entry.write_bytes(mac + b"\n" + json.dumps(raw).encode())
    assert check(str(demo), "--root", str(demo), "--output-format", "json") == full
    assert spy.take() == 1
    # forged with the right slot and key but an attacker's secret: an empty report
    secret = user_key()
    assert secret is not None
    report = analyze([str(demo)], root=demo)
    spy.take()
    empty = type(report)(report.version, report.root, (), (), report.summary)
    stored.save(demo / ".mldebt_cache", entry.stem, json.loads(entry.read_bytes().partition(b"\n")[2])["key"],
                b"attacker" * 4, empty)  # fmt: skip
    assert check(str(demo), "--root", str(demo), "--output-format", "json") == full
    assert spy.take() == 1


@pytest.mark.parametrize(
    "report",
    [
        '"not a list"',
        "[]",
        '["v", "/r", [["MLD101"]], [], [0,0,0,0,0,0,0,[],[],0,0,0,0], [], []]',
        '["v", "/r", [], [["a", 3]], [0,0,0,0,0,0,0,[],[],0,0,0,0], [], []]',
        '["v", "/r", [], [], [0,0,0,0,0,0,0,[],[],0,0,0,true], [], []]',
        '["v", "/r", [], [], [0,0,0,0,0,0,0,[],[],0,0,0,0], [], [["p", 1, ["X"], "", "used", 1, "c"]]]',
    ],
)
def test_malformed_entries_are_misses(tmp_path: Path, report: str) -> None:
    secret = b"k" * 32
    (tmp_path / stored.LAYOUT).mkdir()
    payload = f'{{"layout":"{stored.LAYOUT}","key":"K","report":{report}}}'.encode()
    mac = hmac.new(secret, payload, hashlib.sha256).hexdigest().encode()
    (tmp_path / stored.LAYOUT / "s.json").write_bytes(mac + b"\n" + payload)
    assert stored.load(tmp_path, "s", "K", secret) is None
    good = payload.replace(report.encode(), b'["v", "/r", [], [], [0,0,0,0,0,0,0,[],[],0,0,0,0], [], []]')
    mac = hmac.new(secret, good, hashlib.sha256).hexdigest().encode()
    (tmp_path / stored.LAYOUT / "s.json").write_bytes(mac + b"\n" + good)
    assert stored.load(tmp_path, "s", "K", secret) is not None  # the control: well formed, it loads


def test_an_overlay_is_never_answered_from_the_store(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(monkeypatch)
    first = analyze([str(demo)], root=demo)
    spy.take()
    assert analyze([str(demo)], root=demo).findings == first.findings and spy.take() == 0
    changed = analyze([str(demo)], root=demo, overlay={"train.py": b""})
    assert spy.take() == 1
    assert not any(f.location.path == "train.py" for f in changed.findings)
    assert analyze([str(demo)], root=demo).findings == first.findings  # the overlay stored nothing


def test_a_stored_report_run_loads_no_analysis(demo: Path) -> None:
    """Answered from the stored report, a check neither decodes facts nor loads the extractor,
    the graph builder, NetworkX, LibCST or rich (JSON output, no terminal)."""
    import subprocess
    import sys

    out = demo.parent / "out.json"
    code = (
        "import sys\nfrom mldebt.cli import main\n"
        f"args = ['check', {str(demo)!r}, '--root', {str(demo)!r}, '--exit-zero', '--output-format', 'json',"
        f" '-o', {str(out)!r}]\n"
        "try:\n    main(args)\nexcept SystemExit:\n    pass\n"
        "from mldebt.parse import cache\n"
        "heavy = ('networkx', 'libcst', 'rich', 'mldebt.parse.extract', 'mldebt.graph.tolerant', 'mldebt.fix.codemods')\n"
        "print(bool(cache._DECODERS), sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    cold = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert cold.startswith("False ['mldebt.graph.tolerant', 'mldebt.parse.extract'")  # the control: a full run
    first = out.read_bytes()
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert warm == "False []\n"
    assert out.read_bytes() == first


def test_a_run_where_a_worker_died_is_not_stored(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mldebt.parse import runner

    real = runner._run_in_process

    def killed(extract: object, tasks: list[tuple[object, ...]], progress: object = None) -> list[tuple[bool, object]]:
        return [(False, runner.CRASHED), *real(extract, tasks[1:], progress)]  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "_workers", lambda settings: 1)  # in this process, where the patch holds
    monkeypatch.setattr(runner, "_run_in_process", killed)
    crashed = analyze([str(demo)], root=demo)
    assert any(e.message == runner.CRASHED for e in crashed.errors)
    assert entries(demo / ".mldebt_cache") == []  # the next run analyses again
    monkeypatch.setattr(runner, "_run_in_process", real)
    assert not any(e.message == runner.CRASHED for e in analyze([str(demo)], root=demo).errors)
    assert len(entries(demo / ".mldebt_cache")) == 1
