"""How the CLI behaves where people run it: colour, pipes, help, progress, graph views."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from mldebt.api import analyze
from mldebt.cli import main
from mldebt.report.progress import ScanProgress, wanted

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "fixtures" / "demo"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture()
def demo(tmp_path: Path) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns(".mldebt_cache", "expected.txt"))
    return target


def run(*args: str, env: dict[str, str | None] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False, env=env)
    return result.exit_code, result.stdout, result.stderr


# -- colour ------------------------------------------------------------------------------------


def test_color_choice_and_environment(demo: Path) -> None:
    clean = {"FORCE_COLOR": None, "NO_COLOR": None}
    assert ANSI.search(run("check", str(demo), "--color", "always", env=clean)[1])  # a pipe, and still colour
    assert ANSI.search(run("check", str(demo), "--color", env=clean)[1])  # the old flag: always
    assert not ANSI.search(run("check", str(demo), "--no-color", env={"FORCE_COLOR": "1", "NO_COLOR": None})[1])
    assert not ANSI.search(run("check", str(demo), env=clean)[1])  # auto in a pipe: none
    assert ANSI.search(run("check", str(demo), env={"FORCE_COLOR": "1", "NO_COLOR": None})[1])
    assert not ANSI.search(run("check", str(demo), "--color", "never", env={"FORCE_COLOR": "1", "NO_COLOR": None})[1])
    assert not ANSI.search(run("check", str(demo), env={"FORCE_COLOR": None, "NO_COLOR": "1"})[1])
    plain = run("check", str(demo), env=clean)[1]
    assert ANSI.sub("", run("check", str(demo), "--color", "always", env=clean)[1]) == plain
    assert not ANSI.search(run("check", str(demo), "--color", "always", "--output-format", "json", env=clean)[1])


# -- pipes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["rules"], ["explain", "MLD301"], ["check", "DEMO"]])
def test_closed_pipe_ends_quietly(args: list[str], demo: Path) -> None:
    """`mldebt rules | head -1`: the reader is gone before mldebt writes; no message, no exit 2."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write now fails with EPIPE
    argv = [sys.executable, "-m", "mldebt", *[str(demo) if a == "DEMO" else a for a in args]]
    proc = subprocess.run(argv, stdout=write_end, stderr=subprocess.PIPE, text=True, check=False, timeout=120)
    os.close(write_end)
    assert proc.stderr == ""
    assert proc.returncode == (1 if args[0] == "check" else 0)  # check keeps its verdict: findings


# -- statistics, notebook locations ------------------------------------------------------------


def test_statistics_prints_the_table_only(demo: Path) -> None:
    code, out, _ = run("check", str(demo), "--statistics")
    assert code == 1
    assert out.splitlines() == [
        "3  MLD201  undeclared-data-dependency",
        "2  MLD401  pipeline-jungle",
        "1  MLD101  entangled-model-inputs",
        "1  MLD202  unstable-data-dependency",
        "1  MLD301  feedback-loop",
    ]


def test_notebook_locations_for_editors(demo: Path) -> None:
    _, cells, _ = run("check", str(demo), "--min-confidence", "low")
    assert "  -> notebooks/explore.ipynb:cell 4:3:1: also writes `data/processed/features.parquet`" in cells
    _, raw, _ = run("check", str(demo), "--min-confidence", "low", "--notebook-locations", "file")
    step = next(line for line in raw.splitlines() if "also writes `data/processed/features.parquet`" in line)
    match = re.fullmatch(r"  -> notebooks/explore\.ipynb:(\d+):1: also writes `data/processed/features\.parquet`", step)
    assert match, step
    raw_line = (demo / "notebooks" / "explore.ipynb").read_text().splitlines()[int(match[1]) - 1]
    assert "to_parquet" in raw_line  # the line of the .ipynb file that holds the write


# -- help ----------------------------------------------------------------------------------------


def test_every_command_and_option_has_help() -> None:
    assert isinstance(main, click.Group)
    missing = []
    for name, command in main.commands.items():
        if not (command.help and command.short_help):
            missing.append(name)
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden and not param.help:
                missing.append(f"{name} {param.opts[0]}")
    assert missing == []
    code, out, _ = run("--help")
    listing = out.split("Commands:", 1)[1]
    assert code == 0 and "(e.g" not in listing and "..." not in listing
    assert re.search(r"\n  explain +Print a rule's documentation \(by id or name\)\.\n", listing), listing


# -- progress ----------------------------------------------------------------------------------


class _Recorder:
    def __init__(self) -> None:
        self.phases: list[tuple[str, int | None]] = []
        self.files = 0
        self.cached = 0

    def phase(self, name: str, total: int | None = None) -> None:
        self.phases.append((name, total))

    def advance(self, files: int, cached: int) -> None:
        self.files += files
        self.cached += cached


def test_analyze_reports_phases_and_every_file(demo: Path) -> None:
    cold = _Recorder()
    first = analyze([str(demo)], root=demo, progress=cold)
    discovered = cold.phases[0][1]
    assert [name for name, _ in cold.phases] == ["parse", "graph", "rules"]
    assert discovered is not None and discovered >= first.summary.files and cold.files == discovered
    assert cold.cached == 0
    warm = _Recorder()
    second = analyze([str(demo)], root=demo, progress=warm)
    assert warm.files == discovered and warm.cached == second.summary.cached_files > 0
    assert first.findings == second.findings


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_after_the_delay() -> None:
    screen = _Terminal()
    with ScanProgress(screen, delay=0) as progress:
        progress.phase("parse", 40)
        progress.advance(30, 12)
        time.sleep(0.3)
    assert "parsing" in screen.getvalue() and "30/40" in screen.getvalue() and "12 from cache" in screen.getvalue()
    quick = _Terminal()
    with ScanProgress(quick, delay=5) as progress:  # a scan faster than the delay: nothing at all
        progress.phase("parse", 40)
        progress.advance(40, 40)
    assert quick.getvalue() == ""


def test_progress_only_on_a_terminal_and_not_quiet() -> None:
    assert wanted(False, _Terminal())
    assert not wanted(True, _Terminal())
    assert not wanted(False, io.StringIO())


# -- graph views -------------------------------------------------------------------------------


def test_graph_focus_on_a_rule_and_a_fingerprint(demo: Path) -> None:
    code, out, _ = run("graph", str(demo), "--format", "mermaid", "--focus", "MLD301")
    assert code == 0
    labels = re.findall(r'n\d+[\[({]+"(.*?)"', out)
    assert sorted(labels) == sorted(
        [
            "data/interim/clean.parquet",
            "data/interim/scores.csv",
            "data/processed/features.parquet",
            "models/churn.pkl",
            "model<br>score.py",
            "model (RandomForestClassifier)<br>train.py",
        ]
    )
    assert out.count("==>") == 6 and "-->" not in out  # the loop, all of it highlighted
    _, report, _ = run("check", str(demo), "--output-format", "json")
    fingerprint = next(f["fingerprint"] for f in json.loads(report)["findings"] if f["rule"] == "MLD101")
    code, out, _ = run("graph", str(demo), "--format", "mermaid", "--focus", fingerprint[:8])
    assert code == 0 and out.count("==>|trains-on|") == 4 and "scores.csv" not in out


def test_graph_focus_errors(demo: Path) -> None:
    code, _, err = run("graph", str(demo), "--focus", "MLD999")
    assert code == 2 and "no finding of MLD999" in err
    code, _, err = run("graph", str(demo), "--focus", "MLD202")  # a finding on one line: nothing to draw
    assert code == 2 and "no graph evidence" in err
    code, _, err = run("graph", str(demo), "--kinds", "reads,flows")
    assert code == 2 and "unknown edge kind 'flows'" in err


def test_graph_kinds_group_by_and_highlight(demo: Path) -> None:
    code, out, _ = run("graph", str(demo), "--format", "dot", "--kinds", "imports")
    assert code == 0 and set(re.findall(r'-> "[^"]+" \[label="([\w-]+)"', out)) == {"imports"}
    code, out, _ = run("graph", str(demo), "--format", "mermaid", "--group-by", "file")
    assert code == 0 and "subgraph f" in out and '["train.py"]' in out
    assert "pyproject.toml" not in out  # package metadata is not data flow
    assert "classDef finding" in out  # nodes in findings highlighted in the whole view too
    code, out, _ = run("graph", str(demo), "--format", "dot", "--group-by", "file")
    assert code == 0 and "subgraph cluster_" in out and 'color="#c62828"' in out


def test_graph_size_guard_warns_and_cuts(demo: Path) -> None:
    code, out, err = run("graph", str(demo), "--format", "mermaid", "--all", "--max-edges", "20")
    assert code == 0
    assert "mldebt: warning: the graph has 40 nodes and 73 edges, more than can be drawn readably" in err
    assert len(re.findall(r"(?:-->|==>)\|", out)) <= 20
    code, out, err = run("graph", str(demo), "--format", "mermaid", "--all", "--max-edges", "20", "-q")
    assert err == ""


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_graph_renders_to_png_with_graphviz(demo: Path, tmp_path: Path) -> None:
    for name, args in (
        ("demo", []),
        ("grouped", ["--group-by", "file"]),
        ("focus", ["--focus", "MLD301"]),
    ):
        dot_file = tmp_path / f"{name}.dot"
        code, _, _ = run("graph", str(demo), "--format", "dot", "-o", str(dot_file), *args)
        assert code == 0
        png = tmp_path / f"{name}.png"
        done = subprocess.run(
            ["dot", "-Tpng", str(dot_file), "-o", str(png)], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0 and done.stderr == ""
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000


def test_dot_packs_many_unconnected_parts_and_styles_edge_kinds() -> None:
    from mldebt.graph.view import View, ViewEdge, ViewNode, to_dot

    def view(parts: int) -> View:
        nodes = [ViewNode(f"artifact:in{i}", "artifact", f"in{i}", "") for i in range(parts)]
        nodes += [ViewNode(f"model:m.py::<module>::m{i}", "model", f"`m{i}` in m.py", "m.py") for i in range(parts)]
        edges = [ViewEdge(f"artifact:in{i}", f"model:m.py::<module>::m{i}", "trains-on") for i in range(parts)]
        return View(tuple(sorted(nodes, key=lambda n: n.id)), tuple(edges))

    assert "pack=true" not in to_dot(view(8))
    many = to_dot(view(9))
    assert 'pack=true; packmode="array_u";' in many
    assert '"artifact:in0" -> "model:m.py::<module>::m0" [label="trains-on", color="#2e7d32"' in many
