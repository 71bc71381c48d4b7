"""The two roots of a run, kept apart.

- The **report root**: the git top level of the first path (a directory holding `.git`, a
  directory or a worktree's file), or the working directory outside git. Paths in reports,
  SARIF's `%SRCROOT%`, fingerprints, the baseline and the scope of `--only` are relative to it.
- A **project root**: the nearest directory at or above a file that holds `pyproject.toml`,
  `mldebt.toml` or `.mldebt.toml`, not above the report root (the report root when there is
  none). Data paths in code resolve against it, and its configuration applies to its subtree.
  A monorepo holds several.

Reads only directory entries; never runs git.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["PROJECT_MARKERS", "git_toplevel", "project_root", "report_root"]

PROJECT_MARKERS = (".mldebt.toml", "mldebt.toml", "pyproject.toml")


def git_toplevel(start: Path) -> Path | None:
    """The nearest directory at or above `start` holding `.git` (directory or file), or None."""
    for directory in (start, *start.parents):
        if os.path.lexists(directory / ".git"):
            return directory
    return None


def report_root(paths: Sequence[str | os.PathLike[str]]) -> Path:
    """The git top level of the first path, else the working directory (or, when a path lies
    outside it, the deepest directory holding every path)."""
    absolute = [Path(os.path.abspath(p)) for p in paths] or [Path.cwd()]
    first = absolute[0] if _is(absolute[0], Path.is_dir) else absolute[0].parent
    top = git_toplevel(first)
    if top is not None:
        return top
    cwd = Path.cwd()
    if all(p == cwd or cwd in p.parents for p in absolute):
        return cwd
    dirs = [str(p if _is(p, Path.is_dir) else p.parent) for p in absolute]
    return Path(os.path.commonpath(dirs))


class ProjectRoots:
    """Memoised project root of each directory below one report root."""

    def __init__(self, top: Path) -> None:
        self.top = top
        self._memo: dict[Path, Path] = {}

    def of(self, directory: Path) -> Path:
        memo = self._memo.get(directory)
        if memo is not None:
            return memo
        if any(_is(directory / m, Path.is_file) for m in PROJECT_MARKERS):
            found = directory
        elif directory == self.top or self.top not in directory.parents:
            found = self.top
        else:
            found = self.of(directory.parent)
        self._memo[directory] = found
        return found


def project_root(path: str | os.PathLike[str], top: Path) -> Path:
    """The project root of one file or directory below the report root `top`."""
    p = Path(os.path.abspath(path))
    return ProjectRoots(top).of(p if _is(p, Path.is_dir) else p.parent)


def _is(path: Path, test: Callable[[Path], bool]) -> bool:
    """`path.is_file()` / `is_dir()`, False for a path the system refuses (too long, unreadable)."""
    try:
        return test(path)
    except OSError:
        return False
