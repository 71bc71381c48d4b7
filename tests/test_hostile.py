"""Hostile repositories: one minimal repro per attack, each asserting what mldebt does instead.

Nothing is read or written outside the root, the cache cannot be used against the user, output
is inert, work is bounded, nothing is skipped silently, and signals stop every process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from mldebt.api import analyze, settings_for
from mldebt.cli import main
from mldebt.config import Settings
from mldebt.discover import SourceFile
from mldebt.graph import tolerant
from mldebt.model import Confidence, FileError, Finding, Location, Related, Report, Severity, Summary
from mldebt.parse import runner
from mldebt.parse.cache import KEY_ENV, Cache, user_key
from mldebt.parse.facts import FileFacts, Smell, Span
from mldebt.parse.secrets import REDACTED, is_secret_key
from mldebt.parse.syntax import newer_syntax
from mldebt.report import render
from mldebt.rules.limits import cap_findings

SECRET = "gho_16C7e42F292c6912E7710c838347Ae178B4a"
# one MLD703 finding, on line 5
FOREST = (
    "from sklearn.ensemble import RandomForestClassifier\n"
    "from sklearn.model_selection import train_test_split\n\n"
    "X_train, X_test = train_test_split(X, y, random_state=1)\n"
    "forest = RandomForestClassifier(n_estimators=50)\n"
)


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def all_formats(report: Report) -> dict[str, bytes]:
    return {fmt: render(report, fmt).encode("utf-8") for fmt in ("text", "json", "sarif")}


def errors_of(report: Report) -> dict[str, str]:
    return {e.path: e.message for e in report.errors}


# --------------------------------------------------------------------------- 1. the root is a boundary


def test_symlink_to_a_file_outside_the_root_is_an_error_and_never_read(tmp_path: Path) -> None:
    outside = tmp_path / "home" / ".config" / "gh"
    write(outside, {"hosts.yml": f"github.com:\n  oauth_token: {SECRET}\n  user: me\n"})
    write(outside, {"leak.py": f'TOKEN = "{SECRET}"\nimport pandas as pd\ndf = pd.read_csv("{SECRET}.csv")\n'})
    project = tmp_path / "project"
    write(project, {"pyproject.toml": "", "train.py": "import yaml\nconf = yaml.safe_load(open('conf.yaml'))\n"})
    (project / "conf.yaml").symlink_to(Path("..") / "home" / ".config" / "gh" / "hosts.yml")
    (project / "util.py").symlink_to(outside / "leak.py")
    report = analyze([str(project)], root=project)
    assert errors_of(report) == {
        "conf.yaml": "symlink to outside the project, not read",
        "util.py": "symlink to outside the project, not read",
    }
    for fmt, out in all_formats(report).items():
        assert SECRET.encode() not in out, fmt


def test_symlink_inside_the_root_is_read(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "", "real/conf.yaml": "lr: 0.1\n"})
    (tmp_path / "conf.yaml").symlink_to(Path("real") / "conf.yaml")
    report = analyze([str(tmp_path)], root=tmp_path)
    assert report.errors == ()


def test_secret_config_values_are_never_printed(tmp_path: Path) -> None:
    # the argparse default and the YAML value disagree: MLD503 would quote both
    write(
        tmp_path,
        {
            "pyproject.toml": "",
            "params.yaml": f"hub:\n  token: {SECRET}\n  lr: 0.001\n",
            "train.py": """\
                import argparse

                import yaml

                parser = argparse.ArgumentParser()
                parser.add_argument("--token", default="hf_0123456789abcdefABCDEF")
                parser.add_argument("--lr", type=float, default=0.01)
                args = parser.parse_args()
                params = yaml.safe_load(open("params.yaml"))["hub"]
                print(args.token or params["token"], args.lr or params["lr"])
            """,
        },
    )
    report = analyze([str(tmp_path)], root=tmp_path)
    assert {(f.location.path, f.location.line, f.rule) for f in report.findings} == {("train.py", 7, "MLD503")}
    for fmt, out in all_formats(report).items():
        assert SECRET.encode() not in out and b"hf_0123456789" not in out, fmt


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        (("github.com", "oauth_token"), True),
        (("--hf-token",), True),
        (("DB_PASSWORD",), True),
        (("aws", "secret_access_key"), True),
        (("apiKey",), True),
        (("credentials",), True),
        (("tokenizer",), False),
        (("max_tokens",), False),
        (("sort_key",), False),
        (("data", "train"), False),
    ],
)
def test_secret_key_names(key: tuple[str, ...], secret: bool) -> None:
    assert is_secret_key(key) is secret


def test_a_path_under_a_secret_key_is_kept(tmp_path: Path) -> None:
    from mldebt.parse.extract import extract

    text = "password_file: /run/secrets/db\napi_key: sk-live-abc\n"
    facts = extract(SourceFile(tmp_path / "c.yaml", "c.yaml", "config"), text.encode(), "")
    assert {d.key: d.value.text for d in facts.config_defs} == {
        ("password_file",): "/run/secrets/db",
        ("api_key",): REDACTED,
    }


# --------------------------------------------------------------------------- 2. the cache


def _project(tmp_path: Path, pyproject: str = "") -> Path:
    project = tmp_path / "project"
    write(project, {"pyproject.toml": pyproject, "train.py": FOREST})
    return project


def test_committed_cache_symlink_is_a_config_error_and_nothing_is_written(tmp_path: Path) -> None:
    project = _project(tmp_path)
    elsewhere = tmp_path / "somewhere"
    elsewhere.mkdir()
    (project / ".mldebt_cache").symlink_to(Path("..") / "somewhere")
    code, _, err = cli("check", str(project))
    assert code == 2 and "'cache-dir'" in err and "symlink" in err, err
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("..", "inside the project root"),
        (".", "inside the project root"),
        ("/tmp/mldebt-cache", "relative path"),
        ("sub/../..", "inside the project root"),
        ("src", "not mldebt's cache"),
    ],
)
def test_cache_dir_outside_or_holding_sources_is_a_config_error(tmp_path: Path, value: str, why: str) -> None:
    project = _project(tmp_path, f'[tool.mldebt]\ncache-dir = "{value}"\n')
    write(project, {"src/pkg/__init__.py": "x = 1\n"})
    code, _, err = cli("check", str(project))
    assert code == 2 and "'cache-dir'" in err and why in err, err
    assert not (tmp_path / "CACHEDIR.TAG").exists() and not (tmp_path / ".gitignore").exists()
    assert not (project / "src" / "CACHEDIR.TAG").exists()


def test_tags_are_written_only_into_a_directory_mldebt_created(tmp_path: Path) -> None:
    project = _project(tmp_path)
    code, _, _ = cli("check", str(project))
    assert code == 1
    assert (project / ".mldebt_cache" / "CACHEDIR.TAG").is_file()
    assert (project / ".mldebt_cache" / ".gitignore").read_text() == "*\n"
    # an existing (empty) directory: used, never tagged
    other = _project(tmp_path / "b", '[tool.mldebt]\ncache-dir = "cache"\n')
    (other / "cache").mkdir()
    assert cli("check", str(other))[0] == 1
    assert sorted(p.name for p in (other / "cache").iterdir()) == ["fixes", "v1"]  # facts, fix proposals
    assert cli("check", str(other))[0] == 1  # a second run accepts what the first wrote


def test_a_forged_cache_entry_is_not_believed(tmp_path: Path) -> None:
    project = _project(tmp_path)
    source = project / "train.py"
    data = source.read_bytes()
    key = Cache.key(data, "python", "train", "train.py")
    # the attacker knows the key scheme but not the user's secret: an entry hiding the finding
    Cache(project / ".mldebt_cache", secret=b"attacker" * 4).put(key, FileFacts("train.py", "python", "train", 5))
    report = analyze([str(project)], root=project)
    assert {(f.location.path, f.location.line, f.rule) for f in report.findings} == {("train.py", 5, "MLD703")}
    assert report.summary.cached_files == 0
    # an entry injecting a finding with any message
    forged = FileFacts(
        "train.py", "python", "train", 5, smells=(Smell("MLD702", Span(1, 1, 1, 2), "\x1b]0;owned\x07"),)
    )
    Cache(project / ".mldebt_cache", secret=b"attacker" * 4).put(key, forged)
    report = analyze([str(project)], root=project)
    assert "owned" not in render(report, "json")


def test_cache_key_from_the_environment_or_the_user_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(KEY_ENV, raising=False)
    first = user_key()
    key_file = tmp_path / "xdg" / "mldebt" / "key"
    assert first is not None and key_file.is_file() and (key_file.stat().st_mode & 0o777) == 0o600
    assert user_key() == first  # stable
    monkeypatch.setenv(KEY_ENV, "ci-secret")
    assert user_key() not in (None, first)
    facts = FileFacts("a.py", "python", "a", 1)
    Cache(tmp_path / "c").put(Cache.key(b"a", "python"), facts)
    assert Cache(tmp_path / "c").get(Cache.key(b"a", "python")) == facts
    monkeypatch.setenv(KEY_ENV, "another")
    assert Cache(tmp_path / "c").get(Cache.key(b"a", "python")) is None


def test_inconsistent_facts_cost_their_file(monkeypatch: pytest.MonkeyPatch) -> None:
    real = tolerant.build

    def fragile(facts):  # type: ignore[no-untyped-def]
        facts = list(facts)
        if any(f.path == "bad.py" for f in facts):
            raise KeyError("unknown node 'function:bad.py::renamed'")
        return real(facts)

    monkeypatch.setattr(tolerant, "build", fragile)
    good = FileFacts("good.py", "python", "good", 1)
    built, errors = tolerant.build_tolerant([good, FileFacts("bad.py", "python", "bad", 1)])
    assert errors == [
        FileError("bad.py", "inconsistent facts, not analysed (KeyError: \"unknown node 'function:bad.py::renamed'\")")
    ]
    assert sorted(built.project.files) == ["good.py"]


# --------------------------------------------------------------------------- 3. output is inert


def _report(path: str, message: str) -> Report:
    loc = Location(path, 1, 1, 1, 2)
    finding = Finding(
        "MLD201", "undeclared-data-dependency", "c", Severity.WARNING, Confidence.MEDIUM, message, loc,
        (Related(path, 2, 1, message),),
    )  # fmt: skip
    return Report("0", "/r", (finding,), (FileError(path, message),), Summary(files=1, findings=1, errors=1))


def test_control_characters_are_escaped_in_text_output() -> None:
    osc = "reads `\x1b]52;c;SGVsbG8=\x1b\\x.csv` \x9b2J \u202e"
    text = render(_report("a\x1b]0;pwned\x07.py", osc), "text")
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text and "\u202e" not in text
    assert (
        "a\\x1b]0;pwned\\x07.py:1:1: MLD201 [warning] reads `\\x1b]52;c;SGVsbG8=\\x1b\\x.csv` \\x9b2J \\u202e" in text
    )


def test_undecodable_file_name_in_every_format(tmp_path: Path) -> None:
    name = os.fsdecode(b"bad_\xff.py")
    write(tmp_path, {"pyproject.toml": ""})
    (tmp_path / name).write_text(FOREST)
    report = analyze([str(tmp_path)], root=tmp_path)
    assert {(f.location.path, f.rule) for f in report.findings} == {("bad_\\xff.py", "MLD703")}
    outputs = all_formats(report)
    assert json.loads(outputs["json"])["findings"][0]["path"] == "bad_\\xff.py"
    sarif = json.loads(outputs["sarif"])
    assert sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith(
        "bad_"
    )
    assert b"bad_\\xff.py:5:" in outputs["text"]


def test_lone_surrogates_in_messages_keep_json_valid_utf8() -> None:
    report = _report("a.py", "reads `\udcff\ud800.csv`")
    for fmt, out in all_formats(report).items():
        out.decode("utf-8")  # strict
        assert b"\\\\xff" in out or b"\\xff" in out, fmt


def test_check_writes_valid_utf8_json_for_a_bad_name(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": ""})
    (tmp_path / os.fsdecode(b"bad_\xff.py")).write_text(FOREST)
    out = tmp_path / "out.json"
    code, _, err = cli("check", str(tmp_path), "--no-cache", "--output-format", "json", "-o", str(out))
    assert code == 1, err
    assert json.loads(out.read_bytes().decode("utf-8"))["findings"][0]["path"] == "bad_\\xff.py"


# --------------------------------------------------------------------------- 4. bounded work

YAML_LAUGHS = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]",
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]",
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]",
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]",
    ]
)
YAML_MERGE_BOMB = "\n".join(
    ["l0: &l0 {k0: 1}"]
    + [f"l{i}: &l{i} {{<<: [*l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}], k{i}: {i}}}" for i in range(1, 14)]
)
BOMB = "YAML aliases and merge keys expand too far (an alias bomb?), not analysed"


@pytest.mark.parametrize("text", [YAML_LAUGHS, YAML_MERGE_BOMB], ids=["laughs", "merge"])
def test_yaml_bombs_are_errors(tmp_path: Path, text: str) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": "",
            "conf/bomb.yaml": text,
            "train.py": "import yaml\nyaml.safe_load(open('conf/bomb.yaml'))\n",
        },
    )
    started = time.perf_counter()
    report = analyze([str(tmp_path)], settings_for(tmp_path, {"no-cache": True}), root=tmp_path)
    assert time.perf_counter() - started < 20
    assert errors_of(report) == {"conf/bomb.yaml": BOMB}


def test_yaml_with_ordinary_anchors_is_analysed(tmp_path: Path) -> None:
    text = "base: &base {lr: 0.1, epochs: 3}\n" + "".join(f"exp{i}:\n  <<: *base\n  seed: {i}\n" for i in range(30))
    write(tmp_path, {"pyproject.toml": "", "conf.yaml": text})
    assert analyze([str(tmp_path)], root=tmp_path).errors == ()


def test_findings_of_one_rule_in_one_file_are_capped() -> None:
    def finding(path: str, line: int, rule: str = "MLD702") -> Finding:
        return Finding(rule, "n", "c", Severity.NOTE, Confidence.LOW, "m", Location(path, line, 1, line, 2))

    many = sorted([finding("a.py", i) for i in range(1, 251)] + [finding("a.py", 1, "MLD703"), finding("b.py", 1)],
                  key=Finding.sort_key)  # fmt: skip
    kept, notes = cap_findings(many, limit=100)
    assert [f.location.line for f in kept if f.location.path == "a.py" and f.rule == "MLD702"] == list(range(1, 101))
    assert {(f.location.path, f.rule) for f in kept if f.rule == "MLD703" or f.location.path == "b.py"} == {
        ("a.py", "MLD703"),
        ("b.py", "MLD702"),
    }
    assert notes == [
        FileError("a.py", "MLD702: 150 more findings not shown (at most 100 per rule in one file)", partial=True)
    ]


def test_jobs_are_capped_at_the_cpu_count(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[tool.mldebt]\njobs = 100000\n"})
    settings = settings_for(tmp_path)
    assert runner._workers(settings) == (os.cpu_count() or 1)
    assert runner._workers(Settings(jobs=1)) == 1


def _allocate_extract(source: SourceFile, data: bytes, module: str) -> FileFacts:
    if data.startswith(b"HUGE"):
        import resource

        if resource.getrlimit(resource.RLIMIT_AS)[0] == resource.RLIM_INFINITY:  # never zero 5 GiB for real
            raise RuntimeError("no memory limit in this process")
        bytearray(runner.WORKER_MEMORY + (1 << 30))  # more address space than a worker may have
    return FileFacts(source.rel, source.kind, module, 1)


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS semantics")
def test_a_file_needing_more_memory_than_a_worker_may_use_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "MIN_POOL_BYTES", 0)  # tiny files standing for a project worth workers
    files = {f"m{i:02d}.py": f"x = {i}\n" for i in range(10)}
    files["m03.py"] = "HUGE = 1\n"
    write(tmp_path, files)
    sources = [SourceFile(tmp_path / rel, rel, "python") for rel in sorted(files)]
    result = runner.collect_facts(sources, Settings(jobs=2, no_cache=True), _allocate_extract, root=tmp_path)
    assert result.errors == (FileError("m03.py", runner.OUT_OF_MEMORY),)
    assert [f.path for f in result.facts] == [rel for rel in sorted(files) if rel != "m03.py"]


# --------------------------------------------------------------------------- 5. nothing skipped silently


def test_nul_bytes_are_named(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "", "late.py": b"x = 1\n" * 3000 + b"y = 'a\0b'\n"})
    assert errors_of(analyze([str(tmp_path)], root=tmp_path)) == {
        "late.py": "contains a NUL byte (line 3001), not analysed"
    }


def test_a_broken_notebook_cell_costs_that_cell_only_and_is_named(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "code", "source": FOREST.rsplit("forest", 1)[0], "metadata": {}, "outputs": []},
        {"cell_type": "markdown", "source": "# notes", "metadata": {}},
        {"cell_type": "code", "source": "y = '\u0000'\n", "metadata": {}, "outputs": []},
        {"cell_type": "code", "source": "print 'py2'\n", "metadata": {}, "outputs": []},
        {
            "cell_type": "code",
            "source": "forest = RandomForestClassifier(n_estimators=50)\n",
            "metadata": {},
            "outputs": [],
        },
    ]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    write(tmp_path, {"pyproject.toml": "", "nb.ipynb": json.dumps(nb)})
    report = analyze([str(tmp_path)], root=tmp_path)
    assert {(f.location.path, f.location.cell, f.rule) for f in report.findings} == {("nb.ipynb", 5, "MLD703")}
    assert sorted(e.message for e in report.errors) == [
        "cell 3 not analysed: contains a NUL character",
        "cell 4 not analysed: syntax error: Missing parentheses in call to 'print'. Did you mean print(...)? "
        "(line 1 of the cell)",
    ]
    # one file, two entries; the rest of the notebook was analysed, so it does not fail the run
    assert render(report, "text").endswith("; 1 file partly analysed.\n")


def test_a_notebook_cell_left_out_does_not_fail_the_run_but_a_file_left_out_does(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "code", "source": "x = 1\n", "metadata": {}, "outputs": []},
        {"cell_type": "code", "source": "print 'a teaching notebook shows an error'\n", "metadata": {}, "outputs": []},
    ]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    write(tmp_path, {"pyproject.toml": "", "nb.ipynb": json.dumps(nb)})
    code, out, err = cli("check", "--no-cache", "--root", str(tmp_path), str(tmp_path))
    assert code == 0 and out.endswith("; 1 file partly analysed.\n") and "fails the run" not in err, (out, err)
    write(tmp_path, {"old.py": "print 'py2'\n"})
    code, out, err = cli("check", "--no-cache", "--root", str(tmp_path), str(tmp_path))
    assert code == 1 and "1 file could not be analysed; 1 file partly analysed." in out, out
    assert 'extend-exclude = ["old.py"]' in err, err


@pytest.mark.parametrize(
    ("line", "message", "running", "needs"),
    [
        ('x = f"{"a"}"', "f-string: expecting '}'", (3, 11), "3.12"),
        ("type Vec = list[float]", "invalid syntax", (3, 11), "3.12"),
        ("def first[T](xs: list[T]) -> T:", "invalid syntax", (3, 11), "3.12"),
        ("except* ValueError:", "invalid syntax", (3, 10), "3.11"),
        ("except ValueError, TypeError:", "multiple exception types must be parenthesized", (3, 13), "3.14"),
        ('msg = t"hello {name}"', "invalid syntax", (3, 13), "3.14"),
        ("x = (1,", "'(' was never closed", (3, 11), None),
        ('x = f"{"a"}"', "f-string: expecting '}'", (3, 12), None),
    ],
)
def test_syntax_newer_than_the_running_python_names_the_version(
    line: str, message: str, running: tuple[int, int], needs: str | None
) -> None:
    hint = newer_syntax(f"import os\n{line}\n", 2, message, running)
    if needs is None:
        assert hint is None
    else:
        assert hint is not None and hint.startswith(f"needs Python {needs} or later (")
        assert hint.endswith(f"); mldebt is running on Python {running[0]}.{running[1]}")


def test_newer_syntax_message_in_full() -> None:
    assert newer_syntax('x = f"{"a"}"\n', 1, "f-string: expecting '}'", (3, 11)) == (
        "needs Python 3.12 or later (an f-string reusing its quotes, or with a backslash or comment inside); "
        "mldebt is running on Python 3.11"
    )


@pytest.mark.parametrize(
    "source",
    [
        "(x): int = 1\n",
        "x = (" + " ".join(['"a"'] * 5000) + ")\n",
        "x = [a for a in b " + " ".join(f"for a{i} in b" for i in range(5000)) + "]\n",
    ],
    ids=["parenthesised-annotated-target", "5000-adjacent-strings", "5000-for-clauses"],
)
def test_valid_python_is_never_called_a_syntax_error(tmp_path: Path, source: str) -> None:
    write(tmp_path, {"pyproject.toml": "", "ok.py": source})
    report = analyze([str(tmp_path)], settings_for(tmp_path, {"no-cache": True}), root=tmp_path)
    assert not any("syntax error" in e.message for e in report.errors), report.errors


def test_path_too_long_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "", "ok.py": "x = 1\n"})
    here = os.getcwd()
    depth = 0
    try:
        os.chdir(tmp_path)
        while len(str(tmp_path)) + depth * 201 < 4200:  # past PATH_MAX
            os.mkdir("d" * 200)
            os.chdir("d" * 200)
            depth += 1
        Path("deep.py").write_text("x = 1\n")
    finally:
        os.chdir(here)
    report = analyze([str(tmp_path)], settings_for(tmp_path, {"no-cache": True}), root=tmp_path)
    assert [e.message for e in report.errors if e.path.startswith("d" * 200)] != []
    assert all("too long" in e.message for e in report.errors), report.errors
    # the command as a user runs it (report root and project roots found, the exit note written)
    code, _, err = cli("check", "--no-cache", str(tmp_path))
    assert code == 1 and "internal error" not in err and "too long" not in err, err
    assert 'extend-exclude = ["dddd' in err, err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any directory")
def test_unreadable_directory_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "", "locked/a.py": "x = 1\n"})
    (tmp_path / "locked").chmod(0)
    try:
        report = analyze([str(tmp_path)], settings_for(tmp_path, {"no-cache": True}), root=tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert errors_of(report) == {"locked": "cannot read directory: Permission denied"}


# --------------------------------------------------------------------------- 6. signals and exits

_SLOW_SCAN = """
import os, sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
from mldebt.cli import _guard
from mldebt.config import Settings
from mldebt.discover import SourceFile
from mldebt.parse import runner
from mldebt.parse.runner import collect_facts
from test_hostile import slow_extract

runner.MIN_POOL_BYTES = 0  # tiny files standing for a project large enough for workers

root = Path({root!r})
files = [SourceFile(root / f"m{{i}}.py", f"m{{i}}.py", "python") for i in range(16)]

@_guard
def scan(verbose=False):
    collect_facts(files, Settings(jobs=2, no_cache=True), slow_extract, root=root)

scan()
"""


def _interrupt_mid_scan(script: str, tmp_path: Path, sig: int) -> tuple[list[int], subprocess.Popen[str], str]:
    """Run `script` (a scan whose two workers hang in `slow_extract`), send `sig` once both
    have started; returns the workers' pids, the process and its stderr. A scan that overstays
    is killed, so it cannot fail the tests after this one."""
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
    pids_dir = tmp_path / "pids"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(pids_dir.glob("*")) if pids_dir.exists() else []) < 2:
        time.sleep(0.05)
    workers = [int(p.name) for p in pids_dir.iterdir()]
    assert len(workers) == 2
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return workers, proc, err


def slow_extract(source: SourceFile, data: bytes, module: str) -> FileFacts:
    marker = source.path.parent / "pids"
    marker.mkdir(exist_ok=True)
    (marker / str(os.getpid())).touch()
    time.sleep(600)
    return FileFacts(source.rel, source.kind, module, 1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True


@pytest.mark.skipif(sys.platform != "linux", reason="signals and /proc")
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signals_stop_the_workers_and_exit_128_plus_the_signal(tmp_path: Path, sig: int, code: int) -> None:
    write(tmp_path, {f"m{i}.py": f"x = {i}\n" for i in range(16)})
    script = _SLOW_SCAN.format(tests=str(Path(__file__).parent), root=str(tmp_path))
    workers, proc, err = _interrupt_mid_scan(script, tmp_path, sig)
    assert proc.returncode == code, err
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers)


_SLOW_COMMAND = """
import atexit, sys
sys.path.insert(0, {tests!r})
from test_hostile import slow_extract
import mldebt.parse.extract
from mldebt.parse import runner

mldebt.parse.extract.extract = slow_extract
runner.MIN_POOL_BYTES = 0  # tiny files standing for a project large enough for workers
atexit.register(lambda: print("exit handlers ran", file=sys.stderr))
sys.argv = ["mldebt", "check", {root!r}, "--no-cache", "--jobs", "2"]
from mldebt.__main__ import run

run()
"""


@pytest.mark.skipif(sys.platform != "linux", reason="signals and /proc")
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_the_command_stops_at_once_on_a_signal(tmp_path: Path, sig: int, code: int) -> None:
    """The installed command, interrupted mid-scan, stops its workers and exits 128 + the signal
    at once: no interpreter teardown (a pool's manager thread joined at exit) can keep it alive."""
    write(tmp_path, {f"m{i}.py": f"x = {i}\n" for i in range(16)})
    script = _SLOW_COMMAND.format(tests=str(Path(__file__).parent), root=str(tmp_path))
    workers, proc, err = _interrupt_mid_scan(script, tmp_path, sig)
    assert proc.returncode == code, err
    assert "exit handlers ran" not in err
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers)


@pytest.mark.skipif(sys.platform != "linux", reason="signals and /proc")
def test_workers_exit_when_their_parent_is_killed(tmp_path: Path) -> None:
    write(tmp_path, {f"m{i}.py": f"x = {i}\n" for i in range(16)})
    script = _SLOW_SCAN.format(tests=str(Path(__file__).parent), root=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.DEVNULL)
    pids_dir = tmp_path / "pids"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(pids_dir.glob("*")) if pids_dir.exists() else []) < 2:
        time.sleep(0.05)
    workers = [int(p.name) for p in pids_dir.iterdir()]
    proc.kill()  # SIGKILL: no handler runs
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.05)
    assert workers and not any(_alive(pid) for pid in workers)


def test_output_file_in_a_missing_directory_fails_before_analysis(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "", "a.py": "x = 1\n"})
    code, _, err = cli("check", str(tmp_path), "-o", str(tmp_path / "no" / "such" / "out.json"))
    assert code == 2 and "does not exist" in err, err
    assert not (tmp_path / ".mldebt_cache").exists()  # nothing was analysed


def test_output_file_is_written_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"pyproject.toml": "", "a.py": "x = 1\n"})
    out = tmp_path / "out.json"
    out.write_text("previous report\n")

    def broken(*args: object, **kwargs: object) -> str:
        raise OSError(28, "No space left on device")

    import mldebt.cli

    monkeypatch.setattr(mldebt.cli.os, "fdopen", broken)
    code, _, err = cli("check", str(tmp_path), "--output-format", "json", "-o", str(out))
    assert code == 2 and "No space left" in err
    assert out.read_text() == "previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".mldebt-")) == []


@pytest.mark.parametrize(
    ("pyproject", "key"),
    [
        ("[tool.mldebt]\nmax-file-size = 9223372036854775807\n", "'max-file-size'"),
        ("[tool.mldebt]\nselect = " + "[" * 10_000 + "]" * 10_000 + "\n", "'select'"),
        ("[tool.mldebt.rules.MLD101]\nmax-sources = 9223372036854775807\n", "'rules.MLD101.max-sources'"),
        ("[tool.mldebt.rules.MLD101]\nmax-sources = inf\n", "'rules.MLD101.max-sources'"),
    ],
    ids=["huge-int", "deep-array", "huge-rule-option", "infinite-rule-option"],
)
def test_every_config_value_error_exits_2_naming_the_key(tmp_path: Path, pyproject: str, key: str) -> None:
    write(tmp_path, {"pyproject.toml": pyproject, "a.py": "x = 1\n"})
    code, _, err = cli("check", str(tmp_path))
    assert code == 2 and key in err and "internal error" not in err, err


def test_unreadable_directory_is_an_error_even_for_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mldebt.discover

    write(tmp_path, {"pyproject.toml": "", "locked/a.py": "x = 1\n", "ok.py": "x = 1\n"})
    real = os.scandir

    def scandir(path):  # type: ignore[no-untyped-def]
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(mldebt.discover.os, "scandir", scandir)
    report = analyze([str(tmp_path)], settings_for(tmp_path, {"no-cache": True}), root=tmp_path)
    assert errors_of(report) == {"locked": "cannot read directory: Permission denied"}


# --------------------------------------------------------------------------- pycaret 2.3.10: get_data


def test_a_helper_read_under_each_callers_binding_is_a_real_artifact(tmp_path: Path) -> None:
    """pycaret's `get_data(dataset, address=".../datasets/")`, called with more datasets than the
    IO site keeps alternatives for: every caller's read is an artifact its model trains on, and
    concatenating the address keeps its trailing `/`."""
    from mldebt.api import build_project

    write(
        tmp_path,
        {
            "pyproject.toml": "",
            "data.py": """\
                import pandas as pd


                def get_data(dataset="index", address="https://example.org/master/datasets/"):
                    filename = str(dataset) + ".csv"
                    return pd.read_csv(address + filename)
            """,
        },
    )
    for i in range(10):
        write(
            tmp_path,
            {
                f"s{i}.py": f"""\
                    from sklearn.linear_model import LogisticRegression

                    from data import get_data

                    df = get_data("d{i}")
                    model = LogisticRegression()
                    model.fit(df.drop(columns="y"), df["y"])
                """
            },
        )
    built, errors = build_project([str(tmp_path)], settings_for(tmp_path, {"no-cache": True}), root=tmp_path)
    assert errors == []
    g = built.graph
    trains = sorted((e.source, e.target) for e in g.edges(["trains-on"]))
    assert trains == [
        (f"artifact:https://example.org/master/datasets/d{i}.csv", f"model:s{i}.py::<module>::model") for i in range(10)
    ]
    for source, _ in trains:
        assert [e.target for e in g.out_edges(source, ["reads"])] == ["function:data.py::get_data"]


def test_a_config_with_more_keys_than_analysed_says_so(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "", "big.json": json.dumps({f"k{i}": i for i in range(20_001)})})
    report = analyze([str(tmp_path)], settings_for(tmp_path, {"no-cache": True}), root=tmp_path)
    assert errors_of(report) == {"big.json": "more than 20,000 keys: only the first 20,000 are analysed"}


def test_a_huge_pyproject_is_a_config_error(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[tool.mldebt]\n" + "# padding\n" * 900_000, "a.py": "x = 1\n"})
    code, _, err = cli("check", str(tmp_path))
    assert code == 2 and "larger than 8 MiB" in err, err


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the syntax is current here")
def test_a_file_with_newer_syntax_is_named_in_errors(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "", "alias.py": "import numpy as np\n\ntype Vector = list[float]\n"})
    report = analyze([str(tmp_path)], settings_for(tmp_path, {"no-cache": True}), root=tmp_path)
    (error,) = report.errors
    assert error.path == "alias.py"
    assert "line 3" in error.message
    assert error.message.endswith(
        "needs Python 3.12 or later (a `type` alias statement); "
        f"mldebt is running on Python {sys.version_info.major}.{sys.version_info.minor}"
    )


@pytest.mark.parametrize("git", [False, True], ids=["walk", "git"])
def test_a_broken_link_to_a_source_file_is_an_error(tmp_path: Path, git: bool) -> None:
    write(tmp_path, {"pyproject.toml": "", "ok.py": "x = 1\n"})
    (tmp_path / "gone.py").symlink_to("nowhere.py")
    (tmp_path / "notes.bin").symlink_to("nowhere.bin")  # not a file mldebt reads: no error
    if git:
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    report = analyze([str(tmp_path)], settings_for(tmp_path, {"no-cache": True}), root=tmp_path)
    assert errors_of(report) == {"gone.py": "cannot read: broken symlink"}


def test_config_errors_quote_the_repository_inertly(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": '[tool.mldebt]\n"\\u001b]0;owned\\u0007" = 1\n', "a.py": "x = 1\n"})
    code, _, err = cli("check", str(tmp_path))
    assert code == 2 and "\x1b" not in err and "unknown key '\\x1b]0;owned\\x07'" in err, err


def test_graph_export_of_a_lone_surrogate_literal(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "", "a.py": 'import pandas as pd\n\ndf = pd.read_csv("\\udcff.csv")\n'})
    for fmt in ("json", "graphml", "dot", "mermaid"):
        code, out, err = cli("graph", str(tmp_path), "--no-cache", "--format", fmt)
        assert code == 0, err
        out.encode("utf-8")


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS semantics")
def test_a_large_file_is_parsed_under_the_memory_limit_even_alone(tmp_path: Path) -> None:
    # the pre-commit case: one changed file, -j 1; a large file still goes to a worker
    write(
        tmp_path, {"big.py": b"HUGE = 1\n" + b"# padding\n" * (runner.ISOLATE_BYTES // 10 + 1), "small.py": "x = 1\n"}
    )
    sources = [SourceFile(tmp_path / rel, rel, "python") for rel in ("big.py", "small.py")]
    settings = Settings(jobs=1, no_cache=True, max_file_size=4 << 20)
    result = runner.collect_facts(sources, settings, _allocate_extract, root=tmp_path)
    assert result.errors == (FileError("big.py", runner.OUT_OF_MEMORY),)
    assert [f.path for f in result.facts] == ["small.py"]


def test_syntax_warnings_about_the_analysed_code_are_not_printed(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "", "w.py": "x = [0x1for x in y]\n"})
    proc = subprocess.run(
        [sys.executable, "-m", "mldebt", "check", "--no-cache", str(tmp_path)], capture_output=True, text=True
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def test_a_callers_own_cache_dir_override_is_not_confined(tmp_path: Path) -> None:
    project = _project(tmp_path)
    elsewhere = tmp_path / "bench-cache"
    elsewhere.mkdir()
    settings = settings_for(project, {"cache-dir": str(elsewhere)})
    analyze([str(project)], settings, root=project)
    assert sorted(p.name for p in elsewhere.iterdir()) == ["v1"]  # used, and never tagged
