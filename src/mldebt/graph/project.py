"""The project index: all files' facts, looked up by module, function and config key.

Resolves what one file could not: callees to project functions, imported constants, config
keys, argparse defaults, function parameters bound at call sites. No networkx here.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

from mldebt.model import Resolution
from mldebt.parse.configs import HydraTree, TreeDef, conventional_config, hydra_tree
from mldebt.parse.facts import IO, Call, ConfigDef, FileFacts, Function, Span, Value
from mldebt.parse.sql import is_query, query_tables
from mldebt.parse.values import format_parts

if TYPE_CHECKING:
    from mldebt.graph.configflow import ConfigFlow

# How much a resolution can be trusted, strongest first; a joined value is as weak as its weakest part.
_STRENGTH = {
    Resolution.EXACT: 5,
    Resolution.IMPORTED: 4,
    Resolution.CONFIG: 3,
    Resolution.PARAMETER: 2,
    Resolution.PATTERN: 1,
    Resolution.UNRESOLVED: 0,
}
_MAX_ALTERNATIVES = 8
_NO_SPAN = Span(0, 0, 0, 0)
_MAX_DEPTH = 8
_NOT_KEYS = frozenset({"declared", "directive"})  # config_defs that are declarations, not config keys
_KEDRO_NODE = frozenset(
    {"kedro.pipeline.node", "kedro.pipeline.Node", "kedro.pipeline.node.node", "kedro.pipeline.node.Node"}
)


@dataclass(frozen=True, slots=True)
class Via:
    """One step of how a value was resolved, for rules and evidence (never parsed back from text)."""

    kind: str  # constant | passes | param-default | config-key | config-default | cli-default | cli-flag | argv | env-default
    path: str = ""
    line: int = 0
    name: str = ""  # the constant, parameter, key (dotted), option dest, argv index or variable

    def __str__(self) -> str:
        where = f"{self.path}:{self.line} " if self.line else (f"{self.path}: " if self.path else "")
        label = {
            "constant": self.name,
            "passes": f"passes {self.name}",
            "param-default": f"default of {self.name}",
            "config-key": self.name,
            "config-default": f"default of {self.name}",
            "cli-default": f"default of --{self.name}",
            "cli-flag": f"--{self.name}",
            "argv": f"argv[{self.name}]",
            "env-default": f"${self.name} default",
        }[self.kind]
        return where + label


@dataclass(frozen=True, slots=True)
class Resolved:
    artifact: str  # normalised: POSIX path relative to the root, URL, table or hub id; may hold `*`
    how: Resolution
    via: tuple[Via, ...] = ()  # how, outermost step first
    # When the value came in through a parameter: the outermost call that passed it, and
    # whether what it passed was written there as a literal.
    call_site: tuple[str, Span] | None = None
    passed_literal: bool = False
    # A relative path written in a notebook is anchored at the notebook's directory; this is the
    # path as written, which is what it stands for when it is only a part of a path (a file name
    # a notebook passes to a helper that joins it to a directory). Empty when nothing was anchored.
    unanchored: str = ""


@dataclass(frozen=True, slots=True)
class Binding:
    """The call site that binds a function's parameters, and the binding of the caller's own."""

    path: str  # the caller's file
    call: Call
    outer: Binding | None = None

    @property
    def key(self) -> tuple[tuple[str, int, int], ...]:
        b: Binding | None = self
        out = []
        while b is not None:
            out.append((b.path, b.call.span.line, b.call.span.column))
            b = b.outer
        return tuple(out)


def weakest(a: Resolution, b: Resolution) -> Resolution:
    return a if _STRENGTH[a] <= _STRENGTH[b] else b


@dataclass(frozen=True, slots=True)
class FunctionRef:
    path: str
    qualname: str


class Project:
    def __init__(self, facts: Iterable[FileFacts]) -> None:
        self.files: dict[str, FileFacts] = {f.path: f for f in sorted(facts, key=lambda f: f.path)}
        self.modules: dict[str, FileFacts] = {}
        for f in self.files.values():
            if f.module and f.kind in ("python", "notebook"):
                self.modules.setdefault(f.module, f)
        self._by_suffix: dict[str, list[str]] = defaultdict(list)
        self._raw = False  # resolving the parts of a join: strings stay as written
        for name in self.modules:
            parts = name.split(".")
            for i in range(len(parts)):
                self._by_suffix[".".join(parts[i:])].append(name)
        self.functions: dict[tuple[str, str], Function] = {
            (f.path, fn.qualname): fn for f in self.files.values() for fn in f.functions
        }
        # every YAML/JSON/TOML file for now; `_keep_configs` drops those no code reads as configuration
        self.config_files = {p: f for p, f in self.files.items() if f.kind == "config"}
        # Declarations (parse/configs.py): paths pipelines declare (`*.dvc` outs, dvc.yaml deps/outs/params
        # files), and per script the primary configs of its `@hydra.main` functions.
        self.declared: list[tuple[str, ConfigDef]] = [
            (f.path, d) for f in self.files.values() for d in f.config_defs if d.source == "declared"
        ]
        self.hydra_primaries: dict[str, set[str]] = defaultdict(set)
        for f in self.files.values():
            for u in f.key_uses:
                if u.source == "hydra" and u.file.kind == "str":
                    self.hydra_primaries[f.path].add(normalise(u.file.text, f.path))
        self.cli_defs: dict[str, list[tuple[str, ConfigDef]]] = defaultdict(list)
        self.argv_defs: dict[str, list[tuple[str, ConfigDef]]] = defaultdict(list)  # index -> defs
        for f in self.files.values():
            for d in f.config_defs:
                if d.source in ("argparse", "cli") and d.key:
                    self.cli_defs[d.key[0]].append((f.path, d))
                elif d.source == "argv" and len(d.key) == 2:
                    self.argv_defs[d.key[1]].append((f.path, d))
        self.callers: dict[tuple[str, str], list[tuple[str, Call]]] = defaultdict(list)
        self.callees: dict[tuple[str, int], FunctionRef] = {}  # (path, index of the Call fact) -> callee
        for f in self.files.values():
            for i, call in enumerate(f.calls):
                ref = self.resolve_callee(f, call.caller, call.callee)
                if ref is not None:
                    self.callers[(ref.path, ref.qualname)].append((f.path, call))
                    self.callees[(f.path, i)] = ref
        self._kedro_pipelines()
        self._keep_configs()

    @cached_property
    def config_flow(self) -> ConfigFlow:
        """Configurations followed into the functions and classes they are passed to."""
        from mldebt.graph.configflow import ConfigFlow

        return ConfigFlow(self)

    def _index_configs(self, paths: Iterable[str]) -> None:
        self._config_defs: dict[str, dict[tuple[str, ...], ConfigDef]] = {
            p: {d.key: d for d in self.config_files[p].config_defs if d.source not in _NOT_KEYS} for p in paths
        }
        self._trees: dict[str, HydraTree | None] = {}
        self._defs_by_key: dict[tuple[str, ...], list[tuple[str, ConfigDef]]] = defaultdict(list)
        for p, defs in self._config_defs.items():
            for key, d in defs.items():
                self._defs_by_key[key].append((p, d))

    def _keep_configs(self) -> None:
        """Only configuration stays a config file: what code reads as config, what a pipeline
        declares, Hydra trees, and files named or placed as configuration (`params.yaml`,
        `config*.yaml`, `conf/`). Result dumps, Kubernetes manifests and packaging metadata that
        nothing reads stay out of the graph (a repository's 249 JSON result files made 127k nodes)."""
        params = {normalise(d.value.text) for _, d in self.declared if d.key[:1] == ("params",)}
        hydra_dirs = {posixpath.dirname(p) for ps in self.hydra_primaries.values() for p in ps}
        likely = [
            p
            for p, f in self.config_files.items()
            if p in params
            or (conventional_config(p) and not _is_manifest(f))
            or any(d == "" or p.startswith(d + "/") for d in hydra_dirs)
        ]
        self._index_configs(likely)  # config keys that name config files resolve through these
        self.read_configs: set[str] = set()
        for f in self.files.values():
            for io in f.io:
                if io.kind == "config" and io.op == "read":
                    for r in self.resolve(io.target, f.path, io.function):
                        here = posixpath.normpath(posixpath.join(posixpath.dirname(f.path), r.artifact))
                        self.read_configs.update((r.artifact, here))  # also files with no facts (unparsable)
                    self.read_configs.update(self.config_files_named(io.target, f.path, io.function, 0))
            for u in f.key_uses:
                if u.source in ("config", "hydra") and u.file.kind != "unknown":
                    self.read_configs.update(self.config_files_named(u.file, f.path, u.function, 0))
        kept = sorted(set(likely) | (self.read_configs & set(self.config_files)))
        self.config_files = {p: self.config_files[p] for p in kept}
        if len(kept) != len(likely):
            self._index_configs(kept)

    def is_config(self, path: str) -> bool:
        """Does the project treat this YAML/JSON/TOML file as configuration (see `_keep_configs`)?"""
        return path in self.config_files or path in self.read_configs or conventional_config(path)

    def unread_config_error(self, path: str, message: str) -> bool:
        """A YAML/JSON file that could not be parsed, which is no configuration of the project."""
        return (
            path.lower().endswith((".yaml", ".yml", ".json"))
            and message.startswith(("invalid YAML", "invalid JSON"))
            and not self.is_config(path)
        )

    def _kedro_pipelines(self) -> None:
        """A file building Kedro `node(func, inputs, outputs)`s declares a pipeline of the files of those functions."""
        for path, f in list(self.files.items()):
            steps: set[str] = set()
            for call in f.calls:
                if call.callee not in _KEDRO_NODE:
                    continue
                func = dict(call.kwargs).get("func") or (call.args[0] if call.args else None)
                ref = (
                    self.resolve_callee(f, call.caller, func.text) if func is not None and func.kind == "ref" else None
                )
                steps.add(ref.path if ref is not None else path)
            if steps:
                new = replace(f, declares_pipeline=True, mentions=tuple(sorted(set(f.mentions) | steps)))
                self.files[path] = new
                if self.modules.get(f.module) is f:
                    self.modules[f.module] = new

    # ---------------------------------------------------------------- modules

    def find_module(self, name: str, near: str = "") -> FileFacts | None:
        if name in self.modules:
            return self.modules[name]
        candidates = self._by_suffix.get(name, [])
        if not candidates and name.startswith("src."):
            # modules are named without a `src/` layout's folder; code that imports `src.utils`
            # (run from the root, `src/` itself a package) means the same file
            return self.find_module(name[len("src.") :], near)
        if not candidates:
            return None
        if len(candidates) > 1 and near:
            here = posixpath.dirname(near)
            same_dir = [c for c in candidates if posixpath.dirname(self.modules[c].path) == here]
            if same_dir:
                return self.modules[same_dir[0]]
        return self.modules[sorted(candidates, key=lambda c: (c.count("."), c))[0]]

    def split_qualified(self, dotted: str, near: str = "") -> tuple[FileFacts, str] | None:
        """ "pkg.mod.func" -> (facts of pkg/mod.py, "func"), trying the longest module prefix first."""
        parts = dotted.split(".")
        for i in range(len(parts) - 1, 0, -1):
            mod = self.find_module(".".join(parts[:i]), near)
            if mod is not None:
                return mod, ".".join(parts[i:])
        return None

    def resolve_callee(self, facts: FileFacts, caller: str, callee: str, depth: int = 0) -> FunctionRef | None:
        if depth > 3:
            return None
        if (facts.path, callee) in self.functions:
            return FunctionRef(facts.path, callee)
        found = self.split_qualified(callee, facts.path)
        if found is None:
            return None
        mod, rest = found
        if (mod.path, rest) in self.functions:
            return FunctionRef(mod.path, rest)
        # re-exported through a package __init__: follow its `from x import rest`
        for imp in mod.imports:
            if imp.alias == rest.split(".")[0] and imp.name:
                return self.resolve_callee(mod, "<module>", f"{imp.module}.{imp.name}", depth + 1)
        return None

    def function(self, ref: FunctionRef) -> Function | None:
        return self.functions.get((ref.path, ref.qualname))

    # ---------------------------------------------------------------- values

    def resolve(
        self, value: Value, path: str, function: str, depth: int = 0, binding: Binding | None = None
    ) -> list[Resolved]:
        """Every artifact a symbolic value may name, with how each was found.

        `binding` is the call site of `function` when it is known (context-sensitive lineage):
        then a parameter resolves to what that call passes, not to what every caller passes.
        """
        if depth > _MAX_DEPTH:
            return []
        kind = value.kind
        if kind == "str":
            text = value.text.strip()
            if self._raw:  # a part of a join: joined as written (a trailing `/` matters there), normalised once
                return [Resolved(text, Resolution.EXACT)] if text else []
            return [_literal(text, path)] if text else []
        if kind == "join":
            return self._resolve_join(value, path, function, depth, binding)
        if kind == "format":
            return self._resolve_format(value, path, function, depth, binding)
        if kind == "ref":
            return self._resolve_ref(value.text, path, depth)
        if kind == "param":
            return self._resolve_param(value.text, path, function, depth, binding, value.keys)
        if kind == "config":
            return self._resolve_config(value, path, function, depth)
        if kind == "argparse":
            return self._resolve_cli(value.text, path, function, depth)
        if kind == "returned":  # the config file a helper of another module loads (KeyUse.file)
            helper = self.config_helper(value, path, function)
            if helper is None or not helper[1].value.parts:
                return []
            ref, fn = helper
            call = Call(function, value.text, value.parts, (), (), (), _NO_SPAN)
            return self.resolve(fn.value.parts[0], ref.path, ref.qualname, depth + 1, Binding(path, call, binding))
        if kind == "argv":
            return self._resolve_argv(value.text, path, depth)
        if kind == "env":
            if value.parts and value.parts[0].kind != "unknown":
                return [
                    Resolved(
                        r.artifact,
                        weakest(r.how, Resolution.CONFIG),
                        (Via("env-default", name=value.text), *r.via),
                        unanchored=r.unanchored,
                    )
                    for r in self.resolve(value.parts[0], path, function, depth + 1)
                ]
            return []
        return []

    def resolve_io(self, fact: IO, path: str, binding: Binding | None = None) -> list[Resolved]:
        """The artifacts an I/O site touches. A table is named as `to_sql` and `read_sql_table` name
        it, and a query (`read_sql("SELECT ... FROM t JOIN u")`) reads the tables it selects from, so
        writers and readers of one table meet; tables, URLs and hub ids are not notebook-relative."""
        resolved = self.resolve(fact.target, path, fact.function, binding=binding)
        if fact.format in ("hub", "table", "url"):  # not a path: no notebook directory in front
            resolved = [replace(r, artifact=r.unanchored, unanchored="") if r.unanchored else r for r in resolved]
        if fact.format != "table":
            return resolved
        out: list[Resolved] = []
        for r in resolved:
            if not is_query(r.artifact):
                out.append(r)
                continue
            out.extend(replace(r, artifact=t) for t in query_tables(r.artifact) if "*" not in t)
        return _dedupe(out)

    def _resolve_join(
        self, value: Value, path: str, function: str, depth: int, binding: Binding | None
    ) -> list[Resolved]:
        # Parts are resolved and joined as written (`_raw`): a trailing `/` matters inside a join,
        # and a notebook's directory belongs in front of the whole path only, once (below).
        combos: list[Resolved] = [Resolved("", Resolution.EXACT)]
        for part in value.parts:
            if part.kind in ("str", "num"):
                options = [Resolved(part.text, Resolution.EXACT)]
            elif part.kind == "unknown":
                options = [Resolved("*", Resolution.PATTERN)]
            else:
                raw, self._raw = self._raw, True
                try:
                    resolved = self.resolve(part, path, function, depth + 1, binding)
                finally:
                    self._raw = raw
                options = [
                    Resolved(r.artifact if r.artifact else "*", r.how, r.via, r.call_site, r.passed_literal)
                    for r in resolved
                ] or [Resolved("*", Resolution.PATTERN)]
            new: list[Resolved] = []
            for acc in combos:
                for opt in options[:_MAX_ALTERNATIVES]:
                    sep = value.text if acc.artifact else ""
                    new.append(
                        Resolved(
                            acc.artifact + sep + opt.artifact,
                            weakest(acc.how, opt.how),
                            acc.via + opt.via,
                            acc.call_site or opt.call_site,
                            acc.passed_literal or opt.passed_literal,
                        )
                    )
            combos = new[:_MAX_ALTERNATIVES]
        out: list[Resolved] = []
        for r in combos:
            text, how = r.artifact, r.how
            if text.strip("*/") == "":
                continue
            if "*" in text and how != Resolution.UNRESOLVED:
                how = Resolution.PATTERN
            if self._raw:
                out.append(Resolved(text, how, r.via, r.call_site, r.passed_literal))
                continue
            # the notebook's directory goes in front of the whole path, once; `unanchored` keeps the
            # path as written (hub ids, tables and URLs are not notebook-relative)
            artifact = normalise(text, path)
            bare = normalise(text) if path.endswith(".ipynb") else artifact
            out.append(Resolved(artifact, how, r.via, r.call_site, r.passed_literal, bare if bare != artifact else ""))
        return _dedupe(out)

    def _resolve_format(
        self, value: Value, path: str, function: str, depth: int, binding: Binding | None
    ) -> list[Resolved]:
        """An imported template filled by `.format(...)`: each text the template may hold, its
        fields replaced by the arguments (`parse/values.py`, as the extractor does in one file)."""
        if not value.parts:
            return []
        names = value.keys
        given = value.parts[1:]
        args = [v for v, k in zip(given, names, strict=False) if not k]
        kwargs = {k: v for v, k in zip(given, names, strict=False) if k}
        raw, self._raw = self._raw, True
        try:
            templates = self.resolve(value.parts[0], path, function, depth + 1, binding)
        finally:
            self._raw = raw
        out: list[Resolved] = []
        for t in templates[:_MAX_ALTERNATIVES]:
            parts = format_parts(t.artifact, args, kwargs)
            if parts is None:
                continue
            for r in self._resolve_join(Value("join", "", parts), path, function, depth + 1, binding):
                out.append(replace(r, how=weakest(r.how, t.how), via=(*t.via, *r.via)))
        return _dedupe(out)

    def deref(self, dotted: str, path: str) -> tuple[FileFacts, Value] | None:
        """An imported constant's value: `pkg.paths.DATA`, or `pkg.config.CFG.data.train` as a config key."""
        found = self.split_qualified(dotted, path)
        if found is None:
            return None
        mod, name = found
        consts = dict(mod.constants)
        head, _, rest = name.partition(".")
        if name in consts:
            return mod, consts[name]
        if rest and head in consts and consts[head].kind == "config":
            const = consts[head]
            return mod, Value("config", parts=const.parts, keys=(*const.keys, *rest.split(".")))
        return None

    def _resolve_ref(self, dotted: str, path: str, depth: int) -> list[Resolved]:
        found = self.deref(dotted, path)
        if found is None:
            return []
        mod, value = found
        name = dotted.rsplit(".", 1)[-1]
        results = self.resolve(value, mod.path, "<module>", depth + 1)
        return [
            Resolved(r.artifact, weakest(r.how, Resolution.IMPORTED), (Via("constant", mod.path, name=name), *r.via))
            for r in results
        ]

    def _resolve_param(
        self,
        name: str,
        path: str,
        function: str,
        depth: int,
        binding: Binding | None = None,
        keys: tuple[str, ...] = (),
    ) -> list[Resolved]:
        """What the callers pass for parameter `name`; `keys` picks one item of a `*args` (its
        position) or `**kwargs` (its name) parameter that the function passes on to another."""
        fn = self.functions.get((path, function))
        if fn is None or name not in fn.params or (keys and name not in (fn.star, fn.dstar)):
            return []
        out: list[Resolved] = []
        if binding is not None:
            calls = [(binding.path, binding.call, binding.outer)]
        else:
            calls = [(p, c, None) for p, c in self.callers.get((path, function), [])[:_MAX_ALTERNATIVES]]
        passed = 0
        for caller_path, call, outer in calls:
            arg = bound_item(fn, call, name, keys) if keys else bound_argument(fn, call, name)
            if arg is None:
                continue
            passed += 1
            for r in self.resolve(arg, caller_path, call.caller, depth + 1, outer):
                out.append(
                    Resolved(
                        r.artifact,
                        weakest(r.how, Resolution.PARAMETER),
                        (Via("passes", caller_path, call.span.line, name), *r.via),
                        r.call_site or (caller_path, call.span),
                        r.passed_literal if r.call_site else r.how is Resolution.EXACT,
                        r.unanchored,
                    )
                )
        default = dict(fn.defaults).get(name)
        # the default counts when some call (or an unknown one: no caller seen) leaves it out
        if default is not None and not (calls and passed == len(calls)):
            for r in self.resolve(default, path, "<module>", depth + 1):
                out.append(
                    Resolved(
                        r.artifact,
                        weakest(r.how, Resolution.PARAMETER),
                        (Via("param-default", name=name), *r.via),
                        unanchored=r.unanchored,
                    )
                )
        return _dedupe(out)[:_MAX_ALTERNATIVES]

    def config_files_named(self, value: Value, path: str, function: str, depth: int) -> list[str]:
        files: list[str] = []
        for r in self.resolve(value, path, function, depth + 1):
            for candidate in (r.artifact, posixpath.normpath(posixpath.join(posixpath.dirname(path), r.artifact))):
                if candidate in self.config_files and candidate not in files:
                    files.append(candidate)
            if "*" in r.artifact:
                files.extend(p for p in self.config_files if fnmatch.fnmatchcase(p, r.artifact) and p not in files)
        return files

    def config_helper(self, value: Value, path: str, function: str) -> tuple[FunctionRef, Function] | None:
        """For `Value("returned", "pkg.utils.read_params", args)`: the project function, when it
        returns a config mapping (its `Function.value`); None for anything else it returns."""
        facts = self.files.get(path)
        ref = self.resolve_callee(facts, function, value.text) if facts is not None else None
        fn = self.function(ref) if ref is not None else None
        if ref is None or fn is None or fn.value.kind != "config":
            return None
        return ref, fn

    def returned(self, value: Value, path: str, function: str) -> tuple[FileFacts, Function] | None:
        """The project function whose return value a `ret` Value stands for."""
        facts = self.files.get(path)
        if facts is None or not value.text.isdigit() or int(value.text) >= len(facts.calls):
            return None
        ref = self.callees.get((path, int(value.text)))
        fn = self.function(ref) if ref is not None else None
        return (self.files[ref.path], fn) if ref is not None and fn is not None else None

    def _resolve_config(self, value: Value, path: str, function: str, depth: int) -> list[Resolved]:
        if value.parts and value.parts[0].kind == "ret":  # load_config()["data"], get_args().lr
            returned = self.returned(value.parts[0], path, function)
            if returned is None:
                return []
            facts, fn = returned
            if fn.value.kind == "argparse-ns" and len(value.keys) == 1:
                return self._resolve_cli(value.keys[0], facts.path, fn.qualname, depth + 1)
            if fn.value.kind == "config":
                merged = Value("config", parts=fn.value.parts, keys=(*fn.value.keys, *value.keys))
                return self._resolve_config(merged, facts.path, fn.qualname, depth + 1)
            return []
        if value.parts and value.parts[0].kind == "ref":  # CFG["data"] where CFG is imported
            found = self.deref(value.parts[0].text, path)
            if found is None or found[1].kind != "config":
                return []
            mod, const = found
            merged = Value("config", parts=const.parts, keys=(*const.keys, *value.keys))
            return self._resolve_config(merged, mod.path, "<module>", depth + 1)
        keys = value.keys
        if not keys:
            return []
        files = self.config_files_named(value.parts[0], path, function, depth) if value.parts else []
        hits: list[tuple[str, ConfigDef]] = []
        for f in files:
            d = self._config_defs.get(f, {}).get(keys)
            composed = self.tree_def(f, keys)  # Hydra: the value in effect, maybe from a group file
            if composed is not None:
                hits.append((composed.file, replace(composed.d, key=keys)))
            elif d is not None:
                hits.append((f, d))
        if not hits and not files:
            # The file is not known (`OmegaConf.load(args.config)`): a key path defined in exactly one
            # config file of the project is taken as that definition.
            candidates = self._defs_by_key.get(keys, [])
            if len(candidates) == 1:
                hits = candidates
        out: list[Resolved] = []
        for f, d in hits:
            for r in self.resolve(d.value, f, "<module>", depth + 1):
                out.append(
                    Resolved(
                        r.artifact,
                        weakest(r.how, Resolution.CONFIG),
                        (Via("config-key", f, d.span.line, ".".join(keys)), *r.via),
                    )
                )
        if not out and len(value.parts) > 1:  # cfg.get("key", default)
            for r in self.resolve(value.parts[1], path, function, depth + 1):
                out.append(
                    Resolved(
                        r.artifact,
                        weakest(r.how, Resolution.CONFIG),
                        (Via("config-default", name=".".join(keys)), *r.via),
                    )
                )
        return _dedupe(out)

    def _resolve_argv(self, index: str, path: str, depth: int) -> list[Resolved]:
        """`sys.argv[i]` of a script: what the launchers that run it (dvc.yaml, Makefile...) pass."""
        out: list[Resolved] = []
        for p, d in self.argv_defs.get(index, []):
            script = d.key[0]
            if path == script or path.endswith("/" + script):
                for r in self.resolve(d.value, p, "<module>", depth + 1):
                    out.append(
                        Resolved(
                            r.artifact, weakest(r.how, Resolution.CONFIG), (Via("argv", p, d.span.line, index), *r.via)
                        )
                    )
        return _dedupe(out)

    def _resolve_cli(self, dest: str, path: str, function: str, depth: int) -> list[Resolved]:
        defs = self.cli_defs.get(dest, [])
        local = [(p, d) for p, d in defs if p == path and d.source == "argparse"]
        chosen = local or [(p, d) for p, d in defs if d.source == "argparse"][:1]
        chosen += [(p, d) for p, d in defs if d.source == "cli" and (p, d) not in chosen]
        out: list[Resolved] = []
        for p, d in chosen[:_MAX_ALTERNATIVES]:
            kind = "cli-default" if d.source == "argparse" else "cli-flag"
            for r in self.resolve(d.value, p, "<module>", depth + 1):
                out.append(
                    Resolved(r.artifact, weakest(r.how, Resolution.CONFIG), (Via(kind, p, d.span.line, dest), *r.via))
                )
        return _dedupe(out)

    # ---------------------------------------------------------------- config

    def hydra_tree(self, primary: str) -> HydraTree | None:
        """The Hydra tree composed from `primary`'s `defaults:` list (None without one); memoised."""
        if primary not in self._trees:
            configs = {p: f.config_defs for p, f in self.config_files.items()}
            self._trees[primary] = hydra_tree(primary, configs) if primary in configs else None
        return self._trees[primary]

    def tree_def(self, primary: str, keys: tuple[str, ...]) -> TreeDef | None:
        """The definition in effect of a composed key of `primary`'s Hydra tree (`model.depth`)."""
        if not any(k[:1] == ("defaults",) for k in self._config_defs.get(primary, {})):
            return None
        tree = self.hydra_tree(primary)
        return tree.lookup(keys) if tree is not None else None

    def declared_values(self) -> Iterator[tuple[str, ConfigDef]]:
        """Every value the project declares in config files (where declared data lives)."""
        for p, defs in self._config_defs.items():
            for d in defs.values():
                yield p, d


def _is_manifest(facts: FileFacts) -> bool:
    """A Kubernetes (or Kustomize, Argo ...) manifest: top-level `apiVersion` and `kind`."""
    top = {d.key[0] for d in facts.config_defs if d.key}
    return "apiVersion" in top and "kind" in top


def normalise(text: str, path: str = "") -> str:
    """One spelling per artifact: POSIX separators, no `./`, `..` folded; URLs and tables kept."""
    text = text.strip()
    if "://" in text or text.startswith(("s3:", "gs:", "hf:", "az:")):
        return text.rstrip("/")
    if text.startswith("@here/"):
        base = posixpath.dirname(path)
        text = posixpath.join(base, text[len("@here/") :]) if base else text[len("@here/") :]
    if "\\" in text and not _is_windows_abs(text):
        text = text.replace("\\", "/")
    if _is_windows_abs(text):
        return text
    if path.endswith(".ipynb") and not text.startswith(("/", "~", "@")):
        # Jupyter runs a notebook in its own directory: its relative paths start there.
        text = posixpath.join(posixpath.dirname(path), text)
    absolute = text.startswith("/")
    text = posixpath.normpath(text) if text not in ("", ".") else text
    if absolute and not text.startswith("/"):
        text = "/" + text
    return text


def _literal(text: str, path: str) -> Resolved:
    artifact = normalise(text, path)
    bare = normalise(text) if path.endswith(".ipynb") else artifact
    return Resolved(artifact, Resolution.EXACT, unanchored=bare if bare != artifact else "")


def _is_windows_abs(text: str) -> bool:
    return len(text) > 2 and text[1] == ":" and text[0].isalpha() and text[2] in "\\/"


def _dedupe(items: list[Resolved]) -> list[Resolved]:
    best: dict[str, Resolved] = {}
    for r in items:
        old = best.get(r.artifact)
        if old is None or _STRENGTH[r.how] > _STRENGTH[old.how]:
            best[r.artifact] = r
    return sorted(best.values(), key=lambda r: (-_STRENGTH[r.how], r.artifact))


def param_offset(fn: Function, call: Call) -> int:
    """Positional arguments of a method call skip `self`/`cls`."""
    return 1 if fn.params and fn.params[0] in ("self", "cls") and "." in fn.qualname else 0


def bound_argument(fn: Function, call: Call, name: str) -> Value | None:
    """The Value a call passes for parameter `name` of `fn`, if it passes one. A call that passes
    on its own function's `*args`/`**kwargs` (`read(*args, **kwargs)`) gives an item of that
    parameter (`Value("param", "args", keys=("0",))`), which the caller's callers bind."""
    kw = dict(call.kwargs).get(name)
    if kw is not None:
        return kw
    if name not in (fn.star, fn.dstar):
        arg = _positional(call, fn.params.index(name) - param_offset(fn, call), (name,))
        if arg is not None:
            return arg
    rest = dict(call.kwargs).get("**")
    return Value("param", rest.text, keys=(name,)) if rest is not None and name != fn.dstar else None


def bound_item(fn: Function, call: Call, name: str, keys: tuple[str, ...]) -> Value | None:
    """An item of `fn`'s `*args` (keys: its position, and the name of the parameter it fills,
    which `fn`'s callers may pass by keyword through `**kwargs` instead) or `**kwargs` (keys:
    the name), as `call` passes it."""
    if name == fn.star and keys[0].isdigit():
        arg = _positional(call, fn.params.index(name) - param_offset(fn, call) + int(keys[0]), keys[1:])
        if arg is not None or len(keys) < 2 or not fn.dstar:
            return arg
        name, keys = fn.dstar, keys[1:]  # `wrapper(path="x")` -> `read(*args, **kwargs)`
    if name == fn.dstar:
        kw = dict(call.kwargs).get(keys[0])
        if kw is not None:
            return kw
        rest = dict(call.kwargs).get("**")
        return Value("param", rest.text, keys=(keys[0],)) if rest is not None else None
    return None


def _positional(call: Call, index: int, names: tuple[str, ...] = ()) -> Value | None:
    """The argument at `index`; past the caller's own `*args` passed on, an item of it."""
    for i, arg in enumerate(call.args):
        if arg.kind == "splat":
            return Value("param", arg.text, keys=(str(index - i), *names)) if index >= i else None
        if i == index:
            return arg
    return None


def bound_lineage(fn: Function, call: Call, name: str) -> frozenset[str] | None:
    kw = dict(call.kwarg_lineage).get(name)
    if kw is not None:
        return kw
    if name and name == fn.dstar:  # `**kwargs`: every keyword that names no other parameter
        out = frozenset().union(*(lin for k, lin in call.kwarg_lineage if k not in fn.params))
        return out or None
    index = fn.params.index(name) - param_offset(fn, call)
    if name and name == fn.star:  # `*args`: every positional argument from here on
        out = frozenset().union(*call.arg_lineage[max(index, 0) :])
        return out or None
    if 0 <= index < len(call.arg_lineage):
        return call.arg_lineage[index]
    return dict(call.kwarg_lineage).get("**")
