"""MLD501 undefined-config-key: a key read in code that its configuration source never defines.

Also home of `ConfigKeys`, the project-wide join of `KeyUse` facts (parse/detectors/
config_keys.py) with config definitions (config files, argparse) that MLD501-MLD503 share.
"""

from __future__ import annotations

import difflib
import re
import weakref
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace

from mldebt.graph.build import Built
from mldebt.graph.configflow import REQUIRED
from mldebt.graph.facade import Site
from mldebt.parse.facts import UNKNOWN, ConfigDef, FileFacts, KeyUse, Span
from mldebt.rules.base import Hit, Rule, is_test_path

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
FILE_SOURCES = ("config", "hydra")


def site(path: str, span: Span, note: str = "") -> Site:
    return Site(path, span.line, span.column, span.end_line, span.end_column, note)


def norm(name: str) -> str:
    return name.lower().replace("-", "_")


def leaf_name(key: tuple[str, ...]) -> str:
    """The last component that is not a list index."""
    for part in reversed(key):
        if not part.isdigit():
            return part
    return ""


def dotted(key: tuple[str, ...]) -> str:
    return ".".join(key) if key else "(whole)"


@dataclass(frozen=True, slots=True)
class Use:
    path: str  # the Python file or notebook
    use: KeyUse
    files: tuple[str, ...] | None  # config files it reads, None when unknown
    via: tuple[str, Span] | None = None  # a read in a callee: the call site that passed the config


class ConfigKeys:
    """Every key use of the project, joined with where keys are defined."""

    def __init__(self, built: Built) -> None:
        project = built.project
        self.project = project
        self.uses: list[Use] = []
        self.mentions: set[str] = set()  # names mentioned in code, launchers, config values
        self.config_keys: dict[str, set[str]] = defaultdict(set)  # key name -> config files defining it
        self.argparse_defs: dict[str, list[ConfigDef]] = defaultdict(list)
        cache: dict[tuple[str, str, object], tuple[str, ...] | None] = {}
        self.followed: set[tuple[str, str, str]] = set()  # (helper's file, helper, caller file) read key by key
        mentioned: set[str] = set()  # names as written: normalised once each, after the loop
        for path, facts in project.files.items():
            if facts.kind in ("config", "launcher"):
                for d in facts.config_defs:
                    for k in d.key:
                        if not k.isdigit():
                            self.config_keys[norm(k)].add(path)
                    if d.value.kind in ("str", "unknown"):
                        self.mentions.update(norm(m) for m in _IDENT.findall(d.value.text))
                continue
            for d in facts.config_defs:
                if d.source == "argparse" and d.key:
                    self.argparse_defs[path].append(d)
            for u in self._across_modules(facts):
                if u.source == "param":
                    continue  # a function's summary: applied where a configuration is passed (`pass`)
                if u.source == "mention":  # a name in code: only ever a reason to call a key used
                    mentioned.add(u.key[0])
                    continue
                self.mentions.update(norm(k) for k in u.key if u.op != "define")
                files: tuple[str, ...] | None = None
                if u.source in FILE_SOURCES and u.file.kind != "unknown":
                    ck = (path, u.function, u.file)
                    if ck not in cache:
                        cache[ck] = tuple(project.config_files_named(u.file, path, u.function, 0))
                    files = cache[ck]
                if u.op == "pass":  # followed into the callee (graph/configflow.py), or read whole
                    for where, got in project.config_flow.expand(path, u):
                        via = None if got.op == "read" and got.span == u.span and where == path else (path, u.span)
                        self.mentions.update(norm(k) for k in got.key if got.op != "define")
                        self.uses.append(Use(where, got, files, via))
                    continue
                self.uses.append(Use(path, u, files))
        self.mentions.update({norm(name) for name in mentioned})
        self.loaded: dict[str, list[Use]] = defaultdict(list)  # config file -> uses that read it
        for entry in self.uses:
            for f in entry.files or ():
                self.loaded[f].append(entry)

    def _across_modules(self, facts: FileFacts) -> Iterator[KeyUse]:
        """The file's key uses; a mapping returned by another module's helper (`params =
        read_params(path)`) is a config only when that helper returns one: its uses are kept, with
        the keys the helper walked first (`return yaml.safe_load(f)["train"]`), else dropped."""
        for u in facts.key_uses:
            if u.file.kind != "returned":
                yield u
                continue
            helper = self.project.config_helper(u.file, facts.path, u.function)
            if helper is None:
                continue
            ref, fn = helper
            self.followed.add((ref.path, ref.qualname, facts.path))
            yield replace(u, key=(*fn.value.keys, *u.key)) if fn.value.keys else u

    def mentioned(self, name: str, file: str) -> bool:
        """Is a key name of config `file` mentioned anywhere else (code, launchers, other configs)?"""
        n = norm(name)
        return n in self.mentions or bool(self.config_keys.get(n, set()) - {file})

    def config_defs(self, file: str) -> list[ConfigDef]:
        facts = self.project.files.get(file)
        return list(facts.config_defs) if facts is not None else []

    def is_open(self, file: str) -> bool:
        """Code that adds keys to this file's mapping without naming them (update, merge...)."""
        return any(u.use.op == "define" and not u.use.key for u in self.loaded.get(file, []))

    def code_defines(self, file: str) -> set[tuple[str, ...]]:
        return {u.use.key for u in self.loaded.get(file, []) if u.use.op == "define"}

    def whole_reader(self, u: Use) -> bool:
        """Does this use make everything under its key used?"""
        if u.use.op == "read":
            return True
        if u.use.op == "return":  # callers in other files (or none seen) may use it whole
            callers = self.project.callers.get((u.path, u.use.function), [])
            # unless each of those files reads what the helper returns key by key (see _across_modules)
            return not callers or any(
                p != u.path and (u.path, u.use.function, p) not in self.followed for p, _ in callers
            )
        return False


_SHARED: list[tuple[weakref.ref[Built], ConfigKeys]] = []


def config_keys(built: Built) -> ConfigKeys:
    """The `ConfigKeys` of `built`, joined once for MLD501-MLD503 (each would otherwise redo
    it: on transformers 4.46.3, 265k key uses, three joins cost 1.2 CPU s). Kept only while
    `built` lives."""
    if _SHARED and _SHARED[0][0]() is built:
        return _SHARED[0][1]
    keys = ConfigKeys(built)
    _SHARED[:] = [(weakref.ref(built, _forget), keys)]
    return keys


def _forget(ref: weakref.ref[Built]) -> None:
    if _SHARED and _SHARED[0][0] is ref:
        _SHARED.clear()


def covered(key: tuple[str, ...], prefixes: set[tuple[str, ...]], leaves: set[tuple[str, ...]]) -> bool:
    """A read of `key` is defined when some definition lies at or under it, or a leaf above it
    holds whatever it holds (`model: null` read as `cfg.model.lr`)."""
    return key in prefixes or any(key[:n] in leaves for n in range(1, len(key)))


def prefixes_of(keys: list[tuple[str, ...]]) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for k in keys:
        for n in range(1, len(k) + 1):
            out.add(k[:n])
    return out


class UndefinedConfigKey(Rule):
    id = "MLD501"
    name = "undefined-config-key"

    def check(self, built: Built) -> Iterator[Hit]:
        keys = config_keys(built)
        yield from self._config_files(keys)
        yield from self._argparse(keys)

    def _config_files(self, keys: ConfigKeys) -> Iterator[Hit]:
        seen: set[tuple[str, str, tuple[str, ...]]] = set()
        for u in sorted(keys.uses, key=lambda u: (u.path, u.use.span.line, u.use.span.column)):
            use = u.use
            if use.source not in FILE_SOURCES or use.op not in ("read", "walk", "return") or not use.key:
                continue
            if use.default not in (UNKNOWN, REQUIRED) or not u.files or _in_tests(u):
                continue
            files = u.files
            if any(_composed(keys, f) or keys.is_open(f) or not keys.config_defs(f) for f in files):
                continue
            leaves: set[tuple[str, ...]] = set()
            for f in files:
                leaves |= {d.key for d in keys.config_defs(f)} | keys.code_defines(f)
            defined = prefixes_of(list(leaves))
            if covered(use.key, defined, leaves):
                continue
            n = next(i for i in range(1, len(use.key) + 1) if not covered(use.key[:i], defined, leaves))
            missing = use.key[:n]
            if (u.path, files[0], missing) in seen:
                continue
            seen.add((u.path, files[0], missing))
            siblings = sorted({k[n - 1] for k in defined if len(k) >= n and k[: n - 1] == missing[:-1]})
            close = difflib.get_close_matches(missing[-1], siblings, n=1, cutoff=0.75)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            where = "" if n == 1 else f" under `{dotted(missing[:-1])}`"
            first = min((d for f in files for d in keys.config_defs(f)), key=lambda d: (d.span.line, d.span.column))
            passed = (site(u.via[0], u.via[1], "the configuration is passed here"),) if u.via else ()
            message = f"reads config key `{dotted(use.key)}`, but `{files[0]}` defines no `{missing[-1]}`{where}{hint}"
            if use.default == REQUIRED and missing == use.key:
                message = (
                    f"`{use.function}` takes `{missing[-1]}` without a default, and `{dotted(use.key[:-1])}` is "
                    f"unpacked into it (`**`), but `{files[0]}` defines no `{missing[-1]}`{where}{hint}: "
                    "the call raises TypeError"
                )
            yield Hit(
                site(u.path, use.span),
                message,
                related=(*passed, site(files[0], first.span, f"`{files[0]}` is the config read here")),
                key=f"{files[0]}|{dotted(missing)}",
            )

    def _argparse(self, keys: ConfigKeys) -> Iterator[Hit]:
        # keyed by the parser's file: a namespace passed to a function of another module
        # (`init_distributed_mode(args)` setting `args.gpu`) is opened or given keys there
        opened = {
            _parser(u) for u in keys.uses if u.use.source == "argparse" and u.use.op == "define" and not u.use.key
        }
        defined: dict[str, set[str]] = defaultdict(set)  # file -> argparse dests it defines (once, not per read)
        for v in keys.uses:
            if v.use.source == "argparse" and v.use.op == "define" and v.use.key:
                defined[_parser(v)].add(v.use.key[0])
        seen: set[tuple[str, str]] = set()
        for u in sorted(keys.uses, key=lambda u: (u.path, u.use.span.line, u.use.span.column)):
            use = u.use
            if use.source != "argparse" or use.op not in ("read", "walk", "return") or not use.key:
                continue
            if use.file.kind != "str" or use.default not in (UNKNOWN, REQUIRED) or _in_tests(u):
                continue
            parser_file = use.file.text
            defs = keys.argparse_defs.get(parser_file, [])
            if parser_file in opened or not defs:
                continue
            name = use.key[0]
            if (
                name in defined.get(parser_file, ())
                or any(d.key[0] == name for d in defs)
                or (parser_file, name) in seen
            ):
                continue
            seen.add((parser_file, name))
            dests = {d.key[0] for d in defs} | defined.get(parser_file, set())  # only for a finding: rare
            close = difflib.get_close_matches(name, sorted(dests), n=1, cutoff=0.75)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            near = next((d for d in defs if close and d.key[0] == close[0]), defs[0])
            message = (
                f"reads `{name}` from the parsed arguments, but no `add_argument` of the parser in "
                f"`{parser_file}` defines it{hint}: this raises AttributeError"
            )
            if use.default == REQUIRED:
                message = (
                    f"`{use.function}` takes `{name}` without a default, and the parsed arguments are "
                    f"unpacked into it (`**vars(args)`), but no `add_argument` of the parser in `{parser_file}` "
                    f"defines it{hint}: the call raises TypeError"
                )
            yield Hit(
                site(u.path, use.span),
                message,
                related=(site(parser_file, near.span, f"`{near.key[0]}` is defined here"),),
                key=f"argparse|{name}",
            )


def _in_tests(u: Use) -> bool:
    """A read in a test, or in a callee that a test passes the configuration to (a test may hand
    a fixture config that lacks a key on purpose: `pytest.raises(TypeError)`)."""
    return is_test_path(u.path) or (u.via is not None and is_test_path(u.via[0]))


def _parser(u: Use) -> str:
    return u.use.file.text if u.use.file.kind == "str" else u.path


def _composed(keys: ConfigKeys, file: str) -> bool:
    """A Hydra primary config with a defaults list: its keys come from other files too."""
    return any(d.key and d.key[0] == "defaults" for d in keys.config_defs(file))
