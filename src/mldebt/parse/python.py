"""Python source -> FileFacts, in one traversal of CPython's `ast` tree.

The file is parsed once, by `ast`; the same tree feeds the detectors (file rules). Names are
resolved here without a scope analysis: imports give an alias table, module and local
assignments give symbolic values, and a per-function environment gives each variable's lineage
(where its data came from). Statements and expressions are visited in source order (as they
read, which is not always `ast`'s field order: `a if c else b`, dict items, keyword arguments,
parameters with their defaults), so a name means what it was last bound to above the use, and
the file's N-th I/O site and K-th call are numbered in the order they appear.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mldebt.parse import apis
from mldebt.parse.configs import command_mentions
from mldebt.parse.detectors import run_all
from mldebt.parse.errors import FileSkipped
from mldebt.parse.facts import (
    IO,
    UNKNOWN,
    Call,
    ConfigDef,
    FileFacts,
    Function,
    Import,
    Lineage,
    ModelEvent,
    Span,
    Suppression,
    Value,
)
from mldebt.parse.suppressions import parse_suppressions, python_comment_columns
from mldebt.parse.values import HOLE, Text, format_parts

MODULE_SCOPE = "<module>"
_NO_SPAN = Span(1, 1, 1, 1)
_WRITE_MODES = ("w", "a", "x", "+")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_EMPTY: Lineage = frozenset()
_FUNCTION_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def python_facts(rel: str, text: str, module: str, cell_starts: tuple[int, ...] = ()) -> FileFacts:
    """Extract the facts of one Python file. Raises FileSkipped on input we cannot analyse."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise FileSkipped(f"syntax error: {exc.msg} (line {exc.lineno})", exc.lineno) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise FileSkipped(f"cannot parse: {type(exc).__name__}") from None
    try:
        visitor = _Extractor(rel, module, text)
        visitor.run(tree)
    except RecursionError:
        raise FileSkipped("expression nested too deeply to analyse") from None
    facts = visitor.facts(text.count("\n") + (0 if text.endswith("\n") or not text else 1))
    if "mldebt" in text:
        facts = replace(facts, suppressions=suppressions(text))
    smells, key_uses, leaks, summaries = run_all(
        rel, module, text, tree, cell_starts, visitor.io_sites(), visitor.shown_sites(), visitor.bound
    )
    return replace(facts, smells=smells, key_uses=key_uses, leak_summaries=leaks, summaries=summaries)


def io_sites(
    rel: str, module: str, text: str, tree: ast.Module
) -> tuple[dict[int, IO], dict[int, Text | None], dict[int, ast.expr]]:
    """The extractor's I/O facts of a parsed file by call node, their targets and the arguments
    detectors judge as the file shows them, and the expressions names are bound to where
    detectors ask (for a detector's context built without `python_facts`, as in the detectors'
    unit tests)."""
    visitor = _Extractor(rel, module, text)
    try:
        visitor.run(tree)
    except RecursionError:
        return {}, {}, {}
    return visitor.io_sites(), visitor.shown_sites(), visitor.bound


def suppressions(text: str) -> tuple[Suppression, ...]:
    """`# mldebt: ignore[MLD201, MLD3] -- reason` comments (see parse/suppressions.py)."""
    return parse_suppressions(text, python_comment_columns(text) if "mldebt" in text else None)


def _package_of(rel: str, module: str) -> str:
    if rel.endswith("__init__.py"):
        return module
    return module.rpartition(".")[0]


@dataclass
class _Scope:
    qualname: str
    params: tuple[str, ...] = ()
    lineage: dict[str, Lineage] = field(default_factory=dict)
    values: dict[str, Value] = field(default_factory=dict)
    models: set[str] = field(default_factory=set)
    returns: set[str] = field(default_factory=set)
    reads_bound: dict[str, int] = field(default_factory=dict)  # var -> IO index that produced it
    return_value: Value = UNKNOWN
    span: Span = _NO_SPAN
    defaults: tuple[tuple[str, Value], ...] = ()
    # variables holding a dict with literal keys or a tuple: element -> its lineage
    elements: dict[str, dict[str, Lineage]] = field(default_factory=dict)
    returned: dict[str, Lineage] | None = None  # elements of what every `return` so far gives
    returns_whole: bool = False  # some `return` gives something else: no elements
    # name -> the expression last bound to it by a plain `name = expr` (a parameter starts bound to
    # its default): what a detector asks of a name where it is used (`FileContext.bound_of`)
    exprs: dict[str, ast.expr] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Arg:
    """One argument of a call, as written: `keyword` for `k=v`, `star` "*" or "**" for unpacking."""

    keyword: str | None
    star: str
    value: ast.expr


def _call_args(node: ast.Call) -> list[_Arg]:
    """A call's arguments in source order (`ast` keeps positional and keyword ones apart)."""
    out = [_Arg(None, "*", a.value) if isinstance(a, ast.Starred) else _Arg(None, "", a) for a in node.args]
    if node.keywords:
        kws = [_Arg(k.arg, "" if k.arg is not None else "**", k.value) for k in node.keywords]
        if any(a.star for a in out):  # `f(k=1, *rest)` is legal: order by position
            at = [(a.lineno, a.col_offset) for a in node.args] + [(k.lineno, k.col_offset) for k in node.keywords]
            merged = sorted(zip(at, range(len(at)), [*out, *kws], strict=True))
            return [arg for _, _, arg in merged]
        out += kws
    return out


def _positional(node: ast.Call) -> list[ast.expr]:
    """Positional arguments that are not unpacked."""
    return [a for a in node.args if not isinstance(a, ast.Starred)]


def _environ_or_ref(dotted: str) -> Value:
    return Value("environ") if dotted == "os.environ" else Value("ref", dotted)


def _unstar(node: ast.expr) -> ast.expr:
    return node.value if isinstance(node, ast.Starred) else node


def _children(node: ast.AST) -> list[ast.AST]:
    """Child nodes in source order (the few nodes whose `ast` field order is not)."""
    if isinstance(node, ast.IfExp):
        return [node.body, node.test, node.orelse]
    if isinstance(node, ast.Dict):
        out: list[ast.AST] = []
        for k, v in zip(node.keys, node.values, strict=True):
            if k is not None:
                out.append(k)
            out.append(v)
        return out
    if isinstance(node, ast.Call):
        return [node.func, *(a.value for a in _call_args(node))]
    if isinstance(node, ast.arguments):
        return _argument_children(node)
    return list(ast.iter_child_nodes(node))


def _params(args: ast.arguments) -> list[tuple[ast.arg, ast.expr | None]]:
    """Parameters with their defaults, in source order."""
    positional = [*args.posonlyargs, *args.args]
    first_default = len(positional) - len(args.defaults)
    out: list[tuple[ast.arg, ast.expr | None]] = [
        (a, args.defaults[i - first_default] if i >= first_default else None) for i, a in enumerate(positional)
    ]
    if args.vararg is not None:
        out.append((args.vararg, None))
    out += list(zip(args.kwonlyargs, args.kw_defaults, strict=True))
    if args.kwarg is not None:
        out.append((args.kwarg, None))
    return out


def _argument_children(args: ast.arguments) -> list[ast.AST]:
    out: list[ast.AST] = []
    for a, default in _params(args):
        if a.annotation is not None:
            out.append(a.annotation)
        if default is not None:
            out.append(default)
    return out


class _Extractor:
    def __init__(self, rel: str, module: str, text: str) -> None:
        self.lines = text.split("\n")
        self.rel = rel
        self.module = module
        self.package = _package_of(rel, module)
        self.aliases: dict[str, str] = {}
        self.imports: list[Import] = []
        self.constants: dict[str, Value] = {}
        self.functions: list[Function] = []
        self.io: list[IO] = []
        self.models: list[ModelEvent] = []
        self.calls: list[Call] = []
        self.config_defs: list[ConfigDef] = []
        self.mentions: set[str] = set()
        self.mounts: set[str] = set()  # volumes mounted into a pipeline step's container
        self.model_classes: set[str] = set()
        self.classes: list[str] = []
        self.scopes: list[_Scope] = [_Scope(MODULE_SCOPE)]
        self.sources: dict[int, tuple[Value, ast.expr]] = {}  # id(Value) -> (it, its expression): `value`
        self.shown_args: dict[int, Text | None] = {}  # id(argument of an `apis.SHOWN_ARGS` call) -> shown
        self.defaults: dict[int, Value] = {}  # id(a `param` Value in `sources`) -> its default's Value
        self.bound: dict[int, ast.expr] = {}  # id(a name a detector asks about) -> the expression bound to it there
        self.call_tokens: dict[int, str] = {}  # id(Call node) -> lineage token of its result
        self.comp_lineage: dict[int, Lineage] = {}  # id(comprehension) -> lineage of its elements
        self.comp_saved: list[tuple[dict[str, Lineage], dict[str, Value], dict[str, ast.expr]]] = []
        self.missing: list[Value] = []  # paths an enclosing `if not p.exists():` says are absent
        self.handlers: dict[type, Callable[[Any], None]] = {
            ast.Name: _skip,
            ast.Constant: _skip,
            ast.Load: _skip,
            ast.Store: _skip,
            ast.Import: self.visit_Import,
            ast.ImportFrom: self.visit_ImportFrom,
            ast.ClassDef: self.visit_ClassDef,
            ast.FunctionDef: self.visit_FunctionDef,
            ast.AsyncFunctionDef: self.visit_FunctionDef,
            ast.Return: self.visit_Return,
            ast.Assign: self.visit_Assign,
            ast.AnnAssign: self.visit_AnnAssign,
            ast.AugAssign: self.visit_AugAssign,
            ast.For: self.visit_For,
            ast.AsyncFor: self.visit_For,
            ast.With: self.visit_With,
            ast.AsyncWith: self.visit_With,
            ast.If: self.visit_If,
            ast.ListComp: self.visit_comprehension,
            ast.SetComp: self.visit_comprehension,
            ast.GeneratorExp: self.visit_comprehension,
            ast.DictComp: self.visit_comprehension,
            ast.Call: self.visit_Call,
            ast.Subscript: self.visit_Subscript,
            ast.NamedExpr: self.visit_NamedExpr,
            ast.IfExp: self.generic_visit,
            ast.Dict: self.generic_visit,
            ast.arguments: self.generic_visit,
        }

    # ----------------------------------------------------------------- traversal

    def run(self, tree: ast.Module) -> None:
        for stmt in tree.body:
            self.visit(stmt)

    def visit(self, node: ast.AST) -> None:
        handler = self.handlers.get(type(node))
        if handler is not None:
            handler(node)
            return
        for name in node._fields:
            child = getattr(node, name, None)
            if isinstance(child, list):
                for item in child:
                    if isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(child, ast.AST):
                self.visit(child)

    def generic_visit(self, node: ast.AST) -> None:
        for child in _children(node):
            self.visit(child)

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        absent = self._absent(node.test)
        if absent is not None:
            self.missing.append(absent)
        self.visit_all(node.body)
        if absent is not None:
            self.missing.pop()
        self.visit_all(node.orelse)

    def _absent(self, test: ast.expr) -> Value | None:
        """The path `if not p.exists():` / `if not os.path.isfile(p):` tests is absent, if known."""
        if not (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Call)):
            return None
        call = test.operand
        if isinstance(call.func, ast.Attribute) and call.func.attr in ("exists", "is_file") and not call.args:
            tested: ast.expr = call.func.value
        elif self.dotted(call.func) in ("os.path.exists", "os.path.isfile") and len(call.args) == 1:
            tested = call.args[0]
        else:
            return None
        value = self.value(tested)
        return value if value.kind != "unknown" else None

    def visit_all(self, nodes: Sequence[ast.AST | None]) -> None:
        for node in nodes:
            if node is not None:
                self.visit(node)

    # ----------------------------------------------------------------- helpers

    @property
    def scope(self) -> _Scope:
        return self.scopes[-1]

    def _column(self, line: int, byte_col: int) -> int:
        """ast columns count UTF-8 bytes; ours count characters (1-based)."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if text.isascii():
            return byte_col + 1
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1

    def span(self, node: ast.expr | ast.stmt) -> Span:
        end_line = node.end_lineno or node.lineno
        end_col = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        return Span(node.lineno, self._column(node.lineno, node.col_offset), end_line, self._column(end_line, end_col))

    def segment(self, node: ast.expr) -> str:
        """The source text of a one-line node (a number literal as written: `1e-3`, `1_000`)."""
        text = self.lines[node.lineno - 1] if 0 < node.lineno <= len(self.lines) else ""
        end = node.end_col_offset if node.end_col_offset is not None else len(text)
        if text.isascii():
            return text[node.col_offset : end]
        return text.encode("utf-8")[node.col_offset : end].decode("utf-8", "replace")

    def dotted(self, node: ast.expr) -> str | None:
        """`pd.read_csv` -> "pandas.read_csv" through the alias table; None if not a name chain."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        head = self.aliases.get(node.id, node.id) if node.id not in self._locals() else node.id
        parts.append(head)
        return ".".join(reversed(parts))

    def _locals(self) -> dict[str, Lineage]:
        # Local bindings shadow imports (a parameter called `json` is not the json module).
        return self.scope.lineage if self.scope.qualname != MODULE_SCOPE else {}

    def var_key(self, node: ast.expr) -> str | None:
        """A variable or attribute chain as written (`df`, `self.model`)."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(node.id)
        return ".".join(reversed(parts))

    def model_id(self, key: str) -> str:
        """A model variable's identity: `self.x` is shared by the methods of one class."""
        qualname = self.scope.qualname
        if key.startswith("self.") and self.classes:
            return f"{self.classes[-1]}::{key}"
        return f"{qualname}::{key}"

    def lookup_lineage(self, key: str) -> Lineage:
        scope = self.scope
        if key in scope.lineage:
            return scope.lineage[key]
        if key in scope.params:
            return frozenset({f"param:{key}"})
        if scope.qualname != MODULE_SCOPE and key in self.scopes[0].lineage:
            return self.scopes[0].lineage[key]
        return _EMPTY

    def lineage(self, node: ast.AST | None) -> Lineage:
        """Where the data of an expression comes from: variables used and calls made in it."""
        if node is None:
            return _EMPTY
        out: set[str] = set()
        stack: list[ast.AST] = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, ast.Call):
                token = self.call_tokens.get(id(n))
                if token:
                    out.add(token)
                    if token.startswith("io:"):
                        continue  # a read's result is the artifact's data, not its path's
                func = n.func
                # a method call's receiver carries data (`df.dropna()`), its name does not;
                # a prediction or transform carries the input's data, not the model itself
                if isinstance(func, ast.Attribute) and not (
                    token.startswith("pred:") if token else func.attr in _MODEL_OUTPUT_METHODS
                ):
                    stack.append(func.value)
                stack.extend(n.args)
                stack.extend(k.value for k in n.keywords)
                continue
            if isinstance(n, (ast.Name, ast.Attribute)):
                key = self.var_key(n)
                if key is not None:
                    found = self.lookup_lineage(key)
                    if found:
                        out |= found
                        continue
                    if isinstance(n, ast.Attribute):
                        stack.append(n.value)
                    continue
                assert isinstance(n, ast.Attribute)
                stack.append(n.value)
                out |= self.lookup_lineage(n.attr)  # as the LibCST extractor did: `f().x` reads a local `x`
                continue
            if isinstance(n, ast.Subscript) and isinstance(n.value, (ast.Name, ast.Attribute)):
                element = _constant_element(n.slice)
                base = self.var_key(n.value) if element is not None else None
                if base is not None and element is not None:
                    held = self.scope.elements.get(base)
                    if held is not None and element in held:
                        out |= held[element]
                        continue
                    found = self.lookup_lineage(base)
                    if any(t.startswith("call:") and "#" not in t for t in found):
                        out |= {f"{t}#{element}" if t.startswith("call:") and "#" not in t else t for t in found}
                        continue
            if isinstance(n, ast.Lambda):
                continue
            if id(n) in self.comp_lineage:
                out |= self.comp_lineage[id(n)]
                continue
            stack.extend(ast.iter_child_nodes(n))
        return frozenset(out)

    # ------------------------------------------------------------ symbolic values

    def value(self, node: ast.expr | None, depth: int = 0) -> Value:
        """The symbolic value of `node` here (flow-sensitive). A part it cannot spell out (unknown,
        a parameter, an imported name, a config key ...) remembers the expression it came from
        (`self.sources`), so `shown` can give detectors its source text without `Value` carrying
        it: graph facts stay exactly the values."""
        v = self._value(node, depth)
        if node is None or v.kind in _SPELLED:
            return v
        v = Value(v.kind, v.text, v.parts, v.keys)  # equal, but a hole of its own: this expression's
        self.sources[id(v)] = (v, node)  # the entry keeps v alive, so its id is never reused
        if v.kind == "param":
            default = next((d for p, d in self.scope.defaults if p == v.text), None)
            if default is not None:
                self.defaults[id(v)] = default
        return v

    def shown(self, v: Value) -> Text | None:
        """`v` as the file shows it: literal text, with a hole (and its source) for each part one
        file cannot know. None unless some of it is literal text."""
        if v.kind == "handle" and v.parts:
            return self.shown(v.parts[0])
        if v.kind == "param" and id(v) in self.defaults:  # shown as its default, as the signature writes it
            return self.shown(self.defaults[id(v)])
        if v.kind not in ("str", "join"):
            return None
        out = Text("", [])
        self._show(v, out)
        return out

    def _show(self, v: Value, out: Text) -> None:
        if v.kind in ("str", "num"):
            out.text += v.text
        elif v.kind == "param" and id(v) in self.defaults and self.defaults[id(v)].kind in _SPELLED:
            self._show(self.defaults[id(v)], out)
        elif v.kind == "join":
            for i, part in enumerate(v.parts):
                if i:
                    out.text += v.text
                self._show(part, out)
        else:
            known = self.sources.get(id(v))
            out.text += HOLE
            out.holes.append(_unparse(known[1]) if known is not None else "?")

    def _value(self, node: ast.expr | None, depth: int = 0) -> Value:
        if node is None or depth > 12:
            return UNKNOWN
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, str):
                return Value("str", v)
            if isinstance(v, bool):
                return Value("bool", "true" if v else "false")
            if isinstance(v, (int, float)):
                return Value("num", self.segment(node))
            return UNKNOWN
        if isinstance(node, ast.JoinedStr):
            parts: list[Value] = []
            for p in node.values:
                if isinstance(p, ast.Constant):
                    parts.append(Value("str", str(p.value)))
                elif isinstance(p, ast.FormattedValue):
                    parts.append(self.value(p.value, depth + 1))
            return _join("", tuple(parts))
        if isinstance(node, ast.Name):
            if node.id == "__file__" and node.id not in self.scope.values:
                return Value("str", self.rel)  # paths are root-relative: so is this file's
            return self.name_value(node.id)
        if isinstance(node, ast.Attribute):
            return self.attribute_value(node, depth)
        if isinstance(node, ast.Subscript):
            base = self.value(node.value, depth + 1)
            if not isinstance(node.slice, (ast.Tuple, ast.Slice)):
                key = self.value(node.slice, depth + 1)
                if key.kind == "num" and key.text.isdigit() and self.dotted(node.value) == "sys.argv":
                    return Value("argv", key.text)  # bound by the launchers that run this script
                if base.kind == "config" and key.kind in ("str", "num"):
                    return Value("config", parts=base.parts, keys=(*base.keys, key.text))
                if base.kind in ("ref", "ret") and key.kind in ("str", "num"):  # an imported or returned mapping
                    return Value("config", parts=(base,), keys=(key.text,))
                if base.kind == "environ" and key.kind == "str":
                    return Value("env", key.text)
            return UNKNOWN
        if isinstance(node, ast.BinOp):
            left = self.value(node.left, depth + 1)
            right = self.value(node.right, depth + 1)
            if isinstance(node.op, ast.Div) and not (left.kind == "num" or right.kind == "num"):
                return _join("/", (left, right))
            if isinstance(node.op, ast.Add) and "num" not in (left.kind, right.kind):
                return _join("", (left, right))
            if isinstance(node.op, ast.Mod) and left.kind == "str":
                if isinstance(node.right, ast.Tuple):
                    values = [self.value(_unstar(e), depth + 1) for e in node.right.elts]
                else:
                    values = [right]
                return _percent(left.text, values)
            return UNKNOWN
        if isinstance(node, ast.Call):
            return self.call_value(node, depth)
        return UNKNOWN

    def name_value(self, name: str) -> Value:
        scope = self.scope
        if self.classes and self._in_class_body() and f"{self.classes[-1]}.{name}" in scope.values:
            return scope.values[f"{self.classes[-1]}.{name}"]  # `TRAIN = ROOT + "/train.csv"` in a class body
        if name in scope.values:
            return scope.values[name]
        if name in scope.params and name not in scope.lineage:
            return Value("param", name)
        if name in self.constants:
            return self.constants[name]
        if name in self.aliases:
            return _environ_or_ref(self.aliases[name])
        return UNKNOWN

    def attribute_value(self, node: ast.Attribute, depth: int) -> Value:
        attr = node.attr
        key = self.var_key(node)
        if key is not None and key in self.scope.values:
            return self.scope.values[key]
        base = self.value(node.value, depth + 1)
        if base.kind == "config":
            return Value("config", parts=base.parts, keys=(*base.keys, attr))
        if base.kind == "argparse-ns":
            return Value("argparse", attr)
        if base.kind == "ret":  # get_args().lr, load_config().data: resolved through the callee
            return Value("config", parts=(base,), keys=(attr,))
        if attr == "parent" and base.kind == "str":  # Path(__file__).parent
            return Value("str", posixpath.dirname(base.text) or ".")
        if base.kind == "ref":  # `os.environ` (any alias of os) is the environment, not a module's mapping
            return _environ_or_ref(f"{base.text}.{attr}")
        return UNKNOWN

    def format_value(self, node: ast.Call, depth: int) -> Value:
        """`TEMPLATE.format(...)`: the arguments fill the template's fields. A template imported
        from another module stays symbolic (`format`: parts are the template, then the arguments;
        keys their keywords, "" for positional ones) and is filled by the project's resolver."""
        assert isinstance(node.func, ast.Attribute)
        base = self.value(node.func.value, depth + 1)
        splat = any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords)
        if base.kind not in ("str", "ref") or splat:
            return _format(base.text) if base.kind == "str" else UNKNOWN
        args = [self.value(a, depth + 1) for a in node.args]
        kwargs = {k.arg: self.value(k.value, depth + 1) for k in node.keywords if k.arg is not None}
        if base.kind == "ref":
            return Value("format", parts=(base, *args, *kwargs.values()), keys=(*[""] * len(args), *kwargs))
        parts = format_parts(base.text, args, kwargs)
        return _format(base.text) if parts is None else _join("", parts) if parts else Value("str", "")

    def call_value(self, node: ast.Call, depth: int) -> Value:
        if isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            return self.format_value(node, depth)
        wrapper = self.dotted(node.func) or ""
        if wrapper.rsplit(".", 1)[-1] in apis.CONFIG_WRAPPERS and len(node.args) == 1 and not node.keywords:
            inner = self.value(node.args[0], depth + 1)  # `ConfigBox(yaml.safe_load(f))`: the same config
            if inner.kind == "config":
                return inner
        token = self.call_tokens.get(id(node), "")
        if token.startswith("io:"):
            fact = self.io[int(token[3:])]
            if fact.kind == "config" and fact.op == "read":  # yaml.safe_load(open(p)), OmegaConf.load(p)
                return Value("config", parts=(fact.target,))
        elif token.startswith("call:"):  # a project function: its return value is resolved later
            return Value("ret", token[5:])
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in apis.PARSE_ARGS:
            return Value("argparse-ns")
        name = self.dotted(func)
        args = _positional(node)
        if name in apis.PATH_JOIN:
            if not args:
                return UNKNOWN
            return _join("/", tuple(self.value(a, depth + 1) for a in args))
        if name in apis.PATH_IDENTITY and args:
            return self.value(args[0], depth + 1)
        if name == "os.path.dirname" and args:
            inner = self.value(args[0], depth + 1)
            return Value("str", posixpath.dirname(inner.text) or ".") if inner.kind == "str" else UNKNOWN
        if name in apis.ENV_GETTERS and args:
            var = self.value(args[0], depth + 1)
            default = self.value(args[1], depth + 1) if len(args) > 1 else UNKNOWN
            return Value("env", var.text, (default,)) if var.kind == "str" else UNKNOWN
        if isinstance(func, ast.Attribute):
            method = func.attr
            if method in apis.PATH_IDENTITY_METHODS:
                return self.value(func.value, depth + 1)
            if method == "joinpath":
                return _join("/", (self.value(func.value, depth + 1), *(self.value(a, depth + 1) for a in args)))
            if method in ("glob", "rglob") and args:
                return _join("/", (self.value(func.value, depth + 1), self.value(args[0], depth + 1)))
            if method == "format":
                return self.format_value(node, depth)
            if method == "get" and args:
                base = self.value(func.value, depth + 1)
                key = self.value(args[0], depth + 1)
                if base.kind == "config" and key.kind == "str":
                    default = self.value(args[1], depth + 1) if len(args) > 1 else UNKNOWN
                    return Value(
                        "config", parts=(base.parts[0], default) if base.parts else (), keys=(*base.keys, key.text)
                    )
                if base.kind == "environ" and key.kind == "str":
                    default = self.value(args[1], depth + 1) if len(args) > 1 else UNKNOWN
                    return Value("env", key.text, (default,))
        return UNKNOWN

    # ------------------------------------------------------------------ imports

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            full = alias.name
            if alias.asname is not None:
                local = alias.asname
                self.aliases[local] = full
            else:
                local = full.split(".")[0]
                self.aliases[local] = local
            self.imports.append(Import(full, None, local, node.lineno))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            pkg = self.package.split(".") if self.package else []
            up = node.level - 1
            pkg = pkg[: len(pkg) - up] if up else pkg
            base = ".".join([*pkg, base] if base else pkg)
        if any(alias.name == "*" for alias in node.names):
            self.imports.append(Import(base, "*", "*", node.lineno))
            return
        for alias in node.names:
            name = alias.name
            local = alias.asname or name
            self.aliases[local] = f"{base}.{name}" if base else name
            self.imports.append(Import(base, name, local, node.lineno))

    # ---------------------------------------------------------- scopes & classes

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(node.name)
        for base in node.bases:
            dotted = self.dotted(_unstar(base))
            if dotted and (dotted in apis.MODEL_BASES or dotted.split(".")[-1] in self.model_classes):
                self.model_classes.add(node.name)
        self.visit_all(node.decorator_list)
        self.visit_all(node.bases)
        self.visit_all(node.keywords)
        self.visit_all(node.body)
        self.classes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        params_nodes = _params(node.args)
        params = tuple(p.arg for p, _ in params_nodes)
        defaults = tuple((p.arg, self.value(d)) for p, d in params_nodes if d is not None)
        outer = self.scope.qualname
        prefix = "" if outer == MODULE_SCOPE else f"{outer}.<locals>."
        if self.classes and (outer == MODULE_SCOPE or not outer.endswith(self.classes[-1])):
            prefix = f"{prefix}{self.classes[-1]}." if outer == MODULE_SCOPE else prefix
        qualname = f"{prefix}{node.name}"
        scope = _Scope(qualname, params)
        # Hydra: @hydra.main(config_path=..., config_name=...) binds the first parameter to a config file.
        for deco in node.decorator_list:
            if isinstance(deco, ast.Call) and self.dotted(deco.func) == apis.HYDRA_MAIN and params:
                kw = {k.arg: self.value(k.value) for k in deco.keywords if k.arg}
                cfg_path = kw.get("config_path", Value("str", "."))
                cfg_name = kw.get("config_name", UNKNOWN)
                if cfg_name.kind == "str" and not cfg_name.text.endswith((".yaml", ".yml")):
                    cfg_name = Value("str", cfg_name.text + ".yaml")
                scope.values[params[0]] = Value(
                    "config", parts=(_join("/", (Value("str", "@here"), cfg_path, cfg_name)),)
                )
        scope.span, scope.defaults = self.span(node), defaults
        scope.exprs = {p.arg: d for p, d in params_nodes if d is not None}
        # decorators and defaults are evaluated where the function is defined, but (as before)
        # calls in them are attributed to the function itself
        self.scopes.append(scope)
        self.visit_all(node.decorator_list)
        self.generic_visit(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        self.visit_all(node.body)
        self.scopes.pop()
        elements = () if scope.returns_whole or not scope.returned else tuple(sorted(scope.returned.items()))
        self.functions.append(
            Function(
                scope.qualname,
                scope.params,
                defaults,
                scope.span,
                frozenset(scope.returns),
                value=scope.return_value,
                elements=elements,
                star=node.args.vararg.arg if node.args.vararg is not None else "",
                dstar=node.args.kwarg.arg if node.args.kwarg is not None else "",
            )
        )

    def elements_of(self, node: ast.expr | None) -> dict[str, Lineage] | None:
        """Each element's lineage of a dict with literal keys, a tuple or list display, or a
        variable bound to one; None for anything else."""
        if isinstance(node, ast.Dict):
            keys = [k.value if isinstance(k, ast.Constant) else None for k in node.keys]
            if not all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in keys):
                return None  # `**other` or a computed key
            return {_element(k): self.lineage(v) for k, v in zip(keys, node.values, strict=True)}  # type: ignore[arg-type]
        if isinstance(node, (ast.Tuple, ast.List)):
            if any(isinstance(e, ast.Starred) for e in node.elts):
                return None
            return {f"#{i}": self.lineage(e) for i, e in enumerate(node.elts)}
        if isinstance(node, (ast.Name, ast.Attribute)):
            key = self.var_key(node)
            found = self.scope.elements.get(key) if key is not None else None
            return dict(found) if found is not None else None
        return None

    def visit_Return(self, node: ast.Return) -> None:
        if node.value is not None:
            self.visit(node.value)
        scope = self.scope
        scope.returns |= self.lineage(node.value)
        elements = self.elements_of(node.value)
        if elements is None:
            scope.returns_whole = True
        elif scope.returned is None:
            scope.returned = elements
        else:
            for k, lin in elements.items():
                scope.returned[k] = scope.returned.get(k, _EMPTY) | lin
        if scope.return_value.kind == "unknown" and node.value is not None:
            value = self.value(node.value)
            if value.kind in ("config", "argparse-ns", "str", "join", "ref", "param"):
                scope.return_value = value

    # -------------------------------------------------------------- bindings

    def bind(self, target: ast.expr, lineage: Lineage, value: Value, read: int | None = None) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for el in target.elts:
                self.bind(_unstar(el), lineage, UNKNOWN, read)
            return
        if isinstance(target, ast.Starred):
            self.bind(target.value, lineage, UNKNOWN, read)
            return
        key = self.var_key(target)
        if key is not None and self.classes and isinstance(target, ast.Name) and self._in_class_body():
            key = f"{self.classes[-1]}.{key}"  # a class attribute: `Config.DATA_URL`, not a module name
        if key is None:
            if isinstance(target, ast.Subscript):  # df["col"] = ... mixes data into df
                base = self.var_key(target.value)
                if base is not None:
                    scope = self.scope
                    scope.lineage[base] = self.lookup_lineage(base) | lineage
                    held = scope.elements.get(base)
                    element = _constant_element(target.slice)
                    if held is not None and element is not None:  # out["users"] = ...: that element
                        held[element] = lineage
                    elif held is not None:
                        del scope.elements[base]
            return
        scope = self.scope
        scope.lineage[key] = lineage
        scope.elements.pop(key, None)
        scope.exprs.pop(key, None)
        if value.kind != "unknown":
            scope.values[key] = value
        else:
            scope.values.pop(key, None)
        if read is not None:
            scope.reads_bound[key] = read
        else:
            scope.reads_bound.pop(key, None)
        if scope.qualname == MODULE_SCOPE and isinstance(target, ast.Name):
            if value.kind not in ("unknown", "handle", "argparse-ns", "environ", "param"):
                self.constants[key] = value
            else:
                self.constants.pop(key, None)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit_all(node.targets)
        self.visit(node.value)
        self._assign(node.targets, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.visit(node.target)
        self.visit(node.annotation)
        if node.value is not None:
            self.visit(node.value)
            self._assign([node.target], node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.target)
        self.visit(node.value)
        key = self.var_key(node.target)
        if key is not None:
            self.scope.lineage[key] = self.lookup_lineage(key) | self.lineage(node.value)
            self.scope.values.pop(key, None)
            self.scope.exprs.pop(key, None)

    def _assign(self, targets: Sequence[ast.expr], value_node: ast.expr) -> None:
        lineage = self.lineage(value_node)
        value = self.value(value_node)
        read = None
        token = self.call_tokens.get(id(value_node)) if isinstance(value_node, ast.Call) else None
        if token and token.startswith("io:"):
            read = int(token[3:])
        is_model = isinstance(value_node, ast.Call) and self._is_model_ctor(value_node)
        elements = self.elements_of(value_node)
        for target in targets:
            if isinstance(target, (ast.Tuple, ast.List)) and self._unpack(target, value_node, lineage, elements):
                continue
            self.bind(target, lineage, value, read)
            key = self.var_key(target)
            if key is None:
                continue
            if isinstance(target, ast.Name) and not (self.classes and self._in_class_body()):
                self.scope.exprs[key] = value_node
            if elements is not None:
                self.scope.elements[key] = dict(elements)
            if is_model:
                assert isinstance(value_node, ast.Call)
                self.scope.models.add(key)
                self.scope.lineage[key] = lineage | {f"model:{self.model_id(key)}"}
                self.models.append(
                    ModelEvent(
                        "construct",
                        self.model_id(key),
                        self.scope.qualname,
                        self.span(value_node),
                        self.dotted(value_node.func) or "",
                    )
                )
            elif read is not None and self.io[read].kind == "model":
                self._mark_model(key, read)

    def _in_class_body(self) -> bool:
        """Is the statement being bound directly in a top-level class's body (not in a method)?"""
        return len(self.classes) == 1 and self.scope.qualname == MODULE_SCOPE

    def _unpack(
        self, target: ast.Tuple | ast.List, value_node: ast.expr, lineage: Lineage, elements: dict[str, Lineage] | None
    ) -> bool:
        """`a, b = x, y` or `train, users = load()`: each name gets its own item's lineage (a
        project call's item as `call:K#i`). False when the items cannot be told apart."""
        names = target.elts
        if any(isinstance(e, ast.Starred) for e in names):
            return False
        token = self.call_tokens.get(id(value_node), "") if isinstance(value_node, ast.Call) else ""
        if elements is not None and all(f"#{i}" in elements for i in range(len(names))) and not token:
            for i, name in enumerate(names):
                self.bind(name, elements[f"#{i}"], UNKNOWN)
            return True
        if token.startswith("call:"):
            rest = lineage - {token}
            for i, name in enumerate(names):
                self.bind(name, rest | {f"{token}#{_element(i)}"}, UNKNOWN)
            return True
        return False

    def _is_model_ctor(self, node: ast.Call) -> bool:
        name = self.dotted(node.func)
        if not name:
            return False
        last = name.rsplit(".", 1)[-1]
        if last in self.model_classes:
            return True
        if not last[:1].isupper() or last in apis.NOT_MODELS:
            return False
        if name.startswith("sklearn.model_selection"):
            return "SearchCV" in last
        return name.startswith(apis.MODEL_PREFIXES) and ".utils." not in name and ".data." not in name

    def _mark_model(self, key: str, read: int) -> None:
        scope = self.scope
        if key in scope.models:
            return
        scope.models.add(key)
        scope.lineage[key] = scope.lineage.get(key, _EMPTY) | {f"model:{self.model_id(key)}"}
        fact = self.io[read]
        self.io[read] = _replace_io(fact, kind="model")
        self.models.append(ModelEvent("load", self.model_id(key), scope.qualname, fact.span, fact.api, io=read))

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.target)
        self.visit(node.iter)
        self._ask(node.iter)
        # the iterable has been visited (source order): bind the loop target before the body
        self.bind(node.target, self.lineage(node.iter), self._element_value(node.iter))
        self.visit_all(node.body)
        self.visit_all(node.orelse)

    def _element_value(self, node: ast.expr) -> Value:
        if isinstance(node, ast.Call):
            name = self.dotted(node.func)
            args = [_unstar(a) for a in node.args] + [k.value for k in node.keywords if k.arg is None]
            if name in ("sorted", "list", "enumerate", "tqdm.tqdm", "tqdm") and args:
                if name == "enumerate":
                    return UNKNOWN
                return self._element_value(args[0])
            if name in apis.LISTDIR:
                return UNKNOWN
            if name in ("glob.glob", "glob.iglob") or (
                isinstance(node.func, ast.Attribute) and node.func.attr in ("glob", "rglob", "iterdir")
            ):
                if isinstance(node.func, ast.Attribute) and node.func.attr == "iterdir":
                    return _join("/", (self.value(node.func.value), UNKNOWN))
                return self.value(node)
        return UNKNOWN

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self.visit(item.optional_vars)
        for item in node.items:
            if item.optional_vars is not None:
                read = None
                expr = item.context_expr
                token = self.call_tokens.get(id(expr)) if isinstance(expr, ast.Call) else None
                if token and token.startswith("io:"):
                    read = int(token[3:])
                self.bind(item.optional_vars, self.lineage(expr), self._handle_value(expr), read)
        self.visit_all(node.body)

    def _handle_value(self, node: ast.expr) -> Value:
        """`open(p)` as a value: a handle on p, so `json.load(f)` can name p."""
        if isinstance(node, ast.Call):
            token = self.call_tokens.get(id(node))
            if token and token.startswith("io:"):
                return Value("handle", token[3:], (self.io[int(token[3:])].target,))
        return self.value(node)

    def visit_comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        """Bind the comprehension's targets before its element is visited (it comes first in the
        source). The iterables are not visited yet, so calls in them add no lineage token."""
        scope = self.scope
        self.comp_saved.append((dict(scope.lineage), dict(scope.values), dict(scope.exprs)))
        for comp in node.generators:
            self._ask(comp.iter)
            self.bind(comp.target, self.lineage(comp.iter), self._element_value(comp.iter))
        if isinstance(node, ast.DictComp):
            self.visit(node.key)
            self.visit(node.value)
        else:
            self.visit(node.elt)
        for comp in node.generators:
            self.visit(comp.target)
            self.visit(comp.iter)
            self.visit_all(comp.ifs)
        elt_lineage = self.lineage(node.value if isinstance(node, ast.DictComp) else node.elt)
        self.scope.lineage, self.scope.values, self.scope.exprs = self.comp_saved.pop()
        if elt_lineage:
            self.comp_lineage[id(node)] = elt_lineage

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.target)
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self.scope.exprs.pop(node.target.id, None)  # `(cols := pick(df))`: no longer what it was

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self.visit(node.value)
        index = node.slice
        if type(index) is ast.Name:  # `df[cols]`: the column list `cols` names (MLD203)
            self._ask(index)
        else:
            self.visit(index)

    def _ask(self, node: ast.expr | None) -> None:
        """A name a detector asks about here: record the expression bound to it (`bound_expr`)."""
        if isinstance(node, ast.Name):
            bound = self.bound_expr(node.id)
            if bound is not None:
                self.bound[id(node)] = bound

    def bound_expr(self, name: str) -> ast.expr | None:
        """The expression `name` is bound to here (flow-sensitive, in the traversal's order): the
        last plain `name = expr` in this scope, a parameter's default, else the binding so far of
        the enclosing functions (a closure) and then the module. None when the nearest scope
        that binds it binds it to something else (a loop, an unpacking, a `with`, `+=`) or it is
        a parameter with no default."""
        for scope in reversed(self.scopes):
            if name in scope.exprs:
                return scope.exprs[name]
            if name in scope.lineage or name in scope.params:
                return None
        return None

    # ------------------------------------------------------------------ calls

    def visit_Call(self, node: ast.Call) -> None:
        self.visit(node.func)
        args = _call_args(node)
        for a in args:
            self.visit(a.value)
        self.leave_Call(node, args)

    def leave_Call(self, node: ast.Call, all_args: list[_Arg]) -> None:
        func = node.func
        name = self.dotted(func)
        method = func.attr if isinstance(func, ast.Attribute) else None
        receiver = self.var_key(func.value) if isinstance(func, ast.Attribute) else None
        scope = self.scope

        if name in apis.COMMAND_RUNNERS and all_args:
            self._command(all_args[0].value)
            self._show_command(node)
        elif name in apis.STEP_COMMANDS:
            # dsl.ContainerOp(command=["python3", "train.py"]), BashOperator(bash_command="python x.py")
            for kw in node.keywords:
                if kw.arg in apis.STEP_COMMANDS[name]:
                    self._command(kw.value)
        if node.keywords or method == "add_pvolumes":
            self._mounts(node, method)
        if method is not None and method in apis.SHOWN_METHODS:
            self._show_arg(node, 0, apis.SHOWN_METHODS[method])
            if method in apis.GLOB_METHODS and node.args:  # `base.glob(pattern)`: both, as written
                assert isinstance(func, ast.Attribute)
                self.shown_args[id(func.value)] = self.shown(self.value(func.value))
        if name in apis.SHOWN_ARGS:
            self._show_arg(node, *apis.SHOWN_ARGS[name])
        if name in apis.BOUND_ARGS:
            self._ask(self._arg(node, *apis.BOUND_ARGS[name]))
        # argparse definitions: parser.add_argument("--lr", default=0.1)
        if method == apis.ARGPARSE_ADD:
            self._argparse_def(node, all_args)
            return
        spec = apis.CALLS.get(name or "")
        if spec is not None and not (name == "open" and "open" in self._locals()):
            self._io_call(node, spec, name or "")
            return
        if method is not None:
            assert isinstance(func, ast.Attribute)
            # model life cycle on a known or duck-typed model
            if method in apis.FIT_METHODS and receiver is not None and all_args:
                self._fit(receiver, node, all_args)
                if method == "fit":
                    return
            if method in apis.PREDICT_METHODS and receiver is not None and all_args:
                self._predict(receiver, node, all_args)
                return
            if (
                method in apis.MODEL_SAVE_METHODS
                and receiver is not None
                and receiver in scope.models
                and method != "save_pretrained"
            ):
                self._io_call(
                    node, apis.IOSpec("write", kind="model", pos=0, kw="filepath"), f"*.{method}", data=receiver
                )
                return
            mspec = apis.METHODS.get(method)
            if mspec is not None:
                self._io_call(node, mspec, f"*.{method}", receiver_node=func.value)
                return
            spark = self._spark_io(func)
            if spark is not None:
                self._io_call(
                    node, spark, f"*.{'read' if spark.op == 'read' else 'write'}.{method}", receiver_node=func.value
                )
                return
            if method == apis.PATH_OPEN and (not all_args or self._mode_arg(node, 0) is not None):
                base = self.value(func.value)
                if base.kind not in ("unknown", "config", "argparse-ns"):
                    self._io_call(node, apis.IOSpec("read", pos=None, handle=True), "*.open", receiver_node=func.value)
                    return
            if method in ("append", "extend", "update", "insert", "add") and receiver is not None:
                scope.lineage[receiver] = self.lookup_lineage(receiver) | self.lineage(
                    all_args[-1].value if all_args else None
                )
        if name in apis.TRAIN_FUNCTIONS:
            self.call_tokens[id(node)] = f"fitted:{node.lineno}:{node.col_offset}"  # deterministic, unlike id()
            return
        # a call of a model object: torch modules, keras models
        if receiver is None and isinstance(func, ast.Name) and func.id in scope.models and all_args:
            self._predict(func.id, node, all_args)
            return
        if isinstance(func, ast.Attribute) and method == "forward" and receiver in scope.models:
            assert receiver is not None
            self._predict(receiver, node, all_args)
            return
        if name is not None and not self._is_library(name):
            self._project_call(node, name, all_args)

    def _is_library(self, name: str) -> bool:
        """Only calls that may reach project code are kept: not builtins, libraries or methods of locals."""
        head = name.split(".")[0]
        if head in _BUILTINS or head in _KNOWN_LIBRARIES:
            return True
        if head == "self":
            return False
        scope = self.scope
        return "." in name and (head in scope.lineage or head in scope.params or head in scope.values)

    def _project_call(self, node: ast.Call, name: str, all_args: list[_Arg]) -> None:
        callee = name
        if name.startswith("self.") and self.classes:
            callee = f"{self.classes[-1]}.{name[5:]}"
        args: list[Value] = []
        arg_lin: list[Lineage] = []
        kwargs: list[tuple[str, Value]] = []
        kw_lin: list[tuple[str, Lineage]] = []
        splat = False  # positions after `*x` are unknown
        for a in all_args:
            if a.star:
                # `*args` / `**kwargs` of this function passed on: bound through its callers
                passed = isinstance(a.value, ast.Name) and a.value.id in self.scope.params
                if a.star == "*" and not splat and passed:
                    assert isinstance(a.value, ast.Name)
                    args.append(Value("splat", a.value.id))
                    arg_lin.append(frozenset({f"param:{a.value.id}"}))
                elif a.star == "**" and passed and not any(k == "**" for k, _ in kwargs):
                    assert isinstance(a.value, ast.Name)
                    kwargs.append(("**", Value("splat", a.value.id)))
                    kw_lin.append(("**", frozenset({f"param:{a.value.id}"})))
                splat = splat or a.star == "*"
                continue
            if a.keyword is None and splat:
                continue
            if a.keyword is None:
                args.append(self.value(a.value))
                arg_lin.append(self.lineage(a.value))
            else:
                kwargs.append((a.keyword, self.value(a.value)))
                kw_lin.append((a.keyword, self.lineage(a.value)))
        self.calls.append(
            Call(
                self.scope.qualname, callee, tuple(args), tuple(kwargs), tuple(arg_lin), tuple(kw_lin), self.span(node)
            )
        )
        self.call_tokens[id(node)] = f"call:{len(self.calls) - 1}"

    def _spark_io(self, func: ast.Attribute) -> apis.IOSpec | None:
        if func.attr not in apis.SPARK_FORMATS:
            return None
        inner = func.value
        while (
            isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Attribute)
            and inner.func.attr in ("format", "option", "options", "mode", "partitionBy")
        ):
            inner = inner.func.value
        if isinstance(inner, ast.Attribute) and inner.attr in ("read", "write", "readStream", "writeStream"):
            op = "read" if inner.attr.startswith("read") else "write"
            fmt = "table" if func.attr in ("table", "jdbc") else ""
            return apis.IOSpec(op, pos=0, kw="path", format=fmt)
        return None

    def _mode_arg(self, node: ast.Call, pos: int) -> Value | None:
        for k in node.keywords:
            if k.arg == "mode":
                return self.value(k.value)
        positional = [_unstar(a) for a in node.args] + [k.value for k in node.keywords if k.arg is None]
        if len(positional) > pos:
            return self.value(positional[pos])
        return None

    def _show_arg(self, node: ast.Call, pos: int | None, kw: str | None) -> None:
        """Show the argument at `pos` or keyword `kw` for the detectors (`FileContext.shown_of`)."""
        if pos is not None and any(isinstance(a, ast.Starred) for a in node.args[: pos + 1]):
            return  # `f(*args)`: which argument is where is unknown
        shown_arg = self._arg(node, pos, kw)
        if shown_arg is not None:
            self.shown_args[id(shown_arg)] = self.shown(self.value(shown_arg))

    def _arg(self, node: ast.Call, pos: int | None, kw: str | None) -> ast.expr | None:
        if kw is not None:
            for k in node.keywords:
                if k.arg == kw:
                    return k.value
        if pos is None:
            return None
        positional = _positional(node)
        return positional[pos] if len(positional) > pos else None

    def _io_call(
        self,
        node: ast.Call,
        spec: apis.IOSpec,
        api: str,
        *,
        receiver_node: ast.expr | None = None,
        data: str | None = None,
    ) -> None:
        op = spec.op
        kind = spec.kind
        append = False
        if api in apis.MODE_CALLS or (api == "*.open"):
            pos, _ = apis.MODE_CALLS.get(api, (0, "mode"))
            mode = self._mode_arg(node, pos)
            if mode is not None and mode.kind == "str" and any(c in mode.text for c in _WRITE_MODES):
                op = "write"
                append = "a" in mode.text
        elif op == "write":
            mode_kw = self._arg(node, None, "mode")
            append = mode_kw is not None and "a" in self.value(mode_kw).text
        path_node: ast.expr | None
        if spec.pos is None and spec.kw is not None and api in ("xgboost.Booster", "lightgbm.Booster"):
            path_node = self._arg(node, None, spec.kw)
            if path_node is None:
                return
        elif (
            spec.pos is None
            and receiver_node is not None
            and api in ("*.read_text", "*.read_bytes", "*.write_text", "*.write_bytes", "*.open")
        ):
            path_node = receiver_node
        else:
            path_node = self._arg(node, spec.pos, spec.kw)
        if path_node is None:
            return
        target = self.value(path_node)
        # json.load(f) / pickle.dump(m, f) where f = open(p), or yaml.safe_load(open(p)): the open()
        # already recorded the I/O of p; this call says what kind of file it is and what is written.
        opened: int | None = None
        if target.kind == "handle" and target.text.isdigit():
            opened = int(target.text)
        elif isinstance(path_node, ast.Call) and self.call_tokens.get(id(path_node), "").startswith("io:"):
            opened = int(self.call_tokens[id(path_node)][3:])
        elif target.kind == "unknown" and spec.handle and isinstance(path_node, (ast.Name, ast.Attribute)):
            opened = self.scope.reads_bound.get(self.var_key(path_node) or "")
        if opened is not None and opened < len(self.io):
            self._refine(opened, node, spec, kind, op, receiver_node, data)
            return
        if target.kind == "str" and spec.format == "" and not target.text:
            return
        fmt = spec.format
        if fmt == "hub" and target.kind == "str" and _looks_local(target.text):
            fmt = ""
        if target.kind == "str" and _URL.match(target.text) and fmt != "hub":
            fmt = "url"
        lineage = self._written_lineage(node, spec, receiver_node, data) if op == "write" else _EMPTY
        if op == "write" and kind == "data" and self._is_model_object(node, spec, receiver_node):
            kind = "model"
        index = len(self.io)
        if_missing = op == "write" and target in self.missing
        self.io.append(
            IO(op, kind, api, target, self.scope.qualname, self.span(node), lineage, fmt, append, if_missing)
        )
        self.call_tokens[id(node)] = f"io:{index}"

    def _refine(
        self,
        index: int,
        node: ast.Call,
        spec: apis.IOSpec,
        kind: str,
        op: str,
        receiver_node: ast.expr | None,
        data: str | None,
    ) -> None:
        fact = self.io[index]
        new_kind = kind if fact.kind == "data" else fact.kind
        lineage = fact.lineage
        if op == "write" or fact.op == "write":
            lineage = lineage | self._written_lineage(node, spec, receiver_node, data)
            if self._is_model_object(node, spec, receiver_node):
                new_kind = "model"
        self.io[index] = _replace_io(fact, kind=new_kind, lineage=lineage)
        self.call_tokens[id(node)] = f"io:{index}"

    def _is_model_object(self, node: ast.Call, spec: apis.IOSpec, receiver_node: ast.expr | None) -> bool:
        """`joblib.dump(model, p)`, `torch.save(model.state_dict(), p)`: the written object is a model."""
        obj = (
            receiver_node
            if spec.data_pos is None and spec.data_kw is None
            else self._arg(node, spec.data_pos, spec.data_kw)
        )
        while isinstance(obj, ast.Call) and isinstance(obj.func, ast.Attribute):
            obj = obj.func.value
        key = self.var_key(obj) if obj is not None else None
        return key is not None and key in self.scope.models

    def _written_lineage(
        self, node: ast.Call, spec: apis.IOSpec, receiver_node: ast.expr | None, data: str | None
    ) -> Lineage:
        if data is not None:
            return self.lookup_lineage(data) | {f"model:{self.model_id(data)}"}
        if spec.data_pos is not None or spec.data_kw is not None:
            return self.lineage(self._arg(node, spec.data_pos, spec.data_kw))
        if receiver_node is not None:
            return self.lineage(receiver_node)
        return _EMPTY

    def _use_model(self, receiver: str, node: ast.Call) -> None:
        """First use of a model this scope did not make: record where the object came from."""
        scope = self.scope
        if receiver in scope.models:
            return
        if receiver in scope.reads_bound:  # m = joblib.load(p); m.predict(...): p holds a model
            self._mark_model(receiver, scope.reads_bound[receiver])
            return
        came_from = self.lookup_lineage(receiver)
        scope.models.add(receiver)
        scope.lineage[receiver] = came_from | {f"model:{self.model_id(receiver)}"}
        if came_from:
            self.models.append(
                ModelEvent("use", self.model_id(receiver), scope.qualname, self.span(node), "", came_from)
            )

    def _args_lineage(self, all_args: list[_Arg]) -> Lineage:
        return frozenset().union(*(self.lineage(a.value) for a in all_args)) if all_args else _EMPTY

    def _fit(self, receiver: str, node: ast.Call, all_args: list[_Arg]) -> None:
        scope = self.scope
        self._use_model(receiver, node)
        arg_lineage = self._args_lineage(all_args)
        method = node.func.attr if isinstance(node.func, ast.Attribute) else "fit"
        self.models.append(
            ModelEvent("fit", self.model_id(receiver), scope.qualname, self.span(node), method, arg_lineage)
        )
        if method == "fit_predict":
            self.call_tokens[id(node)] = f"pred:{self.model_id(receiver)}"

    def _predict(self, receiver: str, node: ast.Call, all_args: list[_Arg]) -> None:
        scope = self.scope
        self._use_model(receiver, node)
        arg_lineage = self._args_lineage(all_args)
        method = node.func.attr if isinstance(node.func, ast.Attribute) else "__call__"
        self.models.append(
            ModelEvent("predict", self.model_id(receiver), scope.qualname, self.span(node), method, arg_lineage)
        )
        self.call_tokens[id(node)] = f"pred:{self.model_id(receiver)}"

    def _mounts(self, node: ast.Call, method: str | None) -> None:
        """Volumes a pipeline mounts into its steps' containers: Kubeflow's
        `ContainerOp(pvolumes={"/data": vol})` and `.add_pvolumes({...})`, `mount_path="/data"`
        (`V1VolumeMount`, `kubernetes.mount_pvc`)."""
        for kw in node.keywords:
            if kw.arg == "pvolumes" and isinstance(kw.value, ast.Dict):
                self._mount_keys(kw.value)
            elif kw.arg in ("mount_path", "mountPath"):
                value = self.value(kw.value)
                if value.kind == "str" and value.text.startswith("/"):
                    self.mounts.add(value.text)
        if method == "add_pvolumes" and node.args and isinstance(node.args[0], ast.Dict):
            self._mount_keys(node.args[0])

    def _mount_keys(self, d: ast.Dict) -> None:
        for k in d.keys:
            if k is not None:
                value = self.value(k)
                if value.kind == "str" and value.text.startswith("/"):
                    self.mounts.add(value.text)

    def _command(self, arg: ast.expr) -> None:
        """`os.system("python prepare.py")`, `subprocess.run(["python", "train.py"])`: scripts run."""
        if isinstance(arg, (ast.List, ast.Tuple)):
            words = [
                "python"
                if self.dotted(_unstar(e)) == "sys.executable"
                else (v.text if (v := self.value(_unstar(e))).kind == "str" else "ARG")
                for e in arg.elts
            ]
            command = " ".join(words)
        else:
            value = self.value(arg)
            command = value.text if value.kind == "str" else ""
        if command:
            self.mentions.update(command_mentions(command))

    def _show_command(self, node: ast.Call) -> None:
        """A command run (`subprocess.run([...])`, `os.system(line)`): its line, or each word of
        its list, shown for the detectors (MLD406), as `apis.SHOWN_ARGS` arguments are."""
        first = self._arg(node, 0, "args") or self._arg(node, None, "command") or self._arg(node, None, "cmd")
        for word in first.elts if isinstance(first, (ast.List, ast.Tuple)) else [first]:
            if word is not None and not isinstance(word, ast.Starred):
                self.shown_args[id(word)] = self.shown(self.value(word))

    def _argparse_def(self, node: ast.Call, all_args: list[_Arg]) -> None:
        flags = [self.value(a.value) for a in all_args if a.keyword is None]
        names = [f.text for f in flags if f.kind == "str"]
        kw = {a.keyword: a.value for a in all_args if a.keyword is not None}
        dest_node = kw.get("dest")
        dest = self.value(dest_node).text if dest_node is not None else ""
        if not dest:
            longs = [n for n in names if n.startswith("--")]
            chosen = longs[0] if longs else (names[0] if names else "")
            dest = chosen.lstrip("-").replace("-", "_")
        if not dest:
            return
        default = self.value(kw.get("default")) if "default" in kw else UNKNOWN
        if "action" in kw and "default" not in kw:
            action = self.value(kw["action"])
            if action.text == "store_true":
                default = Value("bool", "false")
            elif action.text == "store_false":
                default = Value("bool", "true")
        self.config_defs.append(ConfigDef("argparse", (dest,), default, self.span(node)))

    # ---------------------------------------------------------------- output

    def io_sites(self) -> dict[int, IO]:
        """id(call node) -> the I/O fact recorded at that call (a `json.load(f)` maps to its
        `open(p)`): detectors read the target `Value` from here rather than re-deriving it."""
        return {node: self.io[int(token[3:])] for node, token in self.call_tokens.items() if token.startswith("io:")}

    def shown_sites(self) -> dict[int, Text | None]:
        """id(call node) -> the target of its I/O fact as the file shows it (`shown`), and
        id(argument) -> its value shown, for the arguments `apis.SHOWN_ARGS` names: for the
        detectors that judge a path's or URL's text (`FileContext.text_of`, `shown_of`)."""
        out: dict[int, Text | None] = dict(self.shown_args)
        for node, token in self.call_tokens.items():
            if token.startswith("io:"):
                t = self.shown(self.io[int(token[3:])].target)
                if t is not None:
                    out[node] = t
        return out

    def facts(self, lines: int) -> FileFacts:
        module_scope = self.scopes[0]
        functions = sorted(self.functions, key=lambda f: (f.span.line, f.qualname))
        functions.insert(
            0, Function(MODULE_SCOPE, (), (), Span(1, 1, max(lines, 1), 1), frozenset(module_scope.returns), True)
        )
        return FileFacts(
            path=self.rel,
            kind="python",
            module=self.module,
            lines=lines,
            imports=tuple(self.imports),
            constants=tuple(sorted(self.constants.items())),
            functions=tuple(functions),
            io=tuple(self.io),
            models=tuple(self.models),
            calls=tuple(self.calls),
            config_defs=tuple(self.config_defs),
            mentions=tuple(sorted(self.mentions)),
            declares_pipeline=len(self.mentions) >= 2,  # a driver script running the steps
            mounts=tuple(sorted(self.mounts)),
        )


def _skip(node: ast.AST) -> None:
    pass


def _element(key: str | int) -> str:
    """The name of a container's element in lineage tokens: a dict key, or `#i` for an index."""
    return f"#{key}" if isinstance(key, int) else key


def _constant_element(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int)) and not isinstance(node.value, bool):
        return _element(node.value)
    return None


# ----------------------------------------------------------------- value helpers


def _join(sep: str, parts: tuple[Value, ...]) -> Value:
    if all(p.kind == "str" for p in parts):
        return Value("str", sep.join(p.text for p in parts))
    if all(p.kind == "unknown" for p in parts):
        return UNKNOWN
    return Value("join", sep, parts)


def _percent(template: str, args: Sequence[Value] = ()) -> Value:
    """`"%s/data" % ROOT`: the holes take the arguments' values where they are known."""
    pieces = re.split(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrx]", template)
    if len(pieces) == 1:
        return Value("str", template)
    parts: list[Value] = []
    for i, piece in enumerate(pieces):
        if i:
            arg = args[i - 1] if len(args) == len(pieces) - 1 else UNKNOWN
            parts.append(
                arg if arg.kind in ("str", "num", "join", "ref", "param", "config", "argparse", "env") else UNKNOWN
            )
        if piece:
            parts.append(Value("str", piece))
    return _join("", tuple(parts))


def _format(template: str) -> Value:
    pieces = re.split(r"\{[^{}]*\}", template)
    if len(pieces) == 1:
        return Value("str", template)
    return (
        _percent("%s".join(p.replace("%", "%%") for p in pieces))
        if "%" not in template
        else Value("join", "", tuple(_interleave(pieces)))
    )


def _interleave(pieces: list[str]) -> list[Value]:
    out: list[Value] = []
    for i, piece in enumerate(pieces):
        if i:
            out.append(UNKNOWN)
        if piece:
            out.append(Value("str", piece))
    return out


_SPELLED = frozenset({"str", "join", "num"})  # kinds `shown` spells out from the Value itself


def _unparse(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def _looks_local(text: str) -> bool:
    return text.startswith(("/", "./", "../", "~")) or text.count("/") > 1 or "\\" in text


def _replace_io(fact: IO, **changes: object) -> IO:
    return replace(fact, **changes)  # type: ignore[arg-type]


_MODEL_OUTPUT_METHODS = frozenset(
    {"transform", "fit_transform", "inverse_transform", "score", "evaluate", "apply", "predict", "predict_proba"}
)
_BUILTINS = frozenset(
    [
        "print",
        "len",
        "range",
        "str",
        "int",
        "float",
        "bool",
        "dict",
        "list",
        "set",
        "tuple",
        "sorted",
        "enumerate",
        "zip",
        "map",
        "filter",
        "min",
        "max",
        "sum",
        "abs",
        "isinstance",
        "issubclass",
        "getattr",
        "setattr",
        "hasattr",
        "super",
        "type",
        "repr",
        "round",
        "any",
        "all",
        "iter",
        "next",
        "open",
        "vars",
        "id",
        "hash",
        "format",
        "input",
        "reversed",
        "object",
        "Exception",
        "ValueError",
        "TypeError",
        "KeyError",
        "RuntimeError",
        "NotImplementedError",
        "AssertionError",
    ]
)
_KNOWN_LIBRARIES = frozenset(
    [
        "os",
        "sys",
        "re",
        "json",
        "yaml",
        "math",
        "random",
        "time",
        "datetime",
        "pathlib",
        "glob",
        "shutil",
        "subprocess",
        "logging",
        "argparse",
        "typing",
        "collections",
        "itertools",
        "functools",
        "numpy",
        "pandas",
        "torch",
        "tensorflow",
        "keras",
        "sklearn",
        "scipy",
        "matplotlib",
        "seaborn",
        "xgboost",
        "lightgbm",
        "catboost",
        "transformers",
        "datasets",
        "tqdm",
        "pickle",
        "joblib",
        "requests",
        "urllib",
        "boto3",
        "PIL",
        "cv2",
        "dataclasses",
        "abc",
        "copy",
        "warnings",
        "inspect",
        "contextlib",
        "hydra",
        "omegaconf",
        "wandb",
        "mlflow",
        "click",
        "tomllib",
        "tomli",
        "statsmodels",
        "plotly",
        "polars",
        "dask",
        "pyspark",
        "h5py",
        "io",
        "csv",
        "string",
        "enum",
        "uuid",
        "hashlib",
        "tempfile",
        "threading",
        "multiprocessing",
        "concurrent",
        "socket",
        "gc",
        "traceback",
        "unittest",
        "pytest",
    ]
)
