"""MLD502 unused-config-key: a key a config file or argparse defines that nothing reads."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from mldebt.graph.build import Built
from mldebt.rules.base import Hit, Rule, is_test_path
from mldebt.rules.mld501_undefined_config_key import FILE_SOURCES, ConfigKeys, Use, config_keys, dotted, leaf_name, site

_PATHLIKE = re.compile(r"/|\\|^\.|\.[A-Za-z0-9]{1,8}$|^[a-z][a-z0-9+.-]*:")
_NEVER_READ = frozenset({"help", "version"})  # argparse actions that act themselves


def _under(key: tuple[str, ...], defined: set[tuple[str, ...]]) -> bool:
    return any(d[: len(key)] == key or key[: len(d)] == d for d in defined)


class UnusedConfigKey(Rule):
    id = "MLD502"
    name = "unused-config-key"

    def check(self, built: Built) -> Iterator[Hit]:
        keys = config_keys(built)
        yield from self._config_files(keys)
        yield from self._options(keys)

    def _config_files(self, keys: ConfigKeys) -> Iterator[Hit]:
        # a mapping of unknown origin passed on whole could be any file's: then nothing is sure
        if any(
            u.files is None and u.use.source in FILE_SOURCES and keys.whole_reader(u) and not u.use.key
            for u in keys.uses
        ):
            return
        unknown_reads = [u for u in keys.uses if u.use.source in FILE_SOURCES and not u.files and keys.whole_reader(u)]
        for file in sorted(keys.loaded):
            if is_test_path(file) or file.endswith(("dvc.yaml", "pyproject.toml")):
                continue
            readers = [u for u in keys.loaded[file] if not is_test_path(u.path)]
            if not readers:
                continue
            whole = [u.use.key for u in readers + unknown_reads if keys.whole_reader(u)]
            if () in whole:
                continue
            # a key misspelt where it is read is MLD501's finding, not a second one here
            defined = {d.key for d in keys.config_defs(file)}
            misspelt = {u.use.key[-1] for u in readers if u.use.key and not _under(u.use.key, defined)}
            for d in keys.config_defs(file):
                if d.source not in ("yaml", "json", "toml") or d.key[:1] == ("defaults",):
                    continue
                if any(d.key[: len(k)] == k or k[: len(d.key)] == d.key for k in whole):
                    continue
                if d.value.kind == "str" and _PATHLIKE.search(d.value.text):
                    continue  # a declared path: tools, launchers and MLD201 consume those too
                name = leaf_name(d.key)
                if not name or keys.mentioned(name, file) or difflib.get_close_matches(name, misspelt, 1, 0.75):
                    continue
                reader = readers[0]
                yield Hit(
                    site(file, d.span),
                    f"config key `{dotted(d.key)}` is never read: the code that loads `{file}` reads other "
                    f"keys, and `{name}` appears nowhere else in the project",
                    related=(site(reader.path, reader.use.span, f"`{file}` is read here"),),
                    key=dotted(d.key),
                )

    def _options(self, keys: ConfigKeys) -> Iterator[Hit]:
        by_file: dict[str, list[Use]] = {}
        for u in keys.uses:
            if u.use.source in ("argparse", "click"):
                # a namespace passed to another module is read there: it counts for the parser's file
                parser = u.use.file.text if u.use.source == "argparse" and u.use.file.kind == "str" else u.path
                by_file.setdefault(parser, []).append(u)
        for path, defs in sorted(keys.argparse_defs.items()):
            uses = [u for u in by_file.get(path, []) if u.use.source == "argparse"]
            reads = [u for u in uses if u.use.op in ("read", "walk", "return")]
            # the namespace must be seen read key by key, and never handed on whole
            if is_test_path(path) or not any(u.use.key for u in reads):
                continue
            if any(not u.use.key and keys.whole_reader(u) for u in reads):
                continue
            read = {u.use.key[0] for u in reads if u.use.key}
            misspelt = read - {d.key[0] for d in defs}
            for d in defs:
                dest = d.key[0]
                if dest in read or dest in _NEVER_READ or keys.mentioned(dest, path):
                    continue
                if difflib.get_close_matches(dest, sorted(misspelt), 1, 0.75):
                    continue
                yield Hit(
                    site(path, d.span),
                    f"option `{dest}` is defined but never read: nothing reads `args.{dest}` and the name "
                    "appears nowhere else in the project",
                    key=f"argparse|{dest}",
                )
        for path, uses in sorted(by_file.items()):
            clicks = [u for u in uses if u.use.source == "click"]
            if not clicks or is_test_path(path):
                continue
            for u in clicks:
                if u.use.op != "define" or not u.use.key:
                    continue
                same = [v for v in clicks if v.use.file == u.use.file and v.use.op == "read"]
                if any(not v.use.key or v.use.key == u.use.key for v in same):
                    continue
                dest = u.use.key[0]
                if keys.mentioned(dest, path):
                    continue
                yield Hit(
                    site(path, u.use.span),
                    f"option `{dest}` is defined but its parameter is never used in `{u.use.function}`",
                    key=f"click|{u.use.function}|{dest}",
                )
