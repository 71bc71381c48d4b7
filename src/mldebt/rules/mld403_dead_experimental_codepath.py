"""MLD403 dead-experimental-codepath: branches no configuration of the repository runs.

Facts come from `detect` (below; `Smell`s of rule MLD403 with `data["kind"]`):
"const" (`if False:`) and "const-name" (`if DEBUG:` on a module constant bound once to a false
literal) are findings unless another module imports the module (it may set the constant);
"flag" (`if args.x:` on an option defaulting to false) is a finding only when a launcher of the
project runs the script and nothing sets `--x`: no launcher, no config file key, no `--x` string
in code ("flags-set" facts). That face is off by default (option `flags`): measured on real
projects, such options are mostly features people pass by hand (`--resume`, `--evaluate`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from mldebt.parse import apis
from mldebt.parse.detectors.context import FUNCTIONS, FileContext
from mldebt.parse.facts import FileFacts, Smell, Span
from mldebt.rules.base import Hit, Rule, data, site_of

if TYPE_CHECKING:
    from mldebt.graph.build import Built
    from mldebt.graph.project import Project

RULE = "MLD403"


class DeadExperimentalCodepath(Rule):
    id = RULE
    name = "dead-experimental-codepath"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"flags": (bool, False), "constants": (bool, True)}

    def check(self, built: Built) -> Iterator[Hit]:
        project = built.project
        setting: _Setters | None = None
        seen: set[tuple[str, str]] = set()  # one finding per option and script: its first test
        for path in sorted(project.files):
            facts = project.files[path]
            for smell in facts.smells:
                if smell.rule != RULE:
                    continue
                kind = data(smell, "kind")
                if kind in ("const", "const-name") and self.options["constants"]:
                    if kind == "const-name" and _imported_as_module(project, facts):
                        continue
                    yield _hit(path, smell)
                elif kind == "flag" and self.options["flags"]:
                    setting = setting or _Setters(project)
                    launchers = setting.launchers_of(path)
                    dest = data(smell, "dest")
                    if not launchers or dest in setting.flags or (path, dest) in seen:
                        continue
                    seen.add((path, dest))
                    names = ", ".join(f"`{p}`" for p in launchers[:3]) + (" ..." if len(launchers) > 3 else "")
                    message = (
                        f"{smell.message}, which nothing in the repository sets: no launcher that runs "
                        f"this script ({names}) passes `--{dest.replace('_', '-')}`, and no config file or code does"
                    )
                    yield _hit(path, smell, message)


def _hit(path: str, smell: Smell, message: str = "") -> Hit:
    return Hit(
        site=site_of(path, smell.span),
        message=message or smell.message,
        related=tuple(site_of(path, e.span, e.note) for e in smell.related),
        key=smell.key,
    )


class _Setters:
    """Who runs which script, and every option name something in the repository sets."""

    def __init__(self, project: Project) -> None:
        self.mentions: dict[str, list[str]] = {}
        self.flags: set[str] = set()
        for path, f in project.files.items():
            if f.kind in ("launcher", "config"):
                for m in f.mentions:
                    self.mentions.setdefault(m, []).append(path)
            for d in f.config_defs:
                if d.source == "cli" and d.key:
                    self.flags.add(d.key[0])
                elif f.kind == "config" and d.key:
                    self.flags.add(d.key[-1])  # configs loaded into the namespace set options by name
            for smell in f.smells:
                if smell.rule == RULE and data(smell, "kind") == "flags-set":
                    self.flags.update(x for x in data(smell, "flags").split(",") if x)

    def launchers_of(self, script: str) -> list[str]:
        """Launchers that run `script` (by path, or by `python -m`, which drops a `src/` layout)."""
        out: set[str] = set()
        for m, paths in self.mentions.items():
            if script == m or script.endswith("/" + m):
                out.update(paths)
        return sorted(out)


def _imported_as_module(project: Project, facts: FileFacts) -> bool:
    """Another file imports this module as a module (`import m`, `from pkg import m`): it may
    assign the constant (`m.DEBUG = True`)."""
    if not facts.module:
        return False
    for other in project.files.values():
        if other.path == facts.path:
            continue
        for imp in other.imports:
            if (imp.name is None and imp.module == facts.module) or (
                imp.name is not None and f"{imp.module}.{imp.name}" == facts.module
            ):
                return True
    return False


# detection ------------------------------------------------------------------------------


_FALSY = (False, 0, None, "")


def _is_false_literal(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and not isinstance(node.value, bytes) and node.value in _FALSY


def _and_operands(test: ast.expr) -> list[ast.expr]:
    """The conjuncts of a test: `a and (b and c)` -> [a, b, c]; a test that is not `and` -> [test]."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return [x for v in test.values for x in _and_operands(v)]
    return [test]


def _module_constants(ctx: FileContext) -> dict[str, ast.stmt]:
    """Module names bound exactly once in the whole file, at top level, to a false literal."""
    binds: dict[str, int] = {}
    false_at: dict[str, ast.stmt] = {}
    dynamic: set[str] = set()
    for stmt in ctx.tree.body:
        if target := _false_constant(stmt):
            false_at[target] = stmt
    if ctx.notebook or any(w in ctx.text for w in ("globals()", "__dict__", "exec(", "locals()", "vars()")):
        return {}  # names may be rebound by string (nanoGPT's configurator), or by papermill
    if not false_at:
        return {}
    for node in ctx.walk():
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor, ast.comprehension, ast.NamedExpr)):
            targets = [node.target]
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            targets = [i.optional_vars for i in node.items if i.optional_vars is not None]
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            dynamic.update(node.names)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                binds[(a.asname or a.name).split(".")[0]] = 2
        elif isinstance(node, (*FUNCTIONS, ast.ClassDef)):
            binds[node.name] = 2
        for t in targets:
            for name in ast.walk(t):
                if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Store):
                    binds[name.id] = binds.get(name.id, 0) + 1
    return {n: s for n, s in false_at.items() if binds.get(n) == 1 and n not in dynamic}


def _false_constant(stmt: ast.stmt) -> str:
    """`NAME = False` / `NAME = 0` -> NAME (`X = None` / `X = ""` are placeholders to fill in)."""
    target, value = _single_binding(stmt)
    if target and isinstance(value, ast.Constant) and type(value.value) in (bool, int, float) and not value.value:
        return target
    return ""


def _single_binding(stmt: ast.stmt) -> tuple[str, ast.expr | None]:
    """`NAME = value` / `NAME: T = value` -> (NAME, value); anything else -> ("", None)."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id, stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target.id, stmt.value
    return "", None


_NAMESPACE_FUNCS = apis.PARSE_ARGS


def _namespaces(ctx: FileContext) -> tuple[set[str], set[str]]:
    """Local names that hold the namespace `parse_args()` returns (directly, via a local helper,
    or as a parameter of the same name: `def train(opt):` in the script that parses `opt`)."""
    helpers: set[str] = set()
    for fn in ctx.functions:
        for node in ctx.walk_scope(fn):
            if isinstance(node, ast.Return) and node.value is not None and _parses(node.value, set()):
                helpers.add(fn.name)
    names: set[str] = set()
    local = {fn.name: fn for fn in ctx.functions}
    for node in ctx.walk():
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in local:
            params = local[node.func.id].args.args  # `train(parse_args())`: `train`'s parameter
            for arg, param in zip(node.args, params, strict=False):
                if _parses(arg, helpers):
                    names.add(param.arg)
        if not isinstance(node, ast.Assign) or not _parses(node.value, helpers):
            continue
        for t in node.targets:
            if isinstance(t, ast.Name):
                names.add(t.id)
            elif isinstance(t, ast.Tuple) and t.elts and isinstance(t.elts[0], ast.Name):
                names.add(t.elts[0].id)
    return names, helpers


def _parses(value: ast.expr, helpers: set[str]) -> bool:
    """`parser.parse_args()`, `parser.parse_known_args()[0]`, `a if known else b` of those, `helper()`."""
    if isinstance(value, ast.IfExp):
        return _parses(value.body, helpers) and _parses(value.orelse, helpers)
    if isinstance(value, ast.Subscript):
        value = value.value
    if not isinstance(value, ast.Call):
        return False
    return _is_parse_call(value) or (isinstance(value.func, ast.Name) and value.func.id in helpers)


_MUTATE = frozenset({"update", "setdefault", "pop", "__setitem__"})


def _dict_of(node: ast.expr) -> str:
    """`vars(ns)` / `ns.__dict__` -> "ns"; anything else -> ""."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "vars" and node.args:
        arg = node.args[0]
        return arg.id if isinstance(arg, ast.Name) else ""
    if isinstance(node, ast.Attribute) and node.attr == "__dict__" and isinstance(node.value, ast.Name):
        return node.value.id
    return ""


def _is_parse_call(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr in _NAMESPACE_FUNCS


def _argparse_options(ctx: FileContext) -> tuple[dict[str, tuple[ast.Call, str]], set[str]]:
    """dest -> (the add_argument call, "store_true" | "default <v>") for options that default to
    false, and the dests set elsewhere in the file (`set_defaults(x=...)`, any other option)."""
    falsy: dict[str, tuple[ast.Call, str]] = {}
    other: set[str] = set()
    for node in ctx.walk():
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if node.func.attr == "set_defaults":
            other.update(k.arg for k in node.keywords if k.arg)
            if any(k.arg is None for k in node.keywords):
                other.add("*")
            continue
        if node.func.attr != apis.ARGPARSE_ADD:
            continue
        names = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        dest_node = kw.get("dest")
        if dest_node is not None:
            dest = dest_node.value if isinstance(dest_node, ast.Constant) and isinstance(dest_node.value, str) else ""
        else:
            longs = [n for n in names if n.startswith("--")]
            chosen = longs[0] if longs else (names[0] if names else "")
            dest = chosen.lstrip("-").replace("-", "_") if chosen.startswith("-") else ""
        if not dest:
            continue  # positionals are always given; dynamic names are unknown
        action = kw.get("action")
        act = action.value if isinstance(action, ast.Constant) and isinstance(action.value, str) else None
        how = ""
        if act == "store_true" and "default" not in kw:
            how = "store_true"
        elif act is None and action is None and "default" in kw and _is_false_literal(kw["default"]):
            how = f"default {ast.unparse(kw['default'])}"
        required = kw.get("required")
        if how and not (isinstance(required, ast.Constant) and required.value is True):
            if dest in falsy:
                other.add(dest)  # defined twice: subparsers, conditional definitions
            falsy[dest] = (node, how)
        else:
            other.add(dest)
    return falsy, other


def _flag_strings(ctx: FileContext) -> set[str]:
    """`--name` option strings written in code (`subprocess.run([..., "--flag"])`,
    `main(["--flag"])`), as dests: code that runs a script with that flag."""
    out: set[str] = set()
    defined: set[int] = set()
    for node in ctx.walk():  # breadth first: a call before its arguments
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == apis.ARGPARSE_ADD:
            defined.update(id(a) for a in node.args)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in defined:
            for m in _OPTION.finditer(node.value):
                out.add(m.group(1).replace("-", "_"))
    return out


_OPTION = re.compile(r"(?<![\w-])--([A-Za-z][\w-]*)")
_QUOTED_OPTION = re.compile(r"[\"']--[A-Za-z]|python[^\"'\n]*\s--[A-Za-z]")  # "--flag", "python x.py --flag"


_CONSTANT_TEST = re.compile(r"\b(?:if|while)\s*\(?\s*(?:False|0|None|''|\"\")\s*\)?\s*:")


class _Head:
    """`if <test>:` for a message, rendered only when a finding uses it (source text is costly)."""

    def __init__(self, ctx: FileContext, node: ast.If | ast.While) -> None:
        self.ctx, self.node = ctx, node

    def __format__(self, spec: str) -> str:
        word = "while" if isinstance(self.node, ast.While) else "if"
        return f"`{word} {self.ctx.source(self.node.test)}:`"


def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD403 facts: constant-false conditions, and `if args.flag:` on a false-default option."""
    consts: dict[str, ast.stmt] | None = None
    namespaces: set[str] | None = None
    options: tuple[dict[str, tuple[ast.Call, str]], set[str]] | None = None
    has_argparse = "add_argument" in ctx.text
    dynamic_ns: set[str] = set()
    flags_set: set[str] = _flag_strings(ctx) if _QUOTED_OPTION.search(ctx.text) else set()
    if has_argparse:
        namespaces, helpers = _namespaces(ctx)
        options = _argparse_options(ctx)
        for node in ctx.walk():
            # `args.flag = True`, `setattr(args, ...)`, `vars(args).update(...)`, `args = Namespace(**d)`:
            # the namespace changes in code (a read-only `vars(args)` does not count)
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del)):
                if isinstance(node.value, ast.Name) and node.value.id in namespaces:
                    flags_set.add(node.attr)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
                if node.func.id in ("setattr", "delattr") and isinstance(node.args[0], ast.Name):
                    dynamic_ns.add(node.args[0].id)
            elif isinstance(node, ast.Assign) and not _parses(node.value, helpers):
                dynamic_ns.update(t.id for t in node.targets if isinstance(t, ast.Name) and t.id in namespaces)
            if isinstance(node, (ast.Call, ast.Subscript)):
                inner = node.func.value if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) else None
                if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
                    inner = node.value
                if isinstance(node, ast.Call) and not (
                    isinstance(node.func, ast.Attribute) and node.func.attr in _MUTATE
                ):
                    inner = None
                ns = _dict_of(inner) if inner is not None else None
                if ns:
                    dynamic_ns.add(ns)
    if flags_set:
        yield Smell(
            rule="MLD403",
            span=Span(1, 1, 1, 1),
            message="option flags set in code",
            data=(("kind", "flags-set"), ("flags", ",".join(sorted(flags_set)))),
        )
    constant_test = _CONSTANT_TEST.search(ctx.text) is not None
    if not (constant_test or has_argparse or any(_false_constant(st) for st in ctx.tree.body)):
        return  # nothing to test: spare the walk
    for node in ctx.walk():
        if not isinstance(node, (ast.If, ast.While)):
            continue
        test = node.test
        head = _Head(ctx, node)
        if isinstance(test, ast.Constant) and _is_false_literal(test):
            yield ctx.smell(
                "MLD403",
                node,
                f"{head} never runs its body: the condition is a constant false",
                key=f"const:{ctx.source(test)}",
                data=(("kind", "const"),),
            )
            continue
        for operand in _and_operands(test):
            if isinstance(operand, ast.Name):
                if consts is None:
                    consts = _module_constants(ctx)
                bound = consts.get(operand.id)
                if bound is None or (bound.lineno >= node.lineno and ctx.scope_of(node) is ctx.tree):
                    continue
                bound_value = _single_binding(bound)[1]
                value = ast.unparse(bound_value) if bound_value is not None else "?"
                yield ctx.smell(
                    "MLD403",
                    node,
                    f"{head} never runs its body: `{operand.id}` is bound once, to `{value}`, "
                    "and never reassigned in this module",
                    key=f"name:{operand.id}",
                    related=((bound, f"`{operand.id} = {value}`, its only binding"),),
                    data=(("kind", "const-name"), ("name", operand.id)),
                )
                break
            if namespaces is None or options is None or not isinstance(operand, ast.Attribute):
                continue
            base = operand.value
            if not (isinstance(base, ast.Name) and base.id in namespaces) or base.id in dynamic_ns:
                continue
            dest = operand.attr
            falsy, other = options
            if dest not in falsy or dest in other or "*" in other or dest in flags_set:
                continue
            define, how = falsy[dest]
            yield ctx.smell(
                "MLD403",
                node,
                f"{head} reads option `{dest}` ({how})",
                key=f"flag:{dest}",
                related=((define, f"`{dest}` is defined here ({how})"),),
                data=(("kind", "flag"), ("dest", dest), ("how", how)),
            )
            break
