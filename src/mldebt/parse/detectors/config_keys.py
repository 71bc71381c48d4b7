"""Configuration keys in code (Sculley §6): the `KeyUse` facts of a file. A shared analysis, not
a rule: MLD501-MLD503 join these uses with the config definitions (one `ConfigKeys` per build),
MLD506 counts the environment reads, the graph resolves config-valued paths and follows passed
configurations with them (graph/project.py, graph/configflow.py), and MLD504's detector asks
`scan` (memoised per file) whether the file reads a configuration system.

`key_uses` follows, per scope and in source order, the names bound to a configuration source:
an argparse namespace (`args = parser.parse_args()`), a loaded config mapping
(`yaml.safe_load(open(p))`, `json.load`, `tomllib.load`, `OmegaConf.load(p)`,
`dvc.api.params_show()`), the config of a `@hydra.main` function, a dataclass or pydantic
settings instance. Every maximal key access on such a name (`cfg["train"]["lr"]`,
`cfg.train.lr`, `args.lr`, `cfg.get("lr", 0.1)`) is one KeyUse:

  op "read"    the value is used: everything under the key counts as read (the key may name a
               subtree passed on). A bare name passed to a call (`Model(**cfg)`, `yaml.dump(cfg)`)
               reads the whole mapping at its prefix (key = the binding's prefix, `()` at the top).
  op "walk"    a path only traversed to bind a sub-mapping (`p = cfg["train"]`): checked for
               existence, but it does not make the keys below it used.
  op "define"  the code sets a key (`cfg["x"] = 1`, `args.x = 1`, an argparse dest via `click`);
               key `()` means the set is open (merged, updated, `parse_known_args`, `setattr`...).

Reads through `.get`/`getattr` with a fallback, or guarded by `"k" in cfg`, carry the fallback in
`default` (`Value("none")` when there is none): they do not require the key to exist.

A config mapping passed to a function of the same file binds that function's parameter (the
reads happen there). Passed to another callee of the project (`build_model(cfg.model)`,
`Trainer(params["optim"])`, `self._build(self.cfg)`) it is op "pass": `default` names the
callee and the slot, and the graph phase follows it (graph/configflow.py) or reads it whole; passed to a
library, a builtin or a method of an unknown object, it is read whole. Unpacked into a callee of
the project, it is a pass too: slot `*i` (`Net(*cfg["sizes"])`, from the i-th position on) or
`**` (`Trainer(**cfg["trainer"])`, followed by the number of positional arguments and the
keywords the call also passes, `_splat_info`).

Summaries: every parameter named like a configuration (`is_config_param`) is a source of its own,
"param", with `file = Value("param", name, keys=(owner qualname,))`: its reads, walks, defines,
returns and passes are the function's summary for that parameter. So is every `*args` (keys are
positions: `args[0]["lr"]`) and `**kwargs` (keys are names: `kwargs.get("lr", 0.1)`), whatever
its name; one the function changes (`kwargs.setdefault(...)`) is left unsummarised. A method's `self.attr`
assigned one configuration (and nothing else) in the class (`self.cfg = cfg`) is that
configuration in every method of the class. `mentions` records every attribute name, keyword and
identifier-like string of a file (source "mention"): a config key whose name appears nowhere is
the unused-key evidence of MLD502.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from mldebt.parse.detectors.context import FUNCTIONS, FileContext, function_of
from mldebt.parse.facts import UNKNOWN, KeyUse, Span, Value

NONE = Value("none")  # the fallback of `.get("k")`, `getattr(a, "k", None)`, a guarded read

_CONFIG_ROOTS = (
    "argparse",
    "yaml",
    "ruamel",
    "json",
    "tomllib",
    "tomli",
    "toml",
    "omegaconf",
    "hydra",
    "click",
    "dvc",
    "pydantic",
    "pydantic_settings",
    "dataclasses",
    "os",
)
_LOADERS_HANDLE = frozenset(
    {
        "yaml.safe_load",
        "yaml.load",
        "yaml.full_load",
        "yaml.unsafe_load",
        "json.load",
        "json.loads",
        "yaml.safe_load_all",
        "tomllib.load",
        "tomllib.loads",
        "tomli.load",
        "tomli.loads",
        "toml.load",
        "toml.loads",
    }
)
_LOADERS_PATH = frozenset({"omegaconf.OmegaConf.load", "toml.load"})
_ARGPARSER = frozenset({"argparse.ArgumentParser"})
# Calls that return the same mapping in another dress: attribute access, a plain dict...
_WRAPPERS = frozenset(
    {
        "EasyDict",
        "edict",
        "Munch",
        "munchify",
        "DefaultMunch",
        "ConfigDict",
        "FrozenConfigDict",
        "Box",
        "AttrDict",
        "DotMap",
        "dict",
        "deepcopy",
        "copy",
        "vars",
        "to_container",
        "to_object",
        "create",
        "DictConfig",
    }
)
# Methods of a config mapping that read it all / that change its set of keys.
_WHOLE_METHODS = frozenset({"items", "keys", "values", "copy", "to_dict", "to_container", "__iter__"})
_OPEN_METHODS = frozenset({"update", "setdefault", "merge_with", "clear", "popitem"})
_OPEN_CALLS = frozenset({"set_struct", "open_dict", "merge", "unsafe_merge", "update", "setattr", "read_write"})
_GUARD_CALLS = frozenset({"hasattr"})
# Handing a whole config to these records or shows it; it reads no key (MLD502 must not take it
# for a use of every key, nor MLD501 for one).
_LOGGERS = frozenset(
    {
        "print",
        "str",
        "repr",
        "pprint.pprint",
        "pprint.pformat",
        "omegaconf.OmegaConf.to_yaml",
        "omegaconf.OmegaConf.save",
        "mlflow.log_params",
        "mlflow.log_param",
        "mlflow.log_dict",
        "wandb.init",
        "wandb.config.update",
    }
)
_LOGGER_METHODS = frozenset(
    {"log_params", "log_hyperparams", "log_parameters", "log_parameter", "add_hparams", "log_dict", "log_config"}
)
_LOG_LEVELS = frozenset({"info", "debug", "warning", "warn", "error", "critical", "log", "print"})
_DATACLASS = frozenset({"dataclasses.dataclass", "dataclass", "pydantic.dataclasses.dataclass"})
_SETTINGS_BASES = frozenset({"pydantic.BaseSettings", "pydantic_settings.BaseSettings"})
_CONFIGISH = re.compile(r"(config|conf|cfg|settings|params|hparams|args|options|opts)$", re.I)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A helper of another module that may return a config mapping, by its name (`read_params`,
# `load_config`, `get_cfg`, `parse_yaml`); the graph phase checks what it really returns.
_HELPER = re.compile(r"(?i)(config|conf|cfg|param|setting|hparam|hyperparam|yaml|yml|toml|options)[^.]*$")
_NOT_HELPERS = frozenset(
    {"torch", "tensorflow", "keras", "transformers", "sklearn", "numpy", "pandas", "jax", "mlflow", "wandb"}
)


@dataclass(frozen=True, slots=True)
class _Src:
    """A configuration mapping a name stands for, at a key prefix."""

    source: str  # "argparse" | "config" | "hydra" | "dataclass" | "settings"
    file: Value
    prefix: tuple[str, ...] = ()
    attrs: bool = True  # keys are read as attributes too (namespaces, OmegaConf, EasyDict)
    fallback: Value = UNKNOWN  # bound through `.get("k", default)`: the key may be missing


@dataclass(frozen=True, slots=True)
class _Path:
    value: Value  # a path, or an open file's path (`with open(p) as f`)


@dataclass(frozen=True, slots=True)
class _Self:
    """The first parameter of a method: `self.cfg` may hold a configuration (see `_Scan.attrs`)."""

    cls: str  # the class's qualname ("Trainer", "outer.<locals>.Trainer" is never tracked)


_Binding = _Src | _Path | _Self
# Parameters summarised as configuration (source "param"): named like one, in whole or as a
# `_`-separated part (`cfg`, `model_cfg`, `optim_params`, `hparams`, `args`, `opts`). Others are
# not followed: a config passed to them is used whole, as before.
_CONFIG_PARAM_PARTS = frozenset(
    {
        "cfg",
        "cfgs",
        "conf",
        "config",
        "configs",
        "configuration",
        "params",
        "param",
        "hparams",
        "hparam",
        "hyperparams",
        "hps",
        "hp",
        "settings",
        "opt",
        "opts",
        "options",
        "args",
    }
)
# Callees never followed: a config handed to these is used whole, and no "pass" is recorded.
_LIBRARY_ROOTS = frozenset(
    {
        *_NOT_HELPERS,
        *_CONFIG_ROOTS,
        "builtins",
        "copy",
        "functools",
        "itertools",
        "logging",
        "os",
        "sys",
        "pathlib",
        "pprint",
        "lightning",
        "pytorch_lightning",
        "accelerate",
        "datasets",
        "timm",
        "xgboost",
        "lightgbm",
        "catboost",
        "scipy",
        "optuna",
        "ray",
        "torchvision",
        "torchaudio",
        "matplotlib",
        "seaborn",
        "PIL",
        "cv2",
        "onnx",
        "onnxruntime",
        "comet_ml",
        "ultralytics",
    }
)
# Sources whose sub-mappings are followed into callees (the others stay read whole when passed).
_FOLLOWED = frozenset({"config", "hydra", "argparse", "param"})
_MAX_SUMMARY_KEYS = 64  # key uses of one parameter; past that it is taken as used whole


_PATH_PARTS = frozenset(
    {"path", "paths", "file", "files", "filename", "fname", "dir", "name", "url", "uri", "key", "id"}
)


def is_config_param(name: str) -> bool:
    """`cfg`, `model_cfg`, `optim_params`, `hparams`: not `config_path`, `cfg_file`, `config_name`."""
    parts = [p for p in name.lower().split("_") if p]
    return any(p in _CONFIG_PARAM_PARTS for p in parts) and not any(p in _PATH_PARTS for p in parts)


def _const_key(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int)) and not isinstance(node.value, bool):
        return str(node.value)
    return None


def literal_value(node: ast.expr | None) -> Value:
    """The `Value` of a literal (`0.1`, `-3`, `"adam"`, `True`, `None`); UNKNOWN for anything else."""
    if node is None:
        return UNKNOWN
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = literal_value(node.operand)
        return Value("num", "-" + inner.text) if inner.kind == "num" else UNKNOWN
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool):
            return Value("bool", "true" if v else "false")
        if isinstance(v, (int, float)):
            return Value("num", repr(v))
        if isinstance(v, str):
            return Value("str", v)
        if v is None:
            return NONE
    return UNKNOWN


def _join(sep: str, parts: Iterable[Value]) -> Value:
    parts = tuple(parts)
    if all(p.kind == "str" for p in parts):
        return Value("str", sep.join(p.text for p in parts))
    return Value("join", sep, parts)


class _Scan:
    """One file's configuration bindings and key uses."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.out: dict[tuple[int, int, str, str, tuple[str, ...]], KeyUse] = {}
        top = [fn for fn in ctx.functions if isinstance(ctx.scope_of(fn), ast.Module)]
        counts: dict[str, int] = {}
        for fn in top:
            counts[fn.name] = counts.get(fn.name, 0) + 1
        # module-level functions defined once (twice: which one a call reaches is unknown)
        self.functions = {fn.name: fn for fn in top if counts[fn.name] == 1}
        self.classes: dict[str, str] = {}  # class name -> "dataclass" | "settings"
        self.parsers: set[str] = set()  # names bound to argparse.ArgumentParser(...) in this file
        self.param_bindings: dict[str, dict[str, _Src]] = {}  # function -> param -> source
        self.returns: dict[str, _Src] = {}  # function -> the source it returns
        self.constants: dict[str, ast.expr] = {}
        self.hydra_functions: dict[ast.AST, _Src] = {}
        self.argparse_open = False
        # (class qualname, attribute) -> the configuration `self.attr` holds; None when assigned
        # anything else too (then it is not followed, and storing a config there uses it whole)
        self.attrs: dict[tuple[str, str], _Src | None] = {}
        # what a pass looked up in returns / param_bindings / attrs, and whether any of it changed
        # after it was looked up (then the next pass sees different values, else this one is final)
        self.consumed: set[tuple[str, ...]] = set()
        self.dirty = False
        self.defined = {n.name for n in ctx.tree.body if isinstance(n, (*FUNCTIONS, ast.ClassDef))}
        self.splats: set[Value] = set()  # the summarised `*args` / `**kwargs` parameters

    # ------------------------------------------------------------ output

    def emit(
        self, src: _Src, op: str, keys: tuple[str, ...], node: ast.AST | Span, function: str, default: Value = UNKNOWN
    ) -> None:
        span = node if isinstance(node, Span) else self.ctx.span(node)
        key = (*src.prefix, *keys)
        use = KeyUse(src.source, op, key, span, src.file, function, default)
        self.out.setdefault((span.line, span.column, src.source, op, key), use)

    # ------------------------------------------------------------ prepass

    def prepass(self) -> None:
        ctx = self.ctx
        for stmt in ctx.tree.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                self.constants[stmt.targets[0].id] = stmt.value
        for node in ctx.walk():
            if isinstance(node, ast.ClassDef):
                decos = {ctx.qualify(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list}
                bases = {ctx.qualify(b) for b in node.bases}
                if bases & _SETTINGS_BASES:
                    self.classes[node.name] = "settings"
                elif decos & _DATACLASS and _CONFIGISH.search(node.name):
                    self.classes[node.name] = "dataclass"
            elif (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and (ctx.call_name(node.value) in _ARGPARSER or self._makes_parser(node.value))
            ):
                self.parsers.update(t.id for t in node.targets if isinstance(t, ast.Name))
        for node in ctx.walk():
            if isinstance(node, ast.Call):
                self._argparse_openness(node)

    def _makes_parser(self, call: ast.Call) -> bool:
        """`parser = get_parser()` where `get_parser` is a function of this file that builds one."""
        fn = self.functions.get(call.func.id) if isinstance(call.func, ast.Name) else None
        if fn is None:
            return False
        nodes = list(ast.walk(fn))
        # it returns the parser (`return parser`), not what it parses (`return parser.parse_args()`)
        returns_parser = any(
            isinstance(n, ast.Return)
            and (
                isinstance(n.value, ast.Name)
                or (isinstance(n.value, ast.Call) and _attr(n.value) not in ("parse_args", "parse_known_args"))
            )
            for n in nodes
        )
        return returns_parser and any(isinstance(n, ast.Call) and self.ctx.call_name(n) in _ARGPARSER for n in nodes)

    def _argparse_openness(self, node: ast.Call) -> None:
        ctx = self.ctx
        func = node.func
        name = ctx.call_name(node)
        if name in _ARGPARSER:
            for kw in node.keywords:
                if kw.arg == "parents":
                    elts = kw.value.elts if isinstance(kw.value, (ast.List, ast.Tuple)) else None
                    if elts is None or not all(isinstance(e, ast.Name) and e.id in self.parsers for e in elts):
                        self.argparse_open = True
            return
        if isinstance(func, ast.Attribute):
            if func.attr in ("parse_known_args", "set_defaults", "parse_known_intermixed_args"):
                self.argparse_open = True
            elif func.attr == "add_argument":
                literal = any(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)
                dest = any(kw.arg == "dest" and isinstance(kw.value, ast.Constant) for kw in node.keywords)
                if (not literal and not dest) or any(kw.arg is None for kw in node.keywords):
                    self.argparse_open = True
            elif func.attr == "parse_args" and any(kw.arg == "namespace" for kw in node.keywords):
                self.argparse_open = True
        # a parser handed to code elsewhere may get options added there
        callee = func.id if isinstance(func, ast.Name) else None
        if callee in self.functions or (
            isinstance(func, ast.Attribute) and func.attr in ("parse_args", "add_argument")
        ):
            return
        for a in [*node.args, *(k.value for k in node.keywords)]:
            if isinstance(a, ast.Name) and a.id in self.parsers:
                self.argparse_open = True

    # ------------------------------------------------------------ values

    def path_value(self, node: ast.expr, env: dict[str, _Binding], depth: int = 0) -> Value:
        """The symbolic path an expression holds (the extractor's `Value` kinds)."""
        if depth > 8:
            return UNKNOWN
        ctx = self.ctx
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return Value("str", node.value)
        if isinstance(node, ast.Name):
            if node.id == "__file__":
                return Value("str", ctx.rel)
            b = env.get(node.id)
            if isinstance(b, _Path):
                return b.value
            if b is None and node.id in self.constants and node.id not in env:
                return self.path_value(self.constants[node.id], {}, depth + 1)
            return UNKNOWN
        if isinstance(node, ast.JoinedStr):
            parts: list[Value] = []
            for v in node.values:
                if isinstance(v, ast.Constant) and isinstance(v.value, str):
                    parts.append(Value("str", v.value))
                elif isinstance(v, ast.FormattedValue):
                    inner = self.path_value(v.value, env, depth + 1)
                    parts.append(inner if inner.kind != "unknown" else UNKNOWN)
            return _join("", parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.Add)):
            sep = "/" if isinstance(node.op, ast.Div) else ""
            left, right = self.path_value(node.left, env, depth + 1), self.path_value(node.right, env, depth + 1)
            if left.kind == "unknown" and right.kind == "unknown":
                return UNKNOWN
            return _join(sep, (left, right))
        if isinstance(node, ast.Attribute):
            src = self.source_of(node.value, env, depth + 1)
            if isinstance(src, _Src) and src.source == "argparse" and not src.prefix:
                return Value("argparse", node.attr)
            if isinstance(src, _Src) and src.source in ("config", "hydra"):
                return Value("config", parts=(src.file,), keys=(*src.prefix, node.attr))
            if node.attr == "parent":
                inner = self.path_value(node.value, env, depth + 1)
                if inner.kind == "str":
                    return Value("str", inner.text.rsplit("/", 1)[0] if "/" in inner.text else ".")
            return UNKNOWN
        if isinstance(node, ast.Subscript):
            src = self.source_of(node.value, env, depth + 1)
            key = _const_key(node.slice)
            if isinstance(src, _Src) and src.source in ("config", "hydra") and key is not None:
                return Value("config", parts=(src.file,), keys=(*src.prefix, key))
            return UNKNOWN
        if isinstance(node, ast.Call):
            name = ctx.call_name(node) or ""
            args = [a for a in node.args if not isinstance(a, ast.Starred)]
            if name in ("os.path.join", "posixpath.join", "pathlib.Path", "pathlib.PurePath") and len(args) > 1:
                return _join("/", (self.path_value(a, env, depth + 1) for a in args))
            if name in ("open", "str", "pathlib.Path", "os.fspath", "os.path.abspath", "os.path.realpath") and args:
                return self.path_value(args[0], env, depth + 1)
            if name == "os.path.dirname" and args:
                inner = self.path_value(args[0], env, depth + 1)
                if inner.kind == "str":
                    return Value("str", inner.text.rsplit("/", 1)[0] if "/" in inner.text else ".")
                return UNKNOWN
            if name in ("os.getenv", "os.environ.get") and args:
                var = literal_value(args[0])
                if var.kind == "str":
                    default = self.path_value(args[1], env, depth + 1) if len(args) > 1 else UNKNOWN
                    return Value("env", var.text, (default,))
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("resolve", "absolute", "open", "read"):
                return self.path_value(node.func.value, env, depth + 1)
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("read_text", "read_bytes"):
                return self.path_value(node.func.value, env, depth + 1)
        return UNKNOWN

    def source_of(self, node: ast.expr, env: dict[str, _Binding], depth: int = 0) -> _Src | None:
        """The configuration mapping an expression evaluates to, if any."""
        if depth > 12:
            return None
        ctx = self.ctx
        if isinstance(node, ast.Name):
            b = env.get(node.id)
            return b if isinstance(b, _Src) else None
        if isinstance(node, ast.Subscript):
            src = self.source_of(node.value, env, depth + 1)
            key = _const_key(node.slice)
            if src is not None and key is not None:
                return _Src(src.source, src.file, (*src.prefix, key), src.attrs)
            return None
        if isinstance(node, ast.Attribute):
            held = self.self_attr(node, env)
            if held is not None:
                return held
            src = self.source_of(node.value, env, depth + 1)
            if src is not None and src.attrs and not node.attr.startswith("__"):
                return _Src(src.source, src.file, (*src.prefix, node.attr), src.attrs)
            return None
        if not isinstance(node, ast.Call):
            return None
        name = ctx.call_name(node) or ""
        func = node.func
        args = node.args
        if isinstance(func, ast.Attribute):
            base = self.source_of(func.value, env, depth + 1)
            if base is not None:
                if func.attr in ("get", "pop") and args and _const_key(args[0]) is not None:
                    fallback = literal_value(args[1]) if len(args) > 1 else NONE
                    if fallback.kind == "unknown" and len(args) > 1:
                        fallback = Value("unknown", "expr")
                    return _Src(base.source, base.file, (*base.prefix, str(_const_key(args[0]))), base.attrs, fallback)
                if func.attr in ("copy", "to_dict"):
                    return base
                return None
            if func.attr in ("parse_args", "parse_intermixed_args"):
                recv = func.value
                local = (isinstance(recv, ast.Name) and recv.id in self.parsers) or (
                    isinstance(recv, ast.Call) and (ctx.call_name(recv) in _ARGPARSER or self._makes_parser(recv))
                )
                return _Src("argparse", Value("str", ctx.rel) if local else UNKNOWN)
            if func.attr == "parse_known_args":
                return None  # a tuple; `args, _ = ...` is bound in bind()
        if name in _LOADERS_HANDLE or name in _LOADERS_PATH:
            target = args[0] if args else next((k.value for k in node.keywords if k.arg in ("stream", "fp", "f")), None)
            path = self.path_value(target, env, depth + 1) if target is not None else UNKNOWN
            return _Src("config", path, attrs=name.startswith("omegaconf"))
        if name == "dvc.api.params_show":
            return _Src("config", Value("str", "params.yaml"))
        if name in ("omegaconf.OmegaConf.merge", "omegaconf.OmegaConf.unsafe_merge", "hydra.compose"):
            return _Src("config", Value("unknown", "merged"))
        last = name.rsplit(".", 1)[-1]
        if last in _WRAPPERS and len(args) == 1 and not node.keywords:
            inner = self.source_of(args[0], env, depth + 1)
            if inner is not None:
                return _Src(inner.source, inner.file, inner.prefix, last not in ("dict", "vars"))
            return None
        if last == "SimpleNamespace" and node.keywords and node.keywords[0].arg is None and not args:
            inner = self.source_of(node.keywords[0].value, env, depth + 1)
            return _Src(inner.source, inner.file, inner.prefix, True) if inner is not None else None
        if isinstance(func, ast.Name):
            self.consumed.add(("ret", func.id))
            if func.id in self.returns:
                return self.returns[func.id]
            if func.id in self.classes:
                kind = self.classes[func.id]
                return _Src(kind, Value("ref", f"{ctx.module}.{func.id}"))
        return self._imported_helper(node, name, env, depth)

    def self_attr(self, node: ast.Attribute, env: dict[str, _Binding]) -> _Src | None:
        """`self.cfg` in a method, when the class keeps one configuration there."""
        owner = env.get(node.value.id) if isinstance(node.value, ast.Name) else None
        if not isinstance(owner, _Self):
            return None
        self.consumed.add(("attr", owner.cls, node.attr))
        return self.attrs.get((owner.cls, node.attr))

    def callee(self, call: ast.Call, env: dict[str, _Binding]) -> str | None:
        """The name the graph phase resolves a callee by (`pkg.models.build_model`, `Trainer`,
        `Trainer._build` for `self._build`), None for library calls and anything dynamic."""
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner = env.get(func.value.id)
            if isinstance(owner, _Self):
                return f"{owner.cls}.{func.attr}"
        name = self.ctx.call_name(call)
        if name is None or not isinstance(func, (ast.Name, ast.Attribute)):
            return None
        head = name.split(".", 1)[0]
        if head in _LIBRARY_ROOTS or head in sys.stdlib_module_names:
            return None
        root: ast.expr = func
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name):
            return None
        if root.id not in self.ctx.aliases and (isinstance(func, ast.Attribute) or root.id not in self.defined):
            return None  # a builtin, or a method of some object: which class is unknown
        return name

    def _imported_helper(self, node: ast.Call, name: str, env: dict[str, _Binding], depth: int) -> _Src | None:
        """`params = read_params(path)` with `read_params` imported from another module: perhaps a
        config mapping. The graph phase keeps these uses only when the project function returns
        one (`Value("returned", qualified name, positional arguments)`), and reads its file there."""
        head = name.split(".", 1)[0]
        if "." not in name or head in _CONFIG_ROOTS or head in _NOT_HELPERS or not _HELPER.search(name):
            return None
        scope = self.ctx.scope_of(node)
        params = (
            {a.arg for a in (*scope.args.posonlyargs, *scope.args.args, *scope.args.kwonlyargs)}
            if isinstance(scope, FUNCTIONS)
            else set()
        )
        args: list[Value] = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                break
            v = self.path_value(a, env, depth + 1)
            if v.kind == "unknown" and isinstance(a, ast.Name) and a.id in params:
                v = Value("param", a.id)
            args.append(v)
        return _Src("config", Value("returned", name, parts=tuple(args)), attrs=True)

    # ------------------------------------------------------------ scopes

    def scan_scope(self, scope: ast.AST, base: dict[str, _Binding]) -> None:
        """Bind and read in source order; nested functions and methods see the final bindings
        of the scope around them (module globals, closures)."""
        ctx = self.ctx
        env = dict(base)
        function = function_of(ctx, scope) if isinstance(scope, FUNCTIONS) else "<module>"
        if isinstance(scope, FUNCTIONS):
            params = [a.arg for a in (*scope.args.posonlyargs, *scope.args.args, *scope.args.kwonlyargs)]
            for p in params:
                env.pop(p, None)
            owner = ctx.scope_of(scope)
            if isinstance(owner, ast.Module):
                self.consumed.add(("pb", scope.name))
                env.update(self.param_bindings.get(scope.name, {}))
            if scope in self.hydra_functions and params:
                env[params[0]] = self.hydra_functions[scope]
            method = isinstance(owner, ast.ClassDef) and not _static(ctx, scope)
            if isinstance(owner, ast.ClassDef) and method and params and isinstance(ctx.scope_of(owner), ast.Module):
                env[params[0]] = _Self(owner.name)
            for i, p in enumerate(params):
                if p not in env and is_config_param(p) and not (method and i == 0):
                    env[p] = _Src("param", Value("param", p, keys=(function,)))
            # `*args` and `**kwargs`, whatever their names: keys are positions and keyword names
            for star in (scope.args.vararg, scope.args.kwarg):
                if star is not None:
                    env[star.arg] = _Src("param", Value("param", star.arg, keys=(function,)))
                    self.splats.add(env[star.arg].file)  # type: ignore[union-attr]
        guarded: set[tuple[str, str]] = set()
        pending: list[ast.AST] = []  # assignments, bound at their end
        nested: list[ast.AST] = []
        for node in ctx.walk_scope(scope):
            at = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
            while pending and _end(pending[0]) <= at:
                self.bind(pending.pop(0), env, function)
            if isinstance(node, FUNCTIONS):
                nested.append(node)
                continue
            if isinstance(node, ast.ClassDef):
                nested.extend(item for item in node.body if isinstance(item, FUNCTIONS))
                continue
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                pending.append(node)
                pending.sort(key=_end)
                continue
            if isinstance(node, (ast.With, ast.AsyncWith, ast.For, ast.AsyncFor)):
                self.bind(node, env, function)
                continue
            if isinstance(node, ast.Return) and node.value is not None and isinstance(scope, FUNCTIONS):
                src = self.source_of(node.value, env)
                if src is not None and isinstance(ctx.scope_of(scope), ast.Module) and scope.name not in self.returns:
                    self.returns[scope.name] = src
                    self.changed(("ret", scope.name))
            if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)):
                key = _const_key(node.left)
                src = self.source_of(node.comparators[0], env)
                if key is not None and src is not None:
                    guarded.add((src.source, ".".join((*src.prefix, key))))
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in _GUARD_CALLS
                and len(node.args) == 2
                and (src := self.source_of(node.args[0], env))
                and _const_key(node.args[1])
            ):
                guarded.add((src.source, ".".join((*src.prefix, str(_const_key(node.args[1]))))))
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                bound = env.get(node.id)
                if isinstance(bound, _Src):
                    self.use(node, env, function, guarded)
                elif isinstance(bound, _Self):
                    parent = ctx.parent(node)
                    if isinstance(parent, ast.Attribute) and isinstance(parent.ctx, ast.Load):
                        held = self.self_attr(parent, env)
                        if held is not None:
                            self.use(parent, env, function, guarded, held)
        while pending:
            self.bind(pending.pop(0), env, function)
        for fn in nested:
            self.scan_scope(fn, env)

    def bind(self, stmt: ast.AST, env: dict[str, _Binding], function: str) -> None:
        ctx = self.ctx
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                if isinstance(item.optional_vars, ast.Name):
                    name = item.optional_vars.id
                    call = item.context_expr
                    if isinstance(call, ast.Call) and (ctx.call_name(call) == "open" or _attr(call) == "open"):
                        path = self.path_value(call, env)
                        env[name] = _Path(path)
                    else:
                        env.pop(name, None)
            return
        if isinstance(stmt, (ast.For, ast.AsyncFor)):
            for t in ast.walk(stmt.target):
                if isinstance(t, ast.Name):
                    env.pop(t.id, None)
            return
        value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
        targets = (
            stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
        )
        if value is None:
            return
        # `args, unknown = parser.parse_known_args()`
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "parse_known_args"
            and len(targets) == 1
            and isinstance(targets[0], ast.Tuple)
            and targets[0].elts
            and isinstance(targets[0].elts[0], ast.Name)
        ):
            env[targets[0].elts[0].id] = _Src("argparse", UNKNOWN)
            return
        src = self.source_of(value, env)
        path = self.path_value(value, env) if src is None else UNKNOWN
        for target in targets:
            if isinstance(target, ast.Name):
                if src is not None:
                    env[target.id] = src
                elif path.kind != "unknown":
                    env[target.id] = _Path(path)
                else:
                    env.pop(target.id, None)
            elif isinstance(target, ast.Attribute) and isinstance(env.get(getattr(target.value, "id", "")), _Self):
                held = env[target.value.id]  # type: ignore[attr-defined]
                assert isinstance(held, _Self)
                slot = (held.cls, target.attr)
                held_src = (
                    src if src is not None and src.source in _FOLLOWED and self.attrs.get(slot, src) == src else None
                )
                if slot not in self.attrs or self.attrs[slot] != held_src:
                    self.attrs[slot] = held_src
                    self.changed(("attr", *slot))
            elif isinstance(target, (ast.Subscript, ast.Attribute)):
                owner = self.source_of(target.value, env)
                key = _const_key(target.slice) if isinstance(target, ast.Subscript) else target.attr
                if owner is not None and key is not None and not key.startswith("__"):
                    self.emit(owner, "define", (key,), target, function, literal_value(value))
                elif owner is not None:
                    self.emit(owner, "define", (), target, function)
            elif isinstance(target, (ast.Tuple, ast.List)):
                for t in ast.walk(target):
                    if isinstance(t, ast.Name):
                        env.pop(t.id, None)

    def use(
        self,
        name: ast.Name | ast.Attribute,
        env: dict[str, _Binding],
        function: str,
        guarded: set[tuple[str, str]],
        held: _Src | None = None,
    ) -> None:
        """A load of a config-bound name (or of `self.attr` holding a config, `held`): follow
        its key accesses and see what the result is used for."""
        ctx = self.ctx
        src = held if held is not None else env[name.id] if isinstance(name, ast.Name) else None
        assert isinstance(src, _Src)
        keys: list[str] = []
        node: ast.expr = name
        default = src.fallback
        while True:
            parent = ctx.parent(node)
            if (
                isinstance(parent, ast.Call)
                and parent.args == [node]
                and not parent.keywords
                and (ctx.call_name(parent) or "").rsplit(".", 1)[-1] in _WRAPPERS
            ):  # vars(args), EasyDict(cfg), dict(cfg): the same mapping
                node = parent
                continue
            if isinstance(parent, ast.Subscript) and parent.value is node and isinstance(parent.ctx, ast.Load):
                key = _const_key(parent.slice)
                if key is None:  # cfg[name]: any key may be read here
                    self.emit(src, "read", tuple(keys), parent, function, NONE)
                    return
                keys.append(key)
                node = parent
                continue
            if isinstance(parent, ast.Attribute) and parent.value is node and isinstance(parent.ctx, ast.Load):
                call = ctx.parent(parent)
                is_method = isinstance(call, ast.Call) and call.func is parent
                if is_method and isinstance(call, ast.Call):
                    method = parent.attr
                    if method in ("get", "pop") and call.args and _const_key(call.args[0]) is not None:
                        keys.append(str(_const_key(call.args[0])))
                        default = literal_value(call.args[1]) if len(call.args) > 1 else NONE
                        if default.kind == "unknown" and len(call.args) > 1:
                            default = Value("unknown", "expr")
                        node = call
                        continue
                    if method in _OPEN_METHODS:
                        self.emit(src, "define", tuple(keys), call, function)
                    # any other method (items, copy, to_yaml...) reads the mapping whole
                    self.emit(src, "read", tuple(keys), call, function, NONE if method in ("get", "pop") else UNKNOWN)
                    return
                if src.attrs and not parent.attr.startswith("__"):
                    keys.append(parent.attr)
                    node = parent
                    continue
                if parent.attr == "__dict__":
                    self.emit(src, "define", tuple(keys), parent, function)
                self.emit(src, "read", tuple(keys), parent, function)
                return
            break
        dotted = ".".join((*src.prefix, *keys))
        if default.kind == "unknown" and (src.source, dotted) in guarded:
            default = NONE
        if default.kind == "unknown" and src.source == "param" and keys and self._conditional(node, src, env):
            default = NONE
        parent = ctx.parent(node)
        kt = tuple(keys)
        # what the value is used for
        if isinstance(parent, (ast.Assign, ast.AnnAssign)) and parent.value is node:
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            if all(isinstance(t, ast.Name) or self._kept_in_self(t, env) for t in targets):
                if kt:
                    self.emit(src, "walk", kt, node, function, default)
                return  # an alias: reads happen through it
        if isinstance(parent, (ast.Subscript, ast.Attribute)) and not isinstance(
            getattr(parent, "ctx", None), ast.Load
        ):
            return  # `cfg["x"] = ...` (a define, recorded by bind), `del cfg["x"]`
        if (
            isinstance(parent, ast.Compare)
            and node in parent.comparators
            and len(parent.ops) == 1
            and isinstance(parent.ops[0], (ast.In, ast.NotIn))
            and _const_key(parent.left) is not None
        ):
            return  # `"k" in cfg`: a guard, not a use
        if isinstance(parent, ast.Call) and node in parent.args:
            callee = ctx.call_name(parent) or ""
            if callee == "getattr" and len(parent.args) >= 2 and parent.args[0] is node:
                key = _const_key(parent.args[1])
                if key is not None:
                    fallback = literal_value(parent.args[2]) if len(parent.args) > 2 else UNKNOWN
                    if len(parent.args) > 2 and fallback.kind == "unknown":
                        fallback = Value("unknown", "expr")
                    if (src.source, ".".join((*src.prefix, *kt, key))) in guarded and fallback.kind == "unknown":
                        fallback = NONE
                    self.emit(src, "read", (*kt, key), parent, function, fallback)
                    return
            if callee in _GUARD_CALLS or (not src.prefix and not kt and _is_logger(callee)):
                return  # `mlflow.log_params(cfg)`; a value under a key (`print(cfg["lr"])`) is read
            last = callee.rsplit(".", 1)[-1]
            if last in _OPEN_CALLS:
                self.emit(src, "define", kt, parent, function)
            if callee in self.functions and not isinstance(parent.func, ast.Attribute):
                fn = self.functions[callee]
                params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
                i = parent.args.index(node)
                if i < len(params):
                    bound = _Src(src.source, src.file, (*src.prefix, *kt), src.attrs)
                    old = self.param_bindings.setdefault(fn.name, {}).get(params[i])
                    if old is None or old == bound:
                        self.param_bindings[fn.name][params[i]] = bound
                        if old is None:
                            self.changed(("pb", fn.name))
                        if kt:
                            self.emit(src, "walk", kt, node, function, default)
                        return
            i = parent.args.index(node)
            if self.passes(src, kt, node, parent, str(i), env, function, default, starred=parent.args[:i]):
                return
        if isinstance(parent, ast.FormattedValue) and not src.prefix and not kt:
            return  # `f"{cfg}"`: shown, not read
        splat = ctx.parent(parent) if isinstance(parent, (ast.Starred, ast.keyword)) else None
        if isinstance(splat, ast.Call) and isinstance(parent, ast.Starred) and parent in splat.args:
            i = splat.args.index(parent)  # `Model(*args)`, `make(*cfg["sizes"])`
            if self.passes(src, kt, node, splat, f"*{i}", env, function, default, starred=splat.args[:i]):
                return
        # `Trainer(**cfg["trainer"])`, `build(**kwargs)`: each key fills the parameter it names
        if (
            isinstance(splat, ast.Call)
            and isinstance(parent, ast.keyword)
            and parent.arg is None
            and self.passes(src, kt, node, splat, "**", env, function, default, extra=_splat_info(splat, parent))
        ):
            return
        if isinstance(parent, ast.keyword) and parent.arg is not None:
            call = ctx.parent(parent)
            called = ctx.call_name(call) if isinstance(call, ast.Call) else None
            if not src.prefix and not kt and _is_logger(called or ""):
                return  # `wandb.init(config=cfg)`
            if called in self.functions and isinstance(call, ast.Call) and not isinstance(call.func, ast.Attribute):
                fn = self.functions[called]
                names = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)}
                if parent.arg in names:
                    bound = _Src(src.source, src.file, (*src.prefix, *kt), src.attrs)
                    old = self.param_bindings.setdefault(fn.name, {}).get(parent.arg)
                    if old is None or old == bound:
                        self.param_bindings[fn.name][parent.arg] = bound
                        if old is None:
                            self.changed(("pb", fn.name))
                        if kt:
                            self.emit(src, "walk", kt, node, function, default)
                        return
            if isinstance(call, ast.Call) and self.passes(src, kt, node, call, parent.arg, env, function, default):
                return
        if isinstance(parent, ast.Return):
            # callers in this file read it where they bind it; the graph rules decide for others
            self.emit(src, "return", kt, node, function, default)
            return
        self.emit(src, "read", kt, node, function, default)

    def _conditional(self, node: ast.expr, src: _Src, env: dict[str, _Binding]) -> bool:
        """A summarised parameter's key read only on a branch chosen by the same configuration
        (`if model_cfg.name == "resnet": model_cfg.depth`), or under `try`: factories written for
        several configurations read keys that one of them lacks, so the key is not required."""
        child: ast.AST = node
        for a in self.ctx.ancestors(node):
            if isinstance(a, (*FUNCTIONS, ast.ClassDef, ast.Lambda)):
                return False
            if isinstance(a, (ast.If, ast.IfExp, ast.While)) and child is not a.test:
                for sub in ast.walk(a.test):
                    found = self.source_of(sub, env) if isinstance(sub, (ast.Name, ast.Attribute)) else None
                    if found is not None and found.file == src.file:
                        return True
            if isinstance(a, ast.Try) and a.handlers and any(child is stmt for stmt in a.body):
                return True
            child = a
        return False

    def changed(self, what: tuple[str, ...]) -> None:
        if what in self.consumed:
            self.dirty = True

    def _kept_in_self(self, target: ast.expr, env: dict[str, _Binding]) -> bool:
        """`self.cfg = cfg` where the class keeps that one config in `cfg`: an alias."""
        return isinstance(target, ast.Attribute) and self.self_attr(target, env) is not None

    def passes(
        self,
        src: _Src,
        kt: tuple[str, ...],
        node: ast.expr,
        call: ast.Call,
        slot: str,
        env: dict[str, _Binding],
        function: str,
        default: Value,
        starred: list[ast.expr] | None = None,
        extra: tuple[str, ...] = (),
    ) -> bool:
        """`build_model(cfg.model)`, `Trainer(params["optim"])`: a "pass" the graph phase follows
        into the callee's summary (else it is read whole there). False when not recorded. Slot
        `*i`: unpacked as positional arguments from the i-th on (`Model(*args)`); `**`: unpacked as
        keyword arguments (`Trainer(**cfg["trainer"])`), `extra` then says what else the call
        passes (`_splat_info`)."""
        if src.source not in _FOLLOWED or any(isinstance(a, ast.Starred) for a in starred or ()):
            return False
        if default.kind != "unknown":  # `build(cfg.get("model"))`: may be missing; read as before
            return False
        callee = self.callee(call, env)
        if callee is None:
            return False
        if kt:
            self.emit(src, "walk", kt, node, function, default)
        span = self.ctx.span(node)
        key = (*src.prefix, *kt)
        to = Value("arg", callee, keys=(slot, *extra))
        self.out.setdefault(
            (span.line, span.column, src.source, "pass", key),
            KeyUse(src.source, "pass", key, span, src.file, function, to),
        )
        return True

    # ------------------------------------------------------------ entry

    def run(self) -> list[KeyUse]:
        ctx = self.ctx
        self.prepass()
        for fn in ctx.functions:
            for deco in fn.decorator_list:
                if isinstance(deco, ast.Call) and ctx.call_name(deco) == "hydra.main":
                    kw = {k.arg: k.value for k in deco.keywords if k.arg}
                    cfg_path = self.path_value(kw["config_path"], {}) if "config_path" in kw else Value("str", ".")
                    cfg_name = literal_value(kw.get("config_name"))
                    file = UNKNOWN
                    if cfg_path.kind == "str" and cfg_name.kind == "str":
                        name = cfg_name.text if cfg_name.text.endswith((".yaml", ".yml")) else cfg_name.text + ".yaml"
                        file = _join("/", (Value("str", "@here"), cfg_path, Value("str", name)))
                    self.hydra_functions[fn] = _Src("hydra", file)
        # parameters bound by calls below their function, returned configs and `self.attr`s settle
        # in a few passes: a pass is final when nothing it looked up changed after it looked
        for _ in range(3):
            self.out = {}
            self.consumed = set()
            self.dirty = False
            self.scan_scope(ctx.tree, {})
            if not self.dirty:
                break
        uses = _unchanged_splats(_capped(list(self.out.values())), self.splats)
        if self.argparse_open:
            uses.append(KeyUse("argparse", "define", (), Span(1, 1, 1, 1), Value("str", ctx.rel), "<module>"))
        return uses


def _capped(uses: list[KeyUse]) -> list[KeyUse]:
    """Summaries stay small: a parameter's key use is kept once (its first place: the rules
    report a key once per file), and a parameter with too many distinct key uses is left
    unsummarised (the graph phase then uses whatever is passed to it whole)."""
    first: dict[tuple[object, ...], int] = {}  # -> index in `out` of the earliest such use
    counts: dict[Value, int] = {}
    out: list[KeyUse] = []
    for u in uses:
        if u.source != "param":
            out.append(u)
            continue
        once = (u.file, u.op, u.key, u.default)
        at = first.get(once)
        if at is None:
            first[once] = len(out)
            counts[u.file] = counts.get(u.file, 0) + 1
            out.append(u)
        elif (u.span.line, u.span.column) < (out[at].span.line, out[at].span.column):
            out[at] = u
    over = {k for k, n in counts.items() if n > _MAX_SUMMARY_KEYS}
    return [u for u in out if u.source != "param" or u.file not in over]


def _unchanged_splats(uses: list[KeyUse], splats: set[Value]) -> list[KeyUse]:
    """A `*args`/`**kwargs` is a new tuple or dict: a key the function sets there
    (`kwargs["x"] = 1`, `kwargs.setdefault(...)`) is not the caller's, and may fill a parameter
    of the callee it is passed on to. Such a parameter is left unsummarised (used whole), and so
    is one only ever used whole (`super().__init__(**kwargs)`, `lib.f(*args)`: most of them),
    which says no more than no summary and would only make the facts larger."""
    changed = {u.file for u in uses if u.source == "param" and u.op == "define" and u.file in splats}
    keyed = {u.file for u in uses if u.source == "param" and u.file in splats and (u.key or u.op != "read")}
    return [
        u for u in uses if u.source != "param" or u.file not in splats or (u.file in keyed and u.file not in changed)
    ]


def _splat_info(call: ast.Call, splat: ast.keyword) -> tuple[str, ...]:
    """What else a call with `**mapping` passes: the number of positional arguments (`*` when
    one is unpacked: unknown), then the keywords given by name (`**` for another unpacked one)."""
    npos = "*" if any(isinstance(a, ast.Starred) for a in call.args) else str(len(call.args))
    names = [k.arg if k.arg is not None else "**" for k in call.keywords if k is not splat]
    return (npos, *sorted(set(names)))


def _has_config_params(ctx: FileContext) -> bool:
    """A parameter named like a configuration, or a `*args`/`**kwargs` (summarised too)."""
    return any(
        fn.args.vararg is not None
        or fn.args.kwarg is not None
        or any(is_config_param(a.arg) for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs))
        for fn in ctx.functions
    )


def _imports_config_helper(ctx: FileContext) -> bool:
    """`from src.utils import read_params`: a config may come from another module."""
    return any("." in q and q.split(".", 1)[0] not in _NOT_HELPERS and _HELPER.search(q) for q in ctx.aliases.values())


def _is_logger(callee: str) -> bool:
    """`mlflow.log_params`, `wandb.config.update`, `print`, `logger.info`, `OmegaConf.to_yaml` ..."""
    if callee in _LOGGERS:
        return True
    head, _, last = callee.rpartition(".")
    return last in _LOGGER_METHODS or (last in _LOG_LEVELS and ("log" in head.lower() or last == "print"))


def _end(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "end_lineno", 0) or 0, getattr(node, "end_col_offset", 0) or 0)


def _static(ctx: FileContext, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(ctx.qualify(d) in ("staticmethod", "classmethod") for d in fn.decorator_list)


def _attr(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else ""


# --------------------------------------------------------------------------- other key sources


def _env_uses(ctx: FileContext) -> Iterator[KeyUse]:
    """`os.environ["X"]`, `os.getenv("X", d)`, `os.environ.get("X")`, `"X" in os.environ`."""
    if not ctx.imports_any("os") or ("environ" not in ctx.text and "getenv" not in ctx.text):
        return
    env = Value("str", "os.environ")
    for node in ctx.walk():
        if isinstance(node, ast.Subscript) and ctx.qualify(node.value) == "os.environ":
            var = _const_key(node.slice)
            if var is not None:
                op = "read" if isinstance(node.ctx, ast.Load) else "define"
                yield KeyUse("env", op, (var,), ctx.span(node), env, function_of(ctx, node))
        elif isinstance(node, ast.Call):
            name = ctx.call_name(node)
            if name in ("os.getenv", "os.environ.get", "os.environ.setdefault") and node.args:
                var = _const_key(node.args[0])
                if var is None:
                    continue
                default = literal_value(node.args[1]) if len(node.args) > 1 else NONE
                if len(node.args) > 1 and default.kind == "unknown":
                    default = Value("unknown", "expr")
                op = "define" if name == "os.environ.setdefault" else "read"
                yield KeyUse("env", op, (var,), ctx.span(node), env, function_of(ctx, node), default)
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)):
            var = _const_key(node.left)
            if var is not None and ctx.qualify(node.comparators[0]) == "os.environ":
                yield KeyUse("env", "read", (var,), ctx.span(node), env, function_of(ctx, node), NONE)


def _click_uses(ctx: FileContext) -> Iterator[KeyUse]:
    """`@click.option("--lr", default=0.1)` defines `lr`; the function's use of `lr` reads it."""
    if not ctx.imports_any("click"):
        return
    for fn in ctx.functions:
        defined: dict[str, ast.Call] = {}
        for deco in fn.decorator_list:
            if not isinstance(deco, ast.Call) or ctx.call_name(deco) not in ("click.option", "click.argument"):
                continue
            names = [a.value for a in deco.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            plain = [n for n in names if not n.startswith("-")]
            longs = [n for n in names if n.startswith("--")]
            chosen = plain[0] if plain else (longs[0] if longs else (names[0] if names else ""))
            dest = chosen.split("/")[0].lstrip("-").replace("-", "_").lower()
            if dest.isidentifier():
                defined[dest] = deco
        if not defined:
            continue
        file = Value("ref", f"{ctx.module}.{fn.name}")
        qual = function_of(ctx, fn.body[0]) if fn.body else fn.name
        kwargs = fn.args.kwarg is not None
        for dest, deco in defined.items():
            default = next((literal_value(k.value) for k in deco.keywords if k.arg == "default"), UNKNOWN)
            yield KeyUse("click", "define", (dest,), ctx.span(deco), file, qual, default)
        first: dict[str, ast.Name] = {}
        for node in ctx.walk_scope(fn):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in defined:
                first.setdefault(node.id, node)
            elif isinstance(node, ast.Call) and ctx.call_name(node) in ("locals", "vars") and not node.args:
                kwargs = True
        for dest, node in first.items():
            yield KeyUse("click", "read", (dest,), ctx.span(node), file, qual)
        if kwargs:
            yield KeyUse("click", "read", (), ctx.span(fn), file, qual)


def _class_fields(ctx: FileContext, classes: dict[str, str]) -> Iterator[KeyUse]:
    """Fields of config dataclasses and pydantic settings classes: definitions with defaults."""
    for node in ctx.walk():
        if not isinstance(node, ast.ClassDef) or node.name not in classes:
            continue
        source = classes[node.name]
        file = Value("ref", f"{ctx.module}.{node.name}")
        for item in node.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                if "ClassVar" in ast.unparse(item.annotation):
                    continue
                default = literal_value(item.value)
                if isinstance(item.value, ast.Call) and item.value.keywords:
                    default = next((literal_value(k.value) for k in item.value.keywords if k.arg == "default"), default)
                yield KeyUse(source, "define", (item.target.id,), ctx.span(item), file, node.name, default)


@dataclass(frozen=True, slots=True)
class Scanned:
    """What `_Scan` found in one file: the key uses of its configuration bindings (sources
    "config", "hydra", "argparse", "param", "dataclass", "settings") and its config classes."""

    uses: tuple[KeyUse, ...]
    classes: dict[str, str]  # class name -> "dataclass" | "settings"


def scan(ctx: FileContext) -> Scanned | None:
    """The file's configuration scan, run once per file (`FileContext.analysis`) for `key_uses`
    and MLD504; None when the file has no configuration source to follow."""
    return ctx.analysis(_scanned)


def _scanned(ctx: FileContext) -> Scanned | None:
    if (
        not ctx.imports_any(*_CONFIG_ROOTS)
        and not ctx.notebook
        and not _imports_config_helper(ctx)
        and not _has_config_params(ctx)
    ):
        return None
    found = _Scan(ctx)
    uses = found.run()
    return Scanned(tuple(uses), found.classes)


def key_uses(ctx: FileContext) -> Iterator[KeyUse]:
    """Configuration keys read and defined in this file (see the module docstring)."""
    yield from _env_uses(ctx)
    found = scan(ctx)
    if found is None:
        return
    yield from found.uses
    yield from _click_uses(ctx)
    yield from _class_fields(ctx, found.classes)


# --------------------------------------------------------------------------- mentions

_DEF_CALLS = frozenset({"add_argument", "option", "argument"})


def mentions(ctx: FileContext) -> Iterator[KeyUse]:
    """Every name the file mentions as an attribute, keyword or identifier-like string (the
    evidence a config key may be used in ways no KeyUse read captures). Not the strings of
    argparse / click definitions themselves."""
    skip: set[int] = set()
    seen: dict[str, ast.AST] = {}
    for node in ctx.walk():
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _DEF_CALLS:
            for a in node.args:
                skip.add(id(a))
            for k in node.keywords:
                if k.arg == "dest":
                    skip.add(id(k.value))
            continue
        if isinstance(node, ast.Attribute):
            seen.setdefault(node.attr, node)
        elif isinstance(node, ast.keyword) and node.arg:
            seen.setdefault(node.arg, node.value)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            text = node.value
            if len(text) <= 200:
                for m in _IDENT.finditer(text):
                    seen.setdefault(m.group(), node)
    out = Value("str", ctx.rel)
    for name, node in sorted(seen.items()):
        yield KeyUse("mention", "read", (name,), ctx.span(node), out)


DETECTORS: tuple[Callable[[FileContext], Iterable[KeyUse]], ...] = (key_uses, mentions)
