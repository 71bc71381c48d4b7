"""Settings: `[tool.mldebt]` in `pyproject.toml` plus command-line overrides -> frozen `Settings`.

Owns the settings vocabulary, its validation (unknown keys, wrong types, unknown rule codes are
errors that name the key and the file) and rule selection (`Settings.is_enabled`,
`Settings.ignored_for`). Knows rule codes and option names only through what the caller passes.

Precedence, as in ruff:
- `select` on the command line replaces the file's `select`, `extend-select` and `ignore`: the
  command line then states the whole selection.
- otherwise `extend-select` and `ignore` given on the command line add to the file's.
- `extend-exclude` always adds; every other key given on the command line replaces the file's.
"""

from __future__ import annotations

import difflib
import fnmatch
import math
import os
import sys
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "CONFIG_NAMES",
    "ConfigError",
    "Settings",
    "find_config",
    "glob_match",
    "load_settings",
]

ALL = "ALL"  # selector matching every rule, as in ruff

RuleOptions = tuple[tuple[str, tuple[tuple[str, object], ...]], ...]


class ConfigError(Exception):
    """An invalid setting; the message names the file (or option) and the key."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def glob_match(pattern: str, rel: str, *, is_dir: bool = False) -> bool:
    """Match a gitignore-style glob against a POSIX path relative to the project root.

    - A pattern without `/` matches one path component: the file or directory name
      (`*.egg-info`, `data`, `*_pb2.py`).
    - A pattern with `/` is anchored at the project root and matched against the whole
      relative path (`src/generated`, `notebooks/*.ipynb`); `*` also matches `/`, so
      `data/*` covers everything under `data/`. A leading `/` or `./` is dropped; a leading
      `**/` also lets the rest match at the root.
    - A trailing `/` restricts the pattern to directories.
    Matching is case-sensitive (`fnmatch.fnmatchcase`).
    """
    pat = pattern.strip()
    if pat.endswith("/"):
        if not is_dir:
            return False
        pat = pat.rstrip("/")
    if pat.startswith("./"):
        pat = pat[2:]
    pat = pat.lstrip("/") if pat.startswith("/") else pat
    if not pat:
        return False
    if "/" not in pat:
        return fnmatch.fnmatchcase(rel.rsplit("/", 1)[-1], pat)
    if fnmatch.fnmatchcase(rel, pat):
        return True
    return pat.startswith("**/") and fnmatch.fnmatchcase(rel, pat[3:])


def _prefix_len(selector: str, code: str) -> int:
    """Specificity of `selector` for `code`: its length if it matches, else -1 (`ALL` is 0)."""
    if selector == ALL:
        return 0
    return len(selector) if code.startswith(selector) else -1


@dataclass(frozen=True, slots=True)
class Settings:
    select: tuple[str, ...] | None = None  # None: the default set (rules whose doc says default)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (glob, codes)
    exclude: tuple[str, ...] | None = None  # None: the defaults of `discover`
    extend_exclude: tuple[str, ...] = ()
    max_file_size: int = 2_000_000  # bytes
    jobs: int | None = None  # None: os.cpu_count()
    cache_dir: str = ".mldebt_cache"  # relative to the project root
    no_cache: bool = False
    output_format: str = "text"
    # [tool.mldebt.rules.MLD101] max-sources = 4  ->  (("MLD101", (("max-sources", 4),)),)
    rule_options: RuleOptions = ()
    fail_on: str = "warning"  # the lowest severity that fails the run: error | warning | note
    min_confidence: str = "medium"  # findings below it are hidden (and counted): high | medium | low
    require_reason: bool = False  # suppressions without `-- reason` suppress nothing

    def is_enabled(self, code: str, default: bool = True) -> bool:
        """Ruff semantics: the most specific matching selector wins; on a tie `ignore` wins.

        With no `select`, the default set is selected: every rule whose doc does not say
        `default = false` (opt-in rules, noisy by nature, need `select` or `extend-select`).
        """
        select = self.select if self.select is not None else (("MLD",) if default else ())
        best_select = max((_prefix_len(s, code) for s in (*select, *self.extend_select)), default=-1)
        if best_select < 0:
            return False
        best_ignore = max((_prefix_len(s, code) for s in self.ignore), default=-1)
        return best_select > best_ignore

    def ignored_for(self, rel_path: str, code: str) -> bool:
        """Whether `per-file-ignores` silences `code` in the file at `rel_path` (see `glob_match`)."""
        for pattern, codes in self.per_file_ignores:
            if glob_match(pattern, rel_path) and any(_prefix_len(c, code) >= 0 for c in codes):
                return True
        return False

    def options(self, code: str) -> dict[str, object]:
        """The options set for one rule, by option name (kebab-case as written)."""
        for rule, opts in self.rule_options:
            if rule == code:
                return dict(opts)
        return {}


# ---------------------------------------------------------------------------------------------
# Loading

_FILE_KEYS = (
    "select",
    "ignore",
    "extend-select",
    "per-file-ignores",
    "exclude",
    "extend-exclude",
    "max-file-size",
    "jobs",
    "cache-dir",
    "output-format",
    "rules",
    "fail-on",
    "min-confidence",
    "require-reason",
)
_CLI_ONLY_KEYS = ("no-cache",)
_CHOICES = {"fail-on": ("error", "warning", "note"), "min-confidence": ("high", "medium", "low")}
_CODE_LISTS = ("select", "ignore", "extend-select")
_GLOB_LISTS = ("exclude", "extend-exclude")


class _Where:
    """Formats messages for one source of settings: the file or the command line."""

    def __init__(self, file: str | None, table: bool = True) -> None:
        self.file = file
        self.table = table

    def key(self, key: str) -> str:
        return f"'{key}'" if self.file is not None else f"option --{key}"

    def error(self, message: str) -> ConfigError:
        prefix = "" if self.file is None else f"{self.file}: [tool.mldebt] " if self.table else f"{self.file}: "
        return ConfigError(prefix + message)


def _display(path: Path) -> str:
    """The path relative to the working directory when below it, else absolute."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _suggest(key: str, candidates: Iterable[str]) -> str:
    cands = list(candidates)
    kebab = key.replace("_", "-")
    if kebab != key and kebab in cands:
        return f" (did you mean '{kebab}'?)"
    close = difflib.get_close_matches(key, cands, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _str_list(key: str, value: object, where: _Where) -> tuple[str, ...]:
    if where.file is None and isinstance(value, str):  # --select MLD1,MLD2
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise where.error(f"{where.key(key)} must be a list of strings")
    return tuple(value)


def _check_codes(key: str, codes: Iterable[str], known: Collection[str], where: _Where) -> None:
    for code in codes:
        if code == ALL:
            continue
        if not code or not any(k.startswith(code) for k in known):
            raise where.error(f"{where.key(key)} has unknown rule code or prefix '{code}'")


def _freeze(value: object) -> object:
    """TOML values made hashable: lists -> tuples, tables -> tuples of pairs."""
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple((k, _freeze(v)) for k, v in value.items())
    return value


def _conforms(value: object, expected: type) -> bool:
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected is int:
        return _is_int(value)
    if expected in (list, tuple):
        return isinstance(value, (list, tuple))
    return isinstance(value, expected)


MAX_INT = 10**9  # no setting means anything beyond this; larger values overflow C sizes
MAX_FILE_SIZE = 1 << 30
MAX_PYPROJECT = 8 << 20  # bytes: a configuration, not a data file


def _in_range(value: object) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return abs(value) <= MAX_INT
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) <= MAX_INT
    return True


def _parse_per_file_ignores(
    key: str, value: object, known: Collection[str], where: _Where
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    pairs: list[tuple[object, object]]
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif where.file is None and isinstance(value, (list, tuple)):
        # command line: "glob:CODE,CODE" strings or (glob, codes) pairs
        pairs = []
        for item in value:
            if isinstance(item, str) and ":" in item:
                glob, _, joined = item.rpartition(":")
                pairs.append((glob, joined))
            elif isinstance(item, (list, tuple)) and len(item) == 2:
                pairs.append((item[0], item[1]))
            else:
                raise where.error(f"{where.key(key)} entries must look like 'GLOB:CODE,CODE'")
    else:
        raise where.error(f"{where.key(key)} must be a table of glob = [codes]")
    out: list[tuple[str, tuple[str, ...]]] = []
    for pattern, raw in pairs:
        if not isinstance(pattern, str):
            raise where.error(f"{where.key(key)} keys must be strings")
        codes: object = raw
        if isinstance(raw, str):
            codes = [c.strip() for c in raw.split(",") if c.strip()] if where.file is None else None
        if not isinstance(codes, (list, tuple)) or not all(isinstance(c, str) for c in codes):
            raise where.error(f"{where.key(key)} value for '{pattern}' must be a list of strings")
        _check_codes(key, codes, known, where)
        out.append((pattern, tuple(codes)))
    return tuple(out)


def _parse_rules(
    value: object,
    known_codes: Collection[str],
    known_options: Mapping[str, Mapping[str, type]],
    where: _Where,
) -> RuleOptions:
    if not isinstance(value, Mapping):
        raise where.error(f"{where.key('rules')} must be a table of rule tables")
    out = []
    for code, opts in value.items():
        if code not in known_codes:
            raise where.error(f"unknown rule '{code}' in 'rules'{_suggest(code, known_codes)}")
        if not isinstance(opts, Mapping):
            raise where.error(f"'rules.{code}' must be a table of options")
        allowed = known_options.get(code, {})
        for name, val in opts.items():
            if name not in allowed:
                hint = _suggest(name, allowed) if allowed else " (the rule takes no options)"
                raise where.error(f"unknown option '{name}' for rule {code}{hint}")
            expected = allowed[name]
            if not _conforms(val, expected):
                raise where.error(f"'rules.{code}.{name}' must be of type {expected.__name__}")
            if not _in_range(val):
                raise where.error(f"'rules.{code}.{name}' is out of range (a finite number of at most {MAX_INT})")
        try:
            out.append((code, tuple((name, _freeze(val)) for name, val in opts.items())))
        except RecursionError:
            raise where.error(f"'rules.{code}' is nested too deeply") from None
    return tuple(out)


def _parse(
    raw: Mapping[str, object],
    where: _Where,
    known_codes: Collection[str],
    known_options: Mapping[str, Mapping[str, type]],
    output_formats: Collection[str] | None,
) -> dict[str, object]:
    """Validate one source of settings; returns attribute-name -> value for the keys it sets."""
    allowed = _FILE_KEYS if where.file is not None else _FILE_KEYS + _CLI_ONLY_KEYS
    out: dict[str, object] = {}
    for key, value in raw.items():
        if key not in allowed:
            raise where.error(f"unknown key '{key}'{_suggest(key, allowed)}")
        attr = key.replace("-", "_")
        if key in _CODE_LISTS:
            codes = _str_list(key, value, where)
            _check_codes(key, codes, known_codes, where)
            out[attr] = codes
        elif key in _GLOB_LISTS:
            out[attr] = _str_list(key, value, where)
        elif key == "per-file-ignores":
            out[attr] = _parse_per_file_ignores(key, value, known_codes, where)
        elif key == "max-file-size":
            if not _is_int(value):
                raise where.error(f"{where.key(key)} must be an integer")
            assert isinstance(value, int)
            if value <= 0:
                raise where.error(f"{where.key(key)} must be a positive integer")
            if value > MAX_FILE_SIZE:
                raise where.error(f"{where.key(key)} must be at most {MAX_FILE_SIZE} (1 GiB)")
            out[attr] = value
        elif key == "jobs":
            if not _is_int(value):
                raise where.error(f"{where.key(key)} must be an integer")
            assert isinstance(value, int)
            if value < 1:
                raise where.error(f"{where.key(key)} must be at least 1")
            value = min(value, MAX_INT)  # the runner caps workers at the CPU count
            out[attr] = value
        elif key in ("cache-dir", "output-format"):
            if not isinstance(value, str) or not value:
                raise where.error(f"{where.key(key)} must be a non-empty string")
            if key == "output-format" and output_formats is not None and value not in output_formats:
                choices = ", ".join(sorted(output_formats))
                raise where.error(f"{where.key(key)} must be one of {choices}, not '{value}'")
            out[attr] = value
        elif key in _CHOICES:
            if value not in _CHOICES[key]:
                raise where.error(f"{where.key(key)} must be one of {', '.join(_CHOICES[key])}, not {value!r}")
            out[attr] = value
        elif key in ("no-cache", "require-reason"):
            if not isinstance(value, bool):
                raise where.error(f"{where.key(key)} must be a boolean")
            out[attr] = value
        elif key == "rules":
            out["rule_options"] = _parse_rules(value, known_codes, known_options, where)
    return out


def _read_pyproject(path: Path) -> Mapping[str, object]:
    """The `[tool.mldebt]` table of `path`, or {} when the file or the table is missing."""
    where = _display(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_PYPROJECT + 1)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_PYPROJECT:
        raise ConfigError(f"{where}: larger than {MAX_PYPROJECT >> 20} MiB, not read")
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: not valid UTF-8 (byte offset {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{where}: [tool.mldebt] {_deepest_key(data)} is nested too deeply") from None
    tool = doc.get("tool", {})
    table = tool.get("mldebt", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [tool.mldebt] must be a table")
    return table


CONFIG_NAMES = (".mldebt.toml", "mldebt.toml", "pyproject.toml")  # first found wins, as in ruff


def _read_toml(path: Path) -> dict[str, object]:
    where = _display(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{where}: no such configuration file") from None
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: not valid UTF-8 (byte offset {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: invalid TOML: {exc}") from None


def _raw_config(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, object]:
    """The settings table of one file (`[tool.mldebt]` of a `pyproject.toml`, the whole document
    of any other TOML file), with `extend = "path"` resolved (relative to the file, own keys win,
    rule tables merged per rule)."""
    real = path.resolve()
    if real in seen:
        raise ConfigError(f"{_display(path)}: 'extend' forms a cycle")
    if path.name == "pyproject.toml":
        table: dict[str, object] = dict(_read_pyproject(path))
    else:
        table = _read_toml(path)
    base = table.pop("extend", None)
    if base is None:
        return table
    if not isinstance(base, str) or not base:
        raise ConfigError(f"{_display(path)}: 'extend' must be a path to a configuration file")
    parent = _raw_config(path.parent / os.path.expanduser(base), (*seen, real))
    merged = {**parent, **table}
    rules_a, rules_b = parent.get("rules"), table.get("rules")
    if isinstance(rules_a, dict) and isinstance(rules_b, dict):
        merged["rules"] = {
            **rules_a,
            **{k: {**rules_a.get(k, {}), **v} if isinstance(v, dict) else v for k, v in rules_b.items()},
        }
    return merged


def _has_settings(path: Path) -> bool:
    if not path.is_file():
        return False
    if path.name != "pyproject.toml":
        return True
    try:
        return b"mldebt" in path.read_bytes() and bool(_read_pyproject(path))
    except (ConfigError, OSError):
        return True  # let loading report it


def find_config(project_root: Path, top: Path | None = None) -> Path | None:
    """The configuration of a project: in `project_root` or, when `top` is given, the nearest
    directory above it (up to the filesystem root, as ruff looks), the first of `.mldebt.toml`,
    `mldebt.toml`, a `pyproject.toml` with `[tool.mldebt]`. Without `top`, only `project_root`."""
    directory = Path(os.path.abspath(project_root))
    while True:
        for name in CONFIG_NAMES:
            if _has_settings(directory / name):
                return directory / name
        if top is None or directory.parent == directory:
            return None
        directory = directory.parent


def _deepest_key(data: bytes) -> str:
    """The key on the line that opens the most brackets: what a too-deep value is set on."""
    best, name = -1, "a value"
    for line in data.decode("utf-8", "replace").splitlines():
        depth = line.count("[") + line.count("{")
        if depth > best and "=" in line:
            best, name = depth, "'" + line.split("=", 1)[0].strip().strip("\"'") + "'"
    return name


def _check_cache_dir(root: Path, value: str, where: _Where) -> None:
    """`cache-dir` must be a directory of its own inside the root, reached through no symlink.

    mldebt writes there (and tags what it creates with `.gitignore` and `CACHEDIR.TAG`): a
    cache dir of `..`, an absolute path, a committed symlink, the root or a source directory
    would let a repository make it write, or hide files, elsewhere.
    """
    key = where.key("cache-dir")
    if os.path.isabs(value):
        raise where.error(f"{key} must be a relative path inside the project root, not '{value}'")
    base = Path(os.path.abspath(root))
    target = Path(os.path.normpath(base / value))
    if target == base or base not in target.parents:
        raise where.error(f"{key} must be a directory inside the project root, not '{value}'")
    walked = base
    for part in target.relative_to(base).parts:
        walked = walked / part
        if os.path.islink(walked):
            raise where.error(f"{key} must not be or go through a symlink ('{walked.relative_to(base).as_posix()}')")
    if not os.path.lexists(target):
        return
    if not target.is_dir():
        raise where.error(f"{key} '{value}' exists and is not a directory")
    try:
        names = os.listdir(target)
    except OSError as exc:
        raise where.error(f"{key} '{value}' cannot be read: {exc.strerror or exc}") from None
    foreign = sorted(n for n in names if n not in _CACHE_NAMES and not n.startswith(".tmp-"))
    if foreign:
        raise where.error(f"{key} '{value}' holds files that are not mldebt's cache (e.g. '{foreign[0]}')")


_CACHE_NAMES = frozenset({"CACHEDIR.TAG", ".gitignore", "v1", "fixes", "results-v1"})  # facts, fixes, reports


def load_settings(
    root: Path,
    overrides: Mapping[str, object] | None = None,
    known_codes: Collection[str] = (),
    known_options: Mapping[str, Mapping[str, type]] | None = None,
    *,
    output_formats: Collection[str] | None = None,
    config_file: str | os.PathLike[str] | None = None,
    top: Path | None = None,
) -> Settings:
    """Read the configuration of project `root` and apply command-line `overrides`.

    The file is `config_file` when given (`--config`), else what `find_config(root, top)` finds:
    `.mldebt.toml`, `mldebt.toml` (the keys of `[tool.mldebt]` at top level) or `[tool.mldebt]`
    of `pyproject.toml`, in `root` or, when `top` is given, the nearest directory above it.
    `overrides` keys may be kebab- or snake-case (`extend-select`, `extend_select`); a value of
    None means "not given" (what click passes for an unset option). List-valued options also
    accept a comma-separated string. `known_codes` are the registry's rule codes; a selector is
    valid if some known code starts with it (or it is `ALL`). `known_options` maps a rule code
    to its option names and types; any other option is rejected. `output_formats`, when given,
    limits `output-format`.
    """
    opts = known_options or {}
    path = Path(config_file) if config_file is not None else find_config(Path(root), top)
    file_values: dict[str, object] = {}
    if path is not None:
        where = _Where(_display(path), table=path.name == "pyproject.toml")
        file_values = _parse(_raw_config(path), where, known_codes, opts, output_formats)
    cli_raw = {k.replace("_", "-"): v for k, v in (overrides or {}).items() if v is not None}
    cli_values = _parse(cli_raw, _Where(None), known_codes, opts, output_formats)

    merged = dict(file_values)
    if "select" in cli_values:
        merged.pop("extend_select", None)
        merged.pop("ignore", None)
    for attr, value in cli_values.items():
        if attr in ("extend_select", "ignore", "extend_exclude") and attr in merged:
            previous = merged[attr]
            assert isinstance(previous, tuple) and isinstance(value, tuple)
            merged[attr] = previous + value
        else:
            merged[attr] = value
    if not merged.get("no_cache") and "cache_dir" not in cli_values:
        # the repository's choice (its pyproject.toml, or a committed default directory) is
        # checked; a caller's own override (the API, a benchmark's temporary directory) is not
        _check_cache_dir(
            Path(root),
            str(merged.get("cache_dir", Settings().cache_dir)),
            _Where(_display(path) if path is not None else "mldebt's defaults", table=path is not None),
        )
    return Settings(**merged)  # type: ignore[arg-type]
