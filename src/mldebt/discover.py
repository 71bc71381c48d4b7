"""Which files to analyse: paths from the command line -> sorted `SourceFile`s of four kinds.

Owns file kinds, exclusion and the project root. Inside a git work tree the file list comes from
`git ls-files` so `.gitignore` is honoured; elsewhere (or when git is missing or fails) a plain
walk is used. Reads no file contents except a script's first line when it is named explicitly.

Exclusion (`exclude` replaces the defaults, `extend-exclude` adds to them), gitignore-style
globs checked with `config.glob_match`:
- a pattern without `/` matches a file or directory name anywhere (`*.egg-info`, `scratch`);
- a pattern with `/` is anchored at the project root and matched against the whole relative
  path (`src/generated`, `notebooks/old_*`); `*` also crosses `/`;
- a trailing `/` matches directories only (all defaults do).
Patterns apply below each path given on the command line, never to the given path itself or
its parents: `mldebt check build/` analyses `build/`, and an explicitly named file is always
analysed. A file whose real path is outside the project root (a committed link to
`~/.config/...`) is never read: it is reported in errors. With the defaults, a directory holding `pyvenv.cfg` (a virtual environment, whatever
its name, e.g. `env/`) is skipped too. A directory holding `CACHEDIR.TAG` is always skipped.

JSON that is data rather than configuration is skipped when found by a walk: `package.json`,
`package-lock.json`, `tsconfig.json`, and any `.json` file larger than 1 MiB.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from mldebt.config import Settings, glob_match
from mldebt.model import FileError
from mldebt.textsafe import path_text

__all__ = [
    "DEFAULT_EXCLUDE",
    "Discovery",
    "SourceFile",
    "classify",
    "discover",
    "find_project_root",
    "module_name",
]

DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".git/",
    ".hg/",
    ".svn/",
    ".venv/",
    "venv/",
    "__pycache__/",
    ".mypy_cache/",
    ".pytest_cache/",
    ".ruff_cache/",
    ".tox/",
    ".nox/",
    "node_modules/",
    "build/",
    "dist/",
    "site-packages/",
    ".eggs/",
    "*.egg-info/",
    ".ipynb_checkpoints/",
    ".mldebt_cache/",
)

JSON_DATA_SIZE = 1 << 20  # a .json file bigger than this is data, not configuration
EDITOR_DIRS = frozenset({".vscode", ".devcontainer", ".idea"})
NON_CONFIG_JSON = frozenset({"package.json", "package-lock.json", "tsconfig.json"})
CONFIG_SUFFIXES = frozenset({".yaml", ".yml", ".json", ".toml"})
LAUNCHER_NAMES = frozenset({"Makefile", "makefile", "GNUmakefile", "Snakefile"})
LAUNCHER_SUFFIXES = frozenset({".sh", ".mk", ".smk", ".dvc"})
GIT_TIMEOUT_S = 60


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path  # absolute (symlinks not resolved, so it matches `rel`)
    rel: str  # POSIX, relative to the project root
    kind: str  # "python" | "notebook" | "config" | "launcher" | "requirements"


@dataclass(frozen=True, slots=True)
class Discovery:
    files: tuple[SourceFile, ...]  # sorted by rel
    errors: tuple[FileError, ...]  # sorted


def classify(rel: str) -> str | None:
    """The kind of a file from its relative path, or None when mldebt does not read it."""
    parts = rel.split("/")
    name = parts[-1]
    suffix = os.path.splitext(name)[1].lower()
    if suffix == ".py":
        return "python"
    if suffix == ".ipynb":
        return "notebook"
    if name in LAUNCHER_NAMES or suffix in LAUNCHER_SUFFIXES:
        return "launcher"
    if suffix in (".yml", ".yaml") and parts[-3:-1] == [".github", "workflows"]:
        return "launcher"
    if suffix == ".txt" and (name.lower().startswith("requirements") or parts[-2:-1] == ["requirements"]):
        return "requirements"  # pip requirements: dependency declarations (MLD705)
    if suffix == ".json" and any(p in EDITOR_DIRS for p in parts[:-1]):
        return None  # editor and dev-container settings: JSON with comments, not project config
    if suffix in CONFIG_SUFFIXES and name not in NON_CONFIG_JSON:
        return "config"
    return None


def _sniff_script(path: Path) -> str | None:
    """Kind of an extensionless script named on the command line, from its `#!` line."""
    try:
        with path.open("rb") as fh:
            first = fh.readline(256)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    if b"python" in first:
        return "python"
    if b"sh" in first:  # sh, bash, zsh, dash
        return "launcher"
    return None


def module_name(rel: str) -> str:
    """Dotted module name of a Python file or notebook from its relative path.

    "src/pkg/a/b.py" -> "pkg.a.b" (a leading `src/` is a layout directory, not a package),
    "pkg/__init__.py" -> "pkg", "nb/x.ipynb" -> "nb.x". Components that are not identifiers
    ("my-scripts/run 1.py" -> "my-scripts.run 1") are kept as they are.
    """
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if not parts:
        return ""
    stem, suffix = os.path.splitext(parts[-1])
    if suffix in (".py", ".pyi", ".ipynb"):
        parts[-1] = stem
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    if parts[0] == "src" and len(parts) > 1:
        parts.pop(0)
    return ".".join(parts)


def find_project_root(paths: Sequence[str | os.PathLike[str]]) -> Path:
    """The directory of the nearest `pyproject.toml` at or above the first path.

    Without one: the first path if it is a directory, else its directory; the current
    directory when no path is given.
    """
    if not paths:
        start = Path.cwd()
    else:
        first = Path(os.path.abspath(paths[0]))
        start = first if first.is_dir() else first.parent
    for directory in (start, *start.parents):
        if (directory / "pyproject.toml").is_file():
            return directory
    return start


# ---------------------------------------------------------------------------------------------


def _git_env() -> dict[str, str]:
    """The environment without repository-selecting GIT_* variables (set inside git hooks)."""
    keep = (
        "GIT_EXEC_PATH",
        "GIT_CONFIG_NOSYSTEM",
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_SYSTEM",
        "GIT_CEILING_DIRECTORIES",
        "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    )
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in keep}


def _git_files(directory: Path) -> list[str] | None:
    """Files below `directory` (relative to it) that git tracks or would add, or None."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        proc = subprocess.run(
            [git, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=directory,
            env=_git_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return sorted({os.fsdecode(p) for p in proc.stdout.split(b"\0") if p})


class _Walker:
    """Lists the candidate files below one directory given on the command line."""

    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = root
        if settings.exclude is None:
            self.patterns = DEFAULT_EXCLUDE + settings.extend_exclude
            self.skip_venvs = True
        else:
            self.patterns = settings.exclude + settings.extend_exclude
            self.skip_venvs = False
        self.errors: list[FileError] = []
        self._dir_memo: dict[Path, bool] = {}

    def rel(self, path: Path) -> str:
        # Undecodable bytes in a name are escaped here, where paths become strings: every
        # report format can then encode them (the file is still opened through `path`).
        return path_text(os.path.relpath(path, self.root).replace(os.sep, "/"))

    def _matches(self, rel: str, *, is_dir: bool) -> bool:
        return any(glob_match(p, rel, is_dir=is_dir) for p in self.patterns)

    def dir_excluded(self, path: Path) -> bool:
        memo = self._dir_memo.get(path)
        if memo is None:
            memo = (
                self._matches(self.rel(path), is_dir=True)
                or (path / "CACHEDIR.TAG").is_file()
                or (self.skip_venvs and (path / "pyvenv.cfg").is_file())
            )
            self._dir_memo[path] = memo
        return memo

    def file_kind(self, path: Path) -> str | None:
        rel = self.rel(path)
        kind = classify(rel)
        if kind is None or self._matches(rel, is_dir=False):
            return None
        if kind == "config" and rel.lower().endswith(".json"):
            try:
                if path.stat().st_size > JSON_DATA_SIZE:
                    return None
            except OSError:
                return None
        return kind

    def _unreadable(self, path: Path, exc: OSError) -> None:
        """A file mldebt would analyse but cannot stat (a broken or looping link): an error."""
        rel = self.rel(path)
        if classify(rel) is not None and not self._matches(rel, is_dir=False):
            self.errors.append(FileError(rel, f"cannot read: {exc.strerror or exc}"))

    def files(self, top: Path) -> Iterator[Path]:
        listed = _git_files(top)
        if listed is None:
            yield from self._walk(top)
            return
        for name in listed:
            path = top / name
            try:
                if not stat.S_ISREG(path.stat().st_mode):  # a submodule, a nested repo, a link to a directory
                    continue
            except OSError as exc:
                if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                    self._unreadable(path, exc)
                elif os.path.islink(path):  # not deleted: a link to nothing
                    self._unreadable(path, OSError(errno.ENOENT, "broken symlink"))
                continue
            if any(self.dir_excluded(parent) for parent in _parents_below(path, top)):
                continue
            yield path

    def _walk(self, top: Path) -> Iterator[Path]:
        stack = [top]
        while stack:
            directory = stack.pop()
            try:
                with os.scandir(directory) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                self.errors.append(FileError(self.rel(directory), f"cannot read directory: {exc.strerror or exc}"))
                continue
            subdirs = []
            for entry in entries:
                path = Path(entry.path)
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if not self.dir_excluded(path):
                            subdirs.append(path)
                    elif entry.is_file():  # follows a link to a file
                        yield path
                    elif entry.is_symlink() and not os.path.exists(path):
                        self._unreadable(path, OSError(errno.ENOENT, "broken symlink"))
                except OSError as exc:  # a path too long, a permission denied on a link target...
                    self.errors.append(FileError(self.rel(path), f"cannot read: {exc.strerror or exc}"))
                    continue
            stack.extend(reversed(subdirs))


def _parents_below(path: Path, top: Path) -> Iterable[Path]:
    """The directories between `top` (excluded) and `path` (excluded), outermost first."""
    chain = []
    parent = path.parent
    while parent != top and top in parent.parents:
        chain.append(parent)
        parent = parent.parent
    return reversed(chain)


def _inside(real: str, real_root: str) -> bool:
    try:
        return os.path.commonpath([real, real_root]) == real_root
    except ValueError:  # another drive on Windows
        return False


def discover(paths: Sequence[str | os.PathLike[str]], root: Path, settings: Settings | None = None) -> Discovery:
    """The files to analyse under `paths` (files or directories), relative to `root`."""
    settings = settings or Settings()
    root = Path(os.path.abspath(root))
    walker = _Walker(root, settings)
    found: list[SourceFile] = []
    for given in paths:
        path = Path(os.path.abspath(given))
        shown = path_text(Path(given).as_posix())
        if path.is_dir():
            for file in walker.files(path):
                kind = walker.file_kind(file)
                if kind is not None:
                    found.append(SourceFile(file, walker.rel(file), kind))
        elif path.is_file():
            rel = walker.rel(path)
            kind = classify(rel) or (_sniff_script(path) if not path.suffix else None)
            if kind is None:
                walker.errors.append(
                    FileError(shown, "not a file mldebt analyses (Python, notebook, config or launcher)")
                )
            else:
                found.append(SourceFile(path, rel, kind))
        else:
            walker.errors.append(FileError(shown, f"no such file or directory: {shown}"))

    files: list[SourceFile] = []
    seen: set[str] = set()
    real_root = os.path.realpath(root)
    for source in sorted(found, key=lambda s: s.rel):
        real = os.path.realpath(source.path)
        if not _inside(real, real_root):  # the root is a boundary: `conf.yaml -> ~/.config/...`
            linked = _inside(os.path.realpath(source.path.parent), real_root)
            why = "symlink to outside the project" if linked else "outside the project root"
            walker.errors.append(FileError(source.rel, f"{why}, not read"))
            continue
        if real not in seen:  # the same file given twice, or reached through a link
            seen.add(real)
            files.append(source)
    return Discovery(tuple(files), tuple(sorted(set(walker.errors))))
