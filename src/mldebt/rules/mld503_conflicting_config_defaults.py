"""MLD503 conflicting-config-defaults: one setting given different defaults in two places."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from mldebt.graph.build import Built
from mldebt.parse.facts import ConfigDef, Value
from mldebt.rules.base import Hit, Rule, is_test_path
from mldebt.rules.mld501_undefined_config_key import FILE_SOURCES, ConfigKeys, Use, config_keys, dotted, site


def literal(v: Value) -> str | None:
    """A comparable spelling of a literal value, None for anything else."""
    if v.kind == "num":
        try:
            return repr(float(v.text))
        except ValueError:
            return None
    if v.kind == "bool":
        return v.text
    if v.kind == "str" and v.text:
        return "s:" + v.text
    return None


def shown(v: Value) -> str:
    return repr(v.text) if v.kind == "str" else v.text


class ConflictingConfigDefaults(Rule):
    id = "MLD503"
    name = "conflicting-config-defaults"

    def check(self, built: Built) -> Iterator[Hit]:
        keys = config_keys(built)
        yield from self._argparse_vs_file(keys)
        yield from self._fallback_vs_file(keys)
        yield from self._env_defaults(keys)

    def _argparse_vs_file(self, keys: ConfigKeys) -> Iterator[Hit]:
        loaded: dict[str, set[str]] = defaultdict(set)  # script -> config files it reads keys of
        if keys.argparse_defs:
            for u in keys.uses:
                if u.path in keys.argparse_defs and u.use.source in FILE_SOURCES:
                    loaded[u.path].update(u.files or ())
        for path, defs in sorted(keys.argparse_defs.items()):
            if is_test_path(path):
                continue
            files = sorted(loaded.get(path, ()))
            for f in files:
                by_leaf: dict[str, list[ConfigDef]] = defaultdict(list)
                for c in keys.config_defs(f):
                    if c.key and not c.key[-1].isdigit():
                        by_leaf[c.key[-1]].append(c)
                for d in defs:
                    mine = literal(d.value)
                    same = by_leaf.get(d.key[0], [])
                    if mine is None or len(same) != 1:
                        continue
                    other = literal(same[0].value)
                    if other is None or other == mine:
                        continue
                    yield Hit(
                        site(path, d.span),
                        f"`--{d.key[0]}` defaults to {shown(d.value)} here, but `{f}`, which this script loads, "
                        f"sets `{dotted(same[0].key)}: {shown(same[0].value)}`: which one applies depends on "
                        "code order",
                        related=(site(f, same[0].span, f"`{dotted(same[0].key)}` is {shown(same[0].value)} here"),),
                        key=f"{f}|{d.key[0]}",
                    )

    def _fallback_vs_file(self, keys: ConfigKeys) -> Iterator[Hit]:
        seen: set[tuple[str, tuple[str, ...]]] = set()
        for u in sorted(keys.uses, key=lambda u: (u.path, u.use.span.line, u.use.span.column)):
            use = u.use
            if use.source not in FILE_SOURCES or use.op == "define" or not u.files or not use.key:
                continue
            mine = literal(use.default)
            if mine is None or is_test_path(u.path):
                continue
            for f in u.files:
                hit = next((d for d in keys.config_defs(f) if d.key == use.key), None)
                other = literal(hit.value) if hit is not None else None
                if hit is None or other is None or other == mine or (f, use.key) in seen:
                    continue
                seen.add((f, use.key))
                passed = (site(u.via[0], u.via[1], "the configuration is passed here"),) if u.via else ()
                yield Hit(
                    site(u.path, use.span),
                    f"falls back to {shown(use.default)} for `{dotted(use.key)}`, but `{f}` sets it to "
                    f"{shown(hit.value)}: the two defaults disagree",
                    related=(*passed, site(f, hit.span, f"`{dotted(hit.key)}` is {shown(hit.value)} here")),
                    key=f"{f}|{dotted(use.key)}",
                )
                break

    def _env_defaults(self, keys: ConfigKeys) -> Iterator[Hit]:
        by_var: dict[str, list[Use]] = defaultdict(list)
        for u in keys.uses:
            env_read = u.use.source == "env" and u.use.op == "read"
            if env_read and literal(u.use.default) is not None and not is_test_path(u.path):
                by_var[u.use.key[0]].append(u)
        for var, uses in sorted(by_var.items()):
            uses.sort(key=lambda u: (u.path, u.use.span.line, u.use.span.column))
            first = uses[0]
            for u in uses[1:]:
                if literal(u.use.default) != literal(first.use.default):
                    yield Hit(
                        site(u.path, u.use.span),
                        f"`${var}` defaults to {shown(u.use.default)} here but to {shown(first.use.default)} "
                        f"in `{first.path}`",
                        related=(site(first.path, first.use.span, f"`${var}` defaults to {shown(first.use.default)}"),),
                        key=f"env|{var}|{literal(u.use.default)}",
                    )
