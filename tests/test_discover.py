from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mldebt.config import Settings
from mldebt.discover import SourceFile, classify, discover, find_project_root, module_name
from mldebt.model import FileError

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def write(root: Path, *rels: str, text: str = "x = 1\n") -> None:
    for rel in rels:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def rels(root: Path, settings: Settings | None = None, paths: list[str] | None = None) -> list[str]:
    found = discover(paths or [str(root)], root, settings or Settings())
    assert found.errors == ()
    return [f.rel for f in found.files]


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.fixture(autouse=True)
def outside_any_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # keep git from finding a repository above tmp_path
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))


def test_kinds() -> None:
    assert classify("a/train.py") == "python"
    assert classify("a/types.pyi") is None
    assert classify("nb/explore.ipynb") == "notebook"
    for rel in ("params.yaml", "dvc.yaml", "conf/catalog.yml", "pyproject.toml", "conf/x.json"):
        assert classify(rel) == "config", rel
    for rel in ("package.json", "web/package-lock.json", "tsconfig.json", "README.md", "data.csv"):
        assert classify(rel) is None, rel
    for rel in ("run.sh", "Makefile", "GNUmakefile", "Snakefile", "rules.mk", "data/raw.csv.dvc"):
        assert classify(rel) == "launcher", rel
    assert classify(".github/workflows/train.yml") == "launcher"
    assert classify("sub/.github/workflows/ci.yaml") == "launcher"
    assert classify(".github/dependabot.yml") == "config"


def test_walk_kinds_and_default_excludes(tmp_path: Path) -> None:
    write(
        tmp_path,
        "train.py",
        "stubs.pyi",
        "nb/x.ipynb",
        "params.yaml",
        "package.json",
        "Makefile",
        "README.md",
        ".github/workflows/ci.yml",
        "data/raw.csv.dvc",
        "pkg/__pycache__/m.py",
        "node_modules/lib/index.py",
        "build/lib/pkg.py",
        "dist/x.py",
        "mypkg.egg-info/PKG-INFO.py",
        ".ipynb_checkpoints/x-checkpoint.ipynb",
        ".venv/lib/site.py",
        "venv/lib/site.py",
        "env/lib/site.py",
        "env/pyvenv.cfg",
        "myenv/lib/site.py",
        "myenv/pyvenv.cfg",
        "environment/keep.py",
        ".mldebt_cache/v1/ab/x.json",
        "other_cache/CACHEDIR.TAG",
        "other_cache/x.json",
    )
    (tmp_path / "big.json").write_text("[" + "0," * (1 << 20) + "0]")
    found = discover([str(tmp_path)], tmp_path, Settings())
    assert found.errors == ()
    assert [(f.rel, f.kind) for f in found.files] == [
        (".github/workflows/ci.yml", "launcher"),
        ("Makefile", "launcher"),
        ("data/raw.csv.dvc", "launcher"),
        ("environment/keep.py", "python"),
        ("nb/x.ipynb", "notebook"),
        ("params.yaml", "config"),
        ("train.py", "python"),
    ]
    assert all(f.path == tmp_path / f.rel for f in found.files)
    assert all(f.path.is_absolute() for f in found.files)


def test_env_without_pyvenv_cfg_is_kept(tmp_path: Path) -> None:
    write(tmp_path, "env/settings.py")
    assert rels(tmp_path) == ["env/settings.py"]


def test_extend_exclude_and_exclude(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "gen/b.py", "src/gen/c.py", "src/d_pb2.py", "build/e.py", "notebooks/old.ipynb")
    settings = Settings(extend_exclude=("*_pb2.py", "src/gen", "notebooks/*.ipynb"))
    assert rels(tmp_path, settings) == ["a.py", "gen/b.py"]
    # `exclude` replaces the defaults: build/ comes back
    settings = Settings(exclude=("gen/",))
    assert rels(tmp_path, settings) == [
        "a.py",
        "build/e.py",
        "notebooks/old.ipynb",
        "src/d_pb2.py",
    ]


def test_explicit_paths_bypass_excludes(tmp_path: Path) -> None:
    write(tmp_path, "build/e.py", "build/sub/f.py", "build/node_modules/g.py", "gen_pb2.py")
    settings = Settings(extend_exclude=("*_pb2.py",))
    paths = [str(tmp_path / "build"), str(tmp_path / "gen_pb2.py")]
    found = discover(paths, tmp_path, settings)
    assert [f.rel for f in found.files] == ["build/e.py", "build/sub/f.py", "gen_pb2.py"]


def test_missing_path_and_unknown_explicit_file(tmp_path: Path) -> None:
    write(tmp_path, "a.py", "notes.txt")
    (tmp_path / "script").write_text("#!/usr/bin/env python3\nprint(1)\n")
    (tmp_path / "deploy").write_text("#!/bin/bash\npython a.py\n")
    missing = str(tmp_path / "nope.py")
    found = discover(
        [missing, str(tmp_path / "notes.txt"), str(tmp_path / "script"), str(tmp_path / "deploy")],
        tmp_path,
        Settings(),
    )
    assert [(f.rel, f.kind) for f in found.files] == [("deploy", "launcher"), ("script", "python")]
    assert found.errors == (
        FileError(missing, f"no such file or directory: {missing}"),
        FileError(str(tmp_path / "notes.txt"), "not a file mldebt analyses (Python, notebook, config or launcher)"),
    )


def test_symlinks_not_followed_and_deduplicated(tmp_path: Path) -> None:
    write(tmp_path, "pkg/a.py", "outside/o.py")
    os.symlink(tmp_path / "outside", tmp_path / "pkg" / "linked_dir")
    os.symlink(tmp_path / "pkg" / "a.py", tmp_path / "pkg" / "b.py")
    found = discover([str(tmp_path / "pkg"), str(tmp_path / "pkg" / "a.py")], tmp_path, Settings())
    assert found.errors == ()
    # b.py is a link to a.py: one copy, the first by path
    assert [f.rel for f in found.files] == ["pkg/a.py"]


def test_output_is_sorted_and_deterministic(tmp_path: Path) -> None:
    write(tmp_path, "z.py", "a/b.py", "a.py", "B.py", "a/a/a.py")
    first = rels(tmp_path)
    assert first == ["B.py", "a.py", "a/a/a.py", "a/b.py", "z.py"]
    assert rels(tmp_path) == first


@needs_git
def test_gitignore_honoured(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    write(tmp_path, "tracked.py", "untracked.py", "ignored.py", "logs/run.py", "sub/keep.yaml")
    write(tmp_path, "venv_tracked/lib.py", "venv_tracked/pyvenv.cfg")
    (tmp_path / ".gitignore").write_text("ignored.py\nlogs/\n")
    git(tmp_path, "add", "tracked.py", ".gitignore", "venv_tracked")
    git(tmp_path, "commit", "-q", "-m", "init")
    # a tracked file deleted from the work tree is not reported
    write(tmp_path, "gone.py")
    git(tmp_path, "add", "gone.py")
    (tmp_path / "gone.py").unlink()
    assert rels(tmp_path) == ["sub/keep.yaml", "tracked.py", "untracked.py"]
    # a subdirectory given alone: still git-aware, rel stays relative to the root
    write(tmp_path, "sub/ignored.py")
    (tmp_path / "sub" / ".gitignore").write_text("ignored.py\n")
    assert rels(tmp_path, paths=[str(tmp_path / "sub")]) == ["sub/keep.yaml"]
    # an ignored file named explicitly is analysed
    assert rels(tmp_path, paths=[str(tmp_path / "ignored.py")]) == ["ignored.py"]


def test_without_git_the_gitignore_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "a.py", "ignored.py")
    (tmp_path / ".gitignore").write_text("ignored.py\n")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    assert rels(tmp_path) == ["a.py", "ignored.py"]


def test_source_file_fields(tmp_path: Path) -> None:
    write(tmp_path, "a.py")
    found = discover([str(tmp_path)], tmp_path, Settings())
    assert found.files == (SourceFile(tmp_path / "a.py", "a.py", "python"),)


@pytest.mark.parametrize(
    ("rel", "module"),
    [
        ("src/pkg/a/b.py", "pkg.a.b"),
        ("pkg/__init__.py", "pkg"),
        ("src/pkg/__init__.py", "pkg"),
        ("src/__init__.py", "src"),
        ("src/x.py", "x"),
        ("nb/x.ipynb", "nb.x"),
        ("train.py", "train"),
        ("my-scripts/run 1.py", "my-scripts.run 1"),
        ("./a/b.py", "a.b"),
        ("lib/src/m.py", "lib.src.m"),
    ],
)
def test_module_name(rel: str, module: str) -> None:
    assert module_name(rel) == module


def test_find_project_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "proj/pyproject.toml", "proj/src/pkg/a.py", "loose/b.py")
    proj = tmp_path / "proj"
    assert find_project_root([str(proj / "src" / "pkg" / "a.py")]) == proj
    assert find_project_root([str(proj / "src")]) == proj
    assert find_project_root([str(proj)]) == proj
    assert find_project_root([str(tmp_path / "loose" / "b.py")]) == tmp_path / "loose"
    assert find_project_root([str(tmp_path / "loose")]) == tmp_path / "loose"
    monkeypatch.chdir(proj / "src")
    assert find_project_root([]) == proj
    assert find_project_root(["pkg/a.py"]) == proj
