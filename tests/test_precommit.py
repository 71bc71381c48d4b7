"""The hooks, for real: `pre-commit try-repo` pinned to this repository's HEAD commit, in a
scratch git repository. Builds the hook's environment from PyPI for each new commit (1-3 min on
2 cores; cached in pre-commit's home afterwards), so it runs with MLDEBT_SLOW_TESTS=1 (CI sets
it); skipped when pre-commit is not installed or cannot build the environment."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRE_COMMIT = shutil.which("pre-commit")
GIT = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"}


def _head() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT}, check=True, capture_output=True)


def _try(repo: Path, hook: str, ref: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "VIRTUAL_ENV"))}
    return subprocess.run(
        [str(PRE_COMMIT), "try-repo", str(ROOT), hook, "--ref", ref, *extra],
        cwd=repo,
        env={**env, **GIT},
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed (pip install -e '.[test]')")
@pytest.mark.skipif(
    os.environ.get("MLDEBT_SLOW_TESTS") != "1",
    reason="builds the hook environment from PyPI for this commit (1-3 min); set MLDEBT_SLOW_TESTS=1",
)
def test_hooks_through_pre_commit_try_repo(tmp_path: Path) -> None:
    ref = _head()
    if ref is None:
        pytest.skip("not a git checkout: try-repo needs a commit of this repository")
    repo = tmp_path / "project"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "train.py").write_text("import pandas as pd\n\ndf = pd.read_csv('data/train.csv')\nprint(df.shape)\n")
    (repo / "requirements.txt").write_text("pandas==2.2.2\n")
    _git(repo, "add", "-A")
    clean = _try(repo, "mldebt", ref, "--all-files")
    if clean.returncode != 0 and "An unexpected error has occurred" in clean.stdout + clean.stderr:
        pytest.skip(f"pre-commit could not build the hook environment: {clean.stdout[-400:]}{clean.stderr[-400:]}")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    _git(repo, "commit", "-qm", "clean")

    # a requirements-only change: the hook must run (not be skipped as "no files to check") and fail
    (repo / "requirements.txt").write_text("pandas==2.2.2\nxgboost\n")
    _git(repo, "add", "requirements.txt")
    staged = _try(repo, "mldebt-staged", ref)
    assert staged.returncode == 1, staged.stdout + staged.stderr
    assert "requirements.txt:2:1: MLD705" in staged.stdout
    _git(repo, "checkout", "-q", "requirements.txt")
    _git(repo, "reset", "-q")
    (repo / "requirements.txt").write_text("pandas==2.2.2\n")

    # a smelly commit fails the whole-project hook
    (repo / "load.py").write_text("import pandas as pd\n\nraw = pd.read_csv('/home/ana/export.csv')\nprint(raw)\n")
    _git(repo, "add", "-A")
    smelly = _try(repo, "mldebt", ref)
    assert smelly.returncode == 1, smelly.stdout + smelly.stderr
    assert "load.py:3:7: MLD201" in smelly.stdout
