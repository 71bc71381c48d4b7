"""Adopting mldebt on a team's repository: roots, `--only`, configuration files, suppressions,
the baseline, thresholds and files that could not be analysed, through the command line."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mldebt.cli import main

UNDECLARED = 'import pandas as pd\n\ndf = pd.read_csv("/home/ana/exports/{name}.csv")\nprint(df.shape)\n'
SHELLOUT = (
    "import subprocess\n\nimport pandas as pd\n\n\ndef prep() -> None:\n"
    '    subprocess.run(["Rscript", "impute.R", "data/raw.csv", "data/imputed.csv"], check=True)\n'
    '    pd.read_csv("data/imputed.csv")\n'
)

_SQL_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures/MLD406-multiple-language/positive/sql/extract.py"
SQL = "".join(_SQL_FIXTURE.read_text(encoding="utf-8").splitlines(keepends=True)[:17]).replace("  # expect: MLD406", "")
SQL += "    return features\n"  # one large SQL query read with pandas: an MLD406 note of low confidence


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@x"
    out = subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def run(cwd: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(main, [*args, "--no-cache"])


def lines_of(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if ": MLD" in line]


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    """A course-style monorepo: no top-level pyproject.toml, two nested projects, a loose folder."""
    repo = tmp_path / "course"
    write(
        repo,
        {
            "05-deployment/code/pyproject.toml": "[project]\nname = 'deploy'\n",
            "05-deployment/code/predict.py": UNDECLARED.format(name="deploy"),
            "cohorts/2021/05-deployment/homework/pyproject.toml": "[project]\nname = 'hw'\n",
            "cohorts/2021/05-deployment/homework/q4_predict.py": UNDECLARED.format(name="hw"),
            "cohorts/2021/05-deployment/homework/clean.py": "print('ok')\n",
            "notes/scratch.py": UNDECLARED.format(name="notes"),
        },
    )
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    return repo


# -- roots -------------------------------------------------------------------------------------


def test_staged_files_in_two_projects_are_both_reported_with_repository_paths(
    monorepo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    staged = ["05-deployment/code/predict.py", "cohorts/2021/05-deployment/homework/q4_predict.py"]
    result = run(monorepo, "check", "--only", *staged, monkeypatch=monkeypatch)
    assert result.exit_code == 1, result.output
    assert [line.split(": MLD")[0] + ":MLD" + line.split(": MLD")[1][:3] for line in lines_of(result)] == [
        "05-deployment/code/predict.py:3:6:MLD201",
        "cohorts/2021/05-deployment/homework/q4_predict.py:3:6:MLD201",
    ]


def test_sarif_uris_are_relative_to_the_repository(monorepo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(
        monorepo / "cohorts",
        "check",
        "2021/05-deployment/homework",
        "--output-format",
        "sarif",
        monkeypatch=monkeypatch,
    )
    run0 = json.loads(result.output)["runs"][0]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run0["results"]]
    assert uris == ["cohorts/2021/05-deployment/homework/q4_predict.py"]
    assert run0["originalUriBaseIds"]["%SRCROOT%"]["uri"] == monorepo.resolve().as_uri() + "/"


def test_data_paths_resolve_against_the_project_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a feedback loop inside a nested project: its paths are relative to that project's root
    demo = Path(__file__).resolve().parents[1] / "fixtures" / "demo"
    repo = tmp_path / "mono"
    for src in demo.rglob("*"):
        if src.is_file() and ".mldebt_cache" not in src.parts and src.name != "expected.txt":
            dst = repo / "services" / "churn" / src.relative_to(demo)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(src.read_bytes())
    (repo / "services" / "churn" / "pyproject.toml").write_text("[project]\nname = 'churn'\n")
    git(repo, "init", "-q")
    result = run(repo, "check", monkeypatch=monkeypatch)
    loops = [line for line in lines_of(result) if "MLD301" in line]
    assert [line.split(": ")[0] for line in loops] == ["services/churn/train.py:16:1"]


def test_only_never_drops_a_given_file(monorepo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(monorepo, {"05-deployment/code/build/generated.py": UNDECLARED.format(name="gen")})
    result = run(monorepo, "check", "--only", "05-deployment/code/build/generated.py", monkeypatch=monkeypatch)
    assert [line.split(": ")[0] for line in lines_of(result)] == ["05-deployment/code/build/generated.py:3:6"]
    # files mldebt does not read (a hook may pass them) are skipped, not errors
    write(monorepo, {"README.md": "# course\n"})
    result = run(monorepo, "check", "--only", "README.md", monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output


def test_only_analyses_the_whole_project_of_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the finding sits in train.py but needs score.py and the other files to exist
    demo = Path(__file__).resolve().parents[1] / "fixtures" / "demo"
    result = run(demo, "check", "--only", "train.py", "--root", ".", monkeypatch=monkeypatch)
    assert "train.py:16:1: MLD301" in result.output


# -- configuration -----------------------------------------------------------------------------


def test_nested_configs_apply_to_their_subtree(monorepo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(monorepo, {"cohorts/2021/05-deployment/homework/mldebt.toml": 'ignore = ["MLD201"]\n'})
    result = run(monorepo, "check", monkeypatch=monkeypatch)
    assert [line.split(": ")[0] for line in lines_of(result)] == [
        "05-deployment/code/predict.py:3:6",
        "notes/scratch.py:3:6",
    ]


def test_dot_mldebt_toml_wins_and_extend_inherits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        tmp_path,
        {
            "shared/base.toml": 'ignore = ["MLD201"]\nmin-confidence = "low"\n',
            "proj/.mldebt.toml": 'extend = "../shared/base.toml"\nfail-on = "error"\n',
            "proj/mldebt.toml": 'ignore = ["MLD406"]\n',  # shadowed by .mldebt.toml
            "proj/load.py": UNDECLARED.format(name="x"),
            "proj/prep.py": SHELLOUT,
        },
    )
    result = run(tmp_path / "proj", "check", monkeypatch=monkeypatch)
    # MLD201 ignored (inherited); the low-confidence MLD406 note shown; notes do not fail
    assert [line.split(" [")[0] for line in lines_of(result)] == ["prep.py:7:5: MLD406"]
    assert result.exit_code == 0


def test_config_option_and_errors_name_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"load.py": UNDECLARED.format(name="x"), "ci.toml": 'ignore = ["MLD201"]\n'})
    assert run(tmp_path, "check", "--config", "ci.toml", monkeypatch=monkeypatch).exit_code == 0
    write(tmp_path, {"bad.toml": 'fail-on = "sometimes"\n'})
    result = run(tmp_path, "check", "--config", "bad.toml", monkeypatch=monkeypatch)
    assert result.exit_code == 2
    assert "bad.toml: 'fail-on' must be one of error, warning, note" in result.output
    write(tmp_path, {"a.toml": 'extend = "b.toml"\n', "b.toml": 'extend = "a.toml"\n'})
    result = run(tmp_path, "check", "--config", "a.toml", monkeypatch=monkeypatch)
    assert result.exit_code == 2 and "'extend' forms a cycle" in result.output


# -- thresholds --------------------------------------------------------------------------------


def test_fail_on_and_min_confidence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = "import numpy as np\n\n# x = np.zeros(3)\n# y = x + 1\n# print(y)\n\n\ndef f():\n    return np.ones(2)\n"
    write(tmp_path, {"sql.py": SQL, "old.py": old})
    result = run(tmp_path, "check", monkeypatch=monkeypatch)  # MLD404 note (high); MLD406 note (low) hidden
    assert [line.split(" [")[0] for line in lines_of(result)] == ["old.py:3:1: MLD404"]
    assert "1 below min-confidence hidden (`--min-confidence low` shows them)" in result.output
    assert result.exit_code == 0  # default fail-on: warning
    result = run(tmp_path, "check", "--min-confidence", "low", "--fail-on", "note", monkeypatch=monkeypatch)
    assert [line.split(" [")[0] for line in lines_of(result)] == ["old.py:3:1: MLD404", "sql.py:17:16: MLD406"]
    assert result.exit_code == 1
    write(tmp_path, {"load.py": UNDECLARED.format(name="x")})  # an MLD201 warning
    assert run(tmp_path, "check", monkeypatch=monkeypatch).exit_code == 1
    assert run(tmp_path, "check", "--fail-on", "error", monkeypatch=monkeypatch).exit_code == 0


def test_files_that_cannot_be_analysed_fail_unless_excluded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"ok.py": "print(1)\n", "legacy/py2.py": "print 'hello'\n"})
    result = run(tmp_path, "check", monkeypatch=monkeypatch)
    assert result.exit_code == 1
    assert 'extend-exclude = ["legacy/py2.py"]' in result.output
    write(tmp_path, {"mldebt.toml": 'extend-exclude = ["legacy/py2.py"]\n'})
    assert run(tmp_path, "check", monkeypatch=monkeypatch).exit_code == 0


# -- suppressions ------------------------------------------------------------------------------

KINDS = {
    "load.py": (
        "import pandas as pd\n\n"
        'a = pd.read_csv("/home/ana/a.csv")  # mldebt: ignore[MLD201] -- exported by the CRM job\n'
        "# mldebt: ignore[MLD201] -- same export, next line\n"
        'b = pd.read_csv("/home/ana/b.csv")\n'
        'c = pd.read_csv("/home/ana/c.csv")  # mldebt: ignore[MLD201]\n'
    ),
    "requirements.txt": "pandas==2.2.2\nxgboost  # mldebt: ignore[MLD705] -- newest on purpose\n",
    "params.yaml": "train:\n  lr: 0.1\n  # mldebt: ignore[MLD502] -- read by the dashboard\n  unused: 3\n",
    "train.py": 'import yaml\n\nlr = yaml.safe_load(open("params.yaml"))["train"]["lr"]\nprint(lr)\n',
    "pyproject.toml": "[project]\nname = 'x'\ndependencies = ['torch']  # mldebt: ignore[MLD705] -- CPU wheels\n",
    "Makefile": "prep:  # mldebt: ignore[MLD999] -- typo\n\tpython load.py\n",
    "run.sh": "#!/bin/sh\n# mldebt: ignore -- nothing to silence here\npython load.py\n",
}


def test_suppressions_in_every_file_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, KINDS)
    result = run(tmp_path, "check", monkeypatch=monkeypatch)
    assert [line.split(" [")[0] for line in lines_of(result)] == [
        "Makefile:1:8: MLD707",
        "pyproject.toml:3:27: MLD707",  # MLD705 reads requirements files, not pyproject.toml
        "run.sh:2:1: MLD707",
    ]
    assert "5 suppressed by comments" in result.output
    result = run(tmp_path, "check", "--require-reason", monkeypatch=monkeypatch)
    assert [line.split(" [")[0] for line in lines_of(result)] == [
        "Makefile:1:8: MLD707",
        "load.py:6:5: MLD201",
        "load.py:6:37: MLD707",
        "pyproject.toml:3:27: MLD707",
        "run.sh:2:1: MLD707",
    ]


def test_suppressions_audit_text_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, KINDS)
    result = run(tmp_path, "suppressions", "--output-format", "json", monkeypatch=monkeypatch)
    rows = [
        (r["path"], r["line"], r["codes"], r["status"], r["suppressed"], r["reason"]) for r in json.loads(result.output)
    ]
    assert rows == [
        ("Makefile", 1, ["MLD999"], "unknown-rule", 0, "typo"),
        ("load.py", 3, ["MLD201"], "used", 1, "exported by the CRM job"),
        ("load.py", 4, ["MLD201"], "used", 1, "same export, next line"),
        ("load.py", 6, ["MLD201"], "used", 1, ""),
        ("params.yaml", 3, ["MLD502"], "used", 1, "read by the dashboard"),
        ("pyproject.toml", 3, ["MLD705"], "unused", 0, "CPU wheels"),
        ("requirements.txt", 2, ["MLD705"], "used", 1, "newest on purpose"),
        ("run.sh", 2, [], "unused", 0, "nothing to silence here"),
    ]
    text = run(tmp_path, "suppressions", monkeypatch=monkeypatch).output
    assert "load.py:6: used          MLD201  suppressed 1  -- (no reason)" in text
    assert text.rstrip().endswith("8 suppression comments (1 unknown-rule, 2 unused, 5 used).")


# -- baseline ----------------------------------------------------------------------------------


def test_baseline_survives_moves_and_edits_and_lists_fixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        tmp_path,
        {
            "a.py": UNDECLARED.format(name="a"),
            "b.py": 'import pandas as pd\n\nx = pd.read_csv("/home/ana/b.csv")\ny = pd.read_csv("/home/ana/c.csv")\n',
            "requirements.txt": "pandas==2.2.2\nxgboost\n",
        },
    )
    result = run(tmp_path, "baseline", "-o", "base.json", monkeypatch=monkeypatch)
    assert result.output == "Recorded 4 findings in base.json.\n"
    assert run(tmp_path, "check", "--baseline", "base.json", monkeypatch=monkeypatch).exit_code == 0
    # lines move, other code is edited, one old smell is fixed, one new one appears
    write(
        tmp_path,
        {
            "a.py": '"""Loader."""\n\nimport os\n\n' + UNDECLARED.format(name="a") + "print(os.sep)\n",
            "b.py": 'import pandas as pd\n\n\nx = pd.read_csv("/home/ana/b.csv")\ny = pd.read_csv("data/c.csv")\n'
            'z = pd.read_csv("/home/ana/new.csv")\n',
            "requirements.txt": "# deps\nnumpy==1.26.4\npandas==2.2.2\nxgboost\n",
        },
    )
    result = run(tmp_path, "check", "--baseline", "base.json", monkeypatch=monkeypatch)
    assert [line.split(" [")[0] for line in lines_of(result) if not line.startswith("  ")] == ["b.py:6:5: MLD201"]
    assert "3 in the baseline hidden" in result.output
    assert "1 finding in base.json no longer found" in result.output
    assert "  b.py:4: MLD201" in result.output
    assert result.exit_code == 1


def test_only_counts_hidden_and_suppressed_findings_of_its_files(
    monorepo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        monorepo,
        {
            "notes/sql.py": SQL,
            "notes/more.py": 'import pandas as pd\n\nm = pd.read_csv("/home/ana/m.csv")  # mldebt: ignore[MLD201]\n',
        },
    )
    result = run(monorepo, "check", "--only", "notes/sql.py", monkeypatch=monkeypatch)
    assert result.output.endswith("1 below min-confidence hidden (`--min-confidence low` shows them).\n")
    assert "suppressed" not in result.output
    result = run(monorepo, "check", "--only", "notes/scratch.py", monkeypatch=monkeypatch)
    assert "below min-confidence" not in result.output and "suppressed" not in result.output
    result = run(monorepo, "check", "--only", "notes/more.py", "notes/sql.py", monkeypatch=monkeypatch)
    assert "1 suppressed by comments; 1 below min-confidence hidden" in result.output


def test_fingerprints_leave_out_line_references() -> None:
    from mldebt.rules.engine import _without_lines

    assert _without_lines("read at src/train.py:12, `model` (line 23), conf/p.yaml:2:5, nb.ipynb:cell 3:4") == (
        "read at src/train.py, `model` (), conf/p.yaml, nb.ipynb:"
    )
    assert _without_lines("version 1.2 of `scikit-learn`") == "version 1.2 of `scikit-learn`"


def test_configuration_above_the_working_directory_applies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # outside git the report root is the working directory; the configuration is still found above it
    write(
        tmp_path, {"pyproject.toml": '[tool.mldebt]\nignore = ["MLD201"]\n', "sub/load.py": UNDECLARED.format(name="x")}
    )
    result = run(tmp_path / "sub", "check", monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    assert run(tmp_path / "sub", "check", "--root", ".", monkeypatch=monkeypatch).exit_code == 1  # X alone


def test_a_nested_pyproject_without_settings_inherits_the_configuration_above(
    monorepo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(monorepo, {"mldebt.toml": 'per-file-ignores = { "predict.py" = ["MLD201"] }\n'})
    result = run(monorepo, "check", monkeypatch=monkeypatch)
    # the pattern is matched below each project's root: 05-deployment/code/predict.py is `predict.py` there
    assert [line.split(": ")[0] for line in lines_of(result)] == [
        "cohorts/2021/05-deployment/homework/q4_predict.py:3:6",
        "notes/scratch.py:3:6",
    ]


def test_report_root_is_the_git_top_level_even_in_a_worktree(tmp_path: Path) -> None:
    from mldebt.roots import project_root, report_root

    write(
        tmp_path,
        {"repo/.git": "gitdir: /elsewhere/.git/worktrees/repo\n", "repo/a/pyproject.toml": "", "repo/a/b/x.py": ""},
    )
    top = tmp_path / "repo"
    assert report_root([str(top / "a" / "b" / "x.py")]) == top
    assert project_root(top / "a" / "b" / "x.py", top) == top / "a"
    assert project_root(top / "a", top) == top / "a"
    assert project_root(tmp_path / "repo", top) == top
