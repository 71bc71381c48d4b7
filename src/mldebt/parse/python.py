"""Python source -> FileFacts, in one LibCST traversal with positions only.

Names are resolved here without LibCST's scope providers (about 13x the parse): imports give
an alias table, module and local assignments give symbolic values, and a per-function
environment gives each variable's lineage (where its data came from). Statements are visited in
order, so a name means what it was last bound to above the use.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from mldebt.parse import apis
from mldebt.parse.configs import command_mentions
from mldebt.parse.detectors import run_detectors
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
from mldebt.parse.positions import AstPositions, PositionMismatch
from mldebt.parse.suppressions import parse_suppressions, python_comment_columns

MODULE_SCOPE = "<module>"
_NO_SPAN = Span(1, 1, 1, 1)
_WRITE_MODES = ("w", "a", "x", "+")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_EMPTY: Lineage = frozenset()


def python_facts(rel: str, text: str, module: str, cell_starts: tuple[int, ...] = ()) -> FileFacts:
    """Extract the facts of one Python file. Raises FileSkipped on input we cannot analyse."""
    positions: AstPositions | None = None
    tree_ast: ast.Module | None = None
    ast_error: str | None = None
    ast_line: int | None = None
    try:
        # CPython's parser first: cheap, refuses the deep nesting that crashes LibCST's native
        # parser, and its positions spare us LibCST's PositionProvider (see positions.py).
        tree_ast = ast.parse(text)
        positions = AstPositions(tree_ast, text)
    except SyntaxError as exc:
        ast_error, ast_line = f"syntax error: {exc.msg} (line {exc.lineno})", exc.lineno
        if "too many nested" in str(exc.msg):
            raise FileSkipped(ast_error, ast_line) from None
        # newer syntax than this interpreter knows: LibCST decides, with its own positions
    except (RecursionError, MemoryError, ValueError) as exc:
        raise FileSkipped(f"cannot parse: {type(exc).__name__}") from None
    try:
        tree = cst.parse_module(text)
        try:
            if positions is None:
                raise PositionMismatch("no ast")
            visitor = _Extractor(rel, module, positions)
            tree.visit(visitor)
            visitor.check_positions()
        except PositionMismatch:
            visitor = _ExtractorWithPositions(rel, module, None)
            MetadataWrapper(tree, unsafe_skip_copy=True).visit(visitor)
    except cst.ParserSyntaxError as exc:  # CPython's message, when it has one, is the clearer
        if ast_error:
            raise FileSkipped(ast_error, ast_line) from None
        raise FileSkipped(f"syntax error: {exc.message} (line {exc.raw_line})", exc.raw_line) from None
    except RecursionError:
        raise FileSkipped("expression nested too deeply to analyse") from None
    facts = visitor.facts(text.count("\n") + (0 if text.endswith("\n") or not text else 1))
    if "mldebt" in text:
        facts = replace(facts, suppressions=suppressions(text))
    if tree_ast is not None:
        smells, key_uses = run_detectors(rel, module, text, tree_ast, cell_starts)
        facts = replace(facts, smells=smells, key_uses=key_uses)
    return facts


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


class _Extractor(cst.CSTVisitor):
    def __init__(self, rel: str, module: str, positions: AstPositions | None) -> None:
        super().__init__()
        self.positions = positions
        self.seen_calls = 0
        self.seen_functions = 0
        self.seen_imports = 0
        self.node_index: dict[int, int] = {}  # id(node) -> its rank among nodes of its kind
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
        self.model_classes: set[str] = set()
        self.classes: list[str] = []
        self.scopes: list[_Scope] = [_Scope(MODULE_SCOPE)]
        self.call_tokens: dict[int, str] = {}  # id(Call node) -> lineage token of its result
        self.comp_lineage: dict[int, Lineage] = {}  # id(comprehension) -> lineage of its elements
        self.comp_saved: list[tuple[dict[str, Lineage], dict[str, Value]]] = []

    # ----------------------------------------------------------------- helpers

    @property
    def scope(self) -> _Scope:
        return self.scopes[-1]

    def span(self, node: cst.CSTNode) -> Span:
        assert self.positions is not None
        index = self.node_index[id(node)]
        if isinstance(node, cst.Call):
            return self.positions.call(index, _last_name(node.func))
        if isinstance(node, cst.FunctionDef):
            return self.positions.function(index, node.name.value)
        return self.positions.import_(index)

    def check_positions(self) -> None:
        if self.positions is not None:
            self.positions.check_counts(self.seen_calls, self.seen_functions, self.seen_imports)

    def visit_Call(self, node: cst.Call) -> None:
        self.node_index[id(node)] = self.seen_calls
        self.seen_calls += 1

    def dotted(self, node: cst.BaseExpression) -> str | None:
        """`pd.read_csv` -> "pandas.read_csv" through the alias table; None if not a name chain."""
        parts: list[str] = []
        while isinstance(node, cst.Attribute):
            parts.append(node.attr.value)
            node = node.value
        if not isinstance(node, cst.Name):
            return None
        head = self.aliases.get(node.value, node.value) if node.value not in self._locals() else node.value
        parts.append(head)
        return ".".join(reversed(parts))

    def _locals(self) -> dict[str, Lineage]:
        # Local bindings shadow imports (a parameter called `json` is not the json module).
        return self.scope.lineage if self.scope.qualname != MODULE_SCOPE else {}

    def var_key(self, node: cst.BaseExpression) -> str | None:
        """A variable or attribute chain as written (`df`, `self.model`)."""
        parts: list[str] = []
        while isinstance(node, cst.Attribute):
            parts.append(node.attr.value)
            node = node.value
        if not isinstance(node, cst.Name):
            return None
        parts.append(node.value)
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

    def lineage(self, node: cst.CSTNode | None) -> Lineage:
        """Where the data of an expression comes from: variables used and calls made in it."""
        if node is None:
            return _EMPTY
        out: set[str] = set()
        stack: list[cst.CSTNode] = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, cst.Call):
                token = self.call_tokens.get(id(n))
                if token:
                    out.add(token)
                    if token.startswith("io:"):
                        continue  # a read's result is the artifact's data, not its path's
                func = n.func
                # a method call's receiver carries data (`df.dropna()`), its name does not;
                # a prediction or transform carries the input's data, not the model itself
                if isinstance(func, cst.Attribute) and not (
                    token.startswith("pred:") if token else func.attr.value in _MODEL_OUTPUT_METHODS
                ):
                    stack.append(func.value)
                stack.extend(a.value for a in n.args)
                continue
            if isinstance(n, (cst.Name, cst.Attribute)):
                key = self.var_key(n)
                if key is not None:
                    found = self.lookup_lineage(key)
                    if found:
                        out |= found
                        continue
                    if isinstance(n, cst.Attribute):
                        stack.append(n.value)
                    continue
            if isinstance(n, (cst.Lambda, cst.FunctionDef)):
                continue
            if id(n) in self.comp_lineage:
                out |= self.comp_lineage[id(n)]
                continue
            stack.extend(n.children)
        return frozenset(out)

    # ------------------------------------------------------------ symbolic values

    def value(self, node: cst.BaseExpression | None, depth: int = 0) -> Value:
        if node is None or depth > 12:
            return UNKNOWN
        if isinstance(node, cst.SimpleString):
            try:
                v = node.evaluated_value
            except Exception:
                return UNKNOWN
            return Value("str", v) if isinstance(v, str) else UNKNOWN
        if isinstance(node, cst.ConcatenatedString):
            return _join("", (self.value(node.left, depth + 1), self.value(node.right, depth + 1)))
        if isinstance(node, cst.FormattedString):
            parts: list[Value] = []
            for p in node.parts:
                if isinstance(p, cst.FormattedStringText):
                    parts.append(Value("str", p.value))
                elif isinstance(p, cst.FormattedStringExpression):
                    parts.append(self.value(p.expression, depth + 1))
            return _join("", tuple(parts))
        if isinstance(node, (cst.Integer, cst.Float)):
            return Value("num", node.value)
        if isinstance(node, cst.Name):
            if node.value in ("True", "False"):
                return Value("bool", node.value.lower())
            if node.value == "__file__" and node.value not in self.scope.values:
                return Value("str", self.rel)  # paths are root-relative: so is this file's
            return self.name_value(node.value)
        if isinstance(node, cst.Attribute):
            return self.attribute_value(node, depth)
        if isinstance(node, cst.Subscript):
            base = self.value(node.value, depth + 1)
            if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
                key = self.value(node.slice[0].slice.value, depth + 1)
                if key.kind == "num" and key.text.isdigit() and self.dotted(node.value) == "sys.argv":
                    return Value("argv", key.text)  # bound by the launchers that run this script
                if base.kind == "config" and key.kind in ("str", "num"):
                    return Value("config", parts=base.parts, keys=(*base.keys, key.text))
                if base.kind in ("ref", "ret") and key.kind in ("str", "num"):  # an imported or returned mapping
                    return Value("config", parts=(base,), keys=(key.text,))
                if base.kind == "environ" and key.kind == "str":
                    return Value("env", key.text)
            return UNKNOWN
        if isinstance(node, cst.BinaryOperation):
            left = self.value(node.left, depth + 1)
            right = self.value(node.right, depth + 1)
            if isinstance(node.operator, cst.Divide) and not (left.kind == "num" or right.kind == "num"):
                return _join("/", (left, right))
            if isinstance(node.operator, cst.Add) and "num" not in (left.kind, right.kind):
                return _join("", (left, right))
            if isinstance(node.operator, cst.Modulo) and left.kind == "str":
                args = node.right.elements if isinstance(node.right, cst.Tuple) else None
                values = [self.value(e.value, depth + 1) for e in args] if args is not None else [right]
                return _percent(left.text, values)
            return UNKNOWN
        if isinstance(node, cst.Call):
            return self.call_value(node, depth)
        return UNKNOWN

    def name_value(self, name: str) -> Value:
        scope = self.scope
        if name in scope.values:
            return scope.values[name]
        if name in scope.params and name not in scope.lineage:
            return Value("param", name)
        if name in self.constants:
            return self.constants[name]
        if name in self.aliases:
            return Value("ref", self.aliases[name])
        return UNKNOWN

    def attribute_value(self, node: cst.Attribute, depth: int) -> Value:
        base_node = node.value
        attr = node.attr.value
        key = self.var_key(node)
        if key is not None and key in self.scope.values:
            return self.scope.values[key]
        base = self.value(base_node, depth + 1)
        if base.kind == "config":
            return Value("config", parts=base.parts, keys=(*base.keys, attr))
        if base.kind == "argparse-ns":
            return Value("argparse", attr)
        if base.kind == "ret":  # get_args().lr, load_config().data: resolved through the callee
            return Value("config", parts=(base,), keys=(attr,))
        if attr == "parent" and base.kind == "str":  # Path(__file__).parent
            return Value("str", posixpath.dirname(base.text) or ".")
        if base.kind == "ref":
            return Value("ref", f"{base.text}.{attr}")
        dotted = self.dotted(node)
        if dotted == "os.environ":
            return Value("environ")
        return UNKNOWN

    def call_value(self, node: cst.Call, depth: int) -> Value:
        token = self.call_tokens.get(id(node), "")
        if token.startswith("io:"):
            fact = self.io[int(token[3:])]
            if fact.kind == "config" and fact.op == "read":  # yaml.safe_load(open(p)), OmegaConf.load(p)
                return Value("config", parts=(fact.target,))
        elif token.startswith("call:"):  # a project function: its return value is resolved later
            return Value("ret", token[5:])
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in apis.PARSE_ARGS:
            return Value("argparse-ns")
        name = self.dotted(func)
        args = [a for a in node.args if a.keyword is None and not a.star]
        if name in apis.PATH_JOIN:
            if not args:
                return UNKNOWN
            return _join("/", tuple(self.value(a.value, depth + 1) for a in args))
        if name in apis.PATH_IDENTITY and args:
            return self.value(args[0].value, depth + 1)
        if name == "os.path.dirname" and args:
            inner = self.value(args[0].value, depth + 1)
            return Value("str", posixpath.dirname(inner.text) or ".") if inner.kind == "str" else UNKNOWN
        if name in apis.ENV_GETTERS and args:
            var = self.value(args[0].value, depth + 1)
            default = self.value(args[1].value, depth + 1) if len(args) > 1 else UNKNOWN
            return Value("env", var.text, (default,)) if var.kind == "str" else UNKNOWN
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in apis.PATH_IDENTITY_METHODS:
                return self.value(func.value, depth + 1)
            if method == "joinpath":
                return _join("/", (self.value(func.value, depth + 1), *(self.value(a.value, depth + 1) for a in args)))
            if method in ("glob", "rglob") and args:
                return _join("/", (self.value(func.value, depth + 1), self.value(args[0].value, depth + 1)))
            if method == "format":
                base = self.value(func.value, depth + 1)
                if base.kind == "str":
                    return _format(base.text)
            if method == "get" and args:
                base = self.value(func.value, depth + 1)
                key = self.value(args[0].value, depth + 1)
                if base.kind == "config" and key.kind == "str":
                    default = self.value(args[1].value, depth + 1) if len(args) > 1 else UNKNOWN
                    return Value(
                        "config", parts=(base.parts[0], default) if base.parts else (), keys=(*base.keys, key.text)
                    )
                if base.kind == "environ" and key.kind == "str":
                    default = self.value(args[1].value, depth + 1) if len(args) > 1 else UNKNOWN
                    return Value("env", key.text, (default,))
        return UNKNOWN

    # ------------------------------------------------------------------ imports

    def visit_Import(self, node: cst.Import) -> None:
        self.node_index[id(node)] = self.seen_imports
        self.seen_imports += 1
        for alias in node.names:
            full = _name_of(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
                self.aliases[local] = full
            else:
                local = full.split(".")[0]
                self.aliases[local] = local
            self.imports.append(Import(full, None, local, self.span(node).line))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.node_index[id(node)] = self.seen_imports
        self.seen_imports += 1
        base = _name_of(node.module) if node.module is not None else ""
        if node.relative:
            pkg = self.package.split(".") if self.package else []
            up = len(node.relative) - 1
            pkg = pkg[: len(pkg) - up] if up else pkg
            base = ".".join([*pkg, base] if base else pkg)
        if isinstance(node.names, cst.ImportStar):
            self.imports.append(Import(base, "*", "*", self.span(node).line))
            return
        for alias in node.names:
            name = _name_of(alias.name)
            local = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name
            self.aliases[local] = f"{base}.{name}" if base else name
            self.imports.append(Import(base, name, local, self.span(node).line))

    # ---------------------------------------------------------- scopes & classes

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.append(node.name.value)
        for base in node.bases:
            dotted = self.dotted(base.value)
            if dotted and (dotted in apis.MODEL_BASES or dotted.split(".")[-1] in self.model_classes):
                self.model_classes.add(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.node_index[id(node)] = self.seen_functions
        self.seen_functions += 1
        params_nodes = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
        for star in (node.params.star_arg, node.params.star_kwarg):
            if isinstance(star, cst.Param):
                params_nodes.append(star)
        params = tuple(p.name.value for p in params_nodes)
        defaults = tuple((p.name.value, self.value(p.default)) for p in params_nodes if p.default is not None)
        outer = self.scope.qualname
        prefix = "" if outer == MODULE_SCOPE else f"{outer}.<locals>."
        if self.classes and (outer == MODULE_SCOPE or not outer.endswith(self.classes[-1])):
            prefix = f"{prefix}{self.classes[-1]}." if outer == MODULE_SCOPE else prefix
        qualname = f"{prefix}{node.name.value}"
        scope = _Scope(qualname, params)
        # Hydra: @hydra.main(config_path=..., config_name=...) binds the first parameter to a config file.
        for deco in node.decorators:
            if isinstance(deco.decorator, cst.Call) and self.dotted(deco.decorator.func) == apis.HYDRA_MAIN and params:
                kw = {a.keyword.value: self.value(a.value) for a in deco.decorator.args if a.keyword}
                cfg_path = kw.get("config_path", Value("str", "."))
                cfg_name = kw.get("config_name", UNKNOWN)
                if cfg_name.kind == "str" and not cfg_name.text.endswith((".yaml", ".yml")):
                    cfg_name = Value("str", cfg_name.text + ".yaml")
                scope.values[params[0]] = Value(
                    "config", parts=(_join("/", (Value("str", "@here"), cfg_path, cfg_name)),)
                )
        scope.span, scope.defaults = self.span(node), defaults
        self.scopes.append(scope)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        scope = self.scopes.pop()
        span, defaults = scope.span, scope.defaults
        self.functions.append(
            Function(scope.qualname, scope.params, defaults, span, frozenset(scope.returns), value=scope.return_value)
        )

    def leave_Return(self, original_node: cst.Return) -> None:
        scope = self.scope
        scope.returns |= self.lineage(original_node.value)
        if scope.return_value.kind == "unknown" and original_node.value is not None:
            value = self.value(original_node.value)
            if value.kind in ("config", "argparse-ns", "str", "join", "ref", "param"):
                scope.return_value = value

    # -------------------------------------------------------------- bindings

    def bind(self, target: cst.BaseExpression, lineage: Lineage, value: Value, read: int | None = None) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                inner = el.value
                if isinstance(inner, cst.StarredElement):
                    inner = inner.value
                self.bind(inner, lineage, UNKNOWN, read)
            return
        if isinstance(target, cst.StarredElement):
            self.bind(target.value, lineage, UNKNOWN, read)
            return
        key = self.var_key(target)
        if key is None:
            if isinstance(target, cst.Subscript):  # df["col"] = ... mixes data into df
                base = self.var_key(target.value)
                if base is not None:
                    scope = self.scope
                    scope.lineage[base] = self.lookup_lineage(base) | lineage
            return
        scope = self.scope
        scope.lineage[key] = lineage
        if value.kind != "unknown":
            scope.values[key] = value
        else:
            scope.values.pop(key, None)
        if read is not None:
            scope.reads_bound[key] = read
        else:
            scope.reads_bound.pop(key, None)
        if scope.qualname == MODULE_SCOPE and isinstance(target, cst.Name):
            if value.kind not in ("unknown", "handle", "argparse-ns", "environ", "param"):
                self.constants[key] = value
            else:
                self.constants.pop(key, None)

    def leave_Assign(self, original_node: cst.Assign) -> None:
        self._assign([t.target for t in original_node.targets], original_node.value)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        if original_node.value is not None:
            self._assign([original_node.target], original_node.value)

    def leave_AugAssign(self, original_node: cst.AugAssign) -> None:
        key = self.var_key(original_node.target)
        if key is not None:
            self.scope.lineage[key] = self.lookup_lineage(key) | self.lineage(original_node.value)
            self.scope.values.pop(key, None)

    def _assign(self, targets: Sequence[cst.BaseExpression], value_node: cst.BaseExpression) -> None:
        lineage = self.lineage(value_node)
        value = self.value(value_node)
        read = None
        token = self.call_tokens.get(id(value_node)) if isinstance(value_node, cst.Call) else None
        if token and token.startswith("io:"):
            read = int(token[3:])
        is_model = isinstance(value_node, cst.Call) and self._is_model_ctor(value_node)
        for target in targets:
            self.bind(target, lineage, value, read)
            key = self.var_key(target)
            if key is None:
                continue
            if is_model:
                assert isinstance(value_node, cst.Call)
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

    def _is_model_ctor(self, node: cst.Call) -> bool:
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

    def visit_For_body(self, node: cst.For) -> None:
        # the iterable has been visited (source order): bind the loop target before the body
        self.bind(node.target, self.lineage(node.iter), self._element_value(node.iter))

    def _element_value(self, node: cst.BaseExpression) -> Value:
        if isinstance(node, cst.Call):
            name = self.dotted(node.func)
            args = [a for a in node.args if a.keyword is None]
            if name in ("sorted", "list", "enumerate", "tqdm.tqdm", "tqdm") and args:
                if name == "enumerate":
                    return UNKNOWN
                return self._element_value(args[0].value)
            if name in apis.LISTDIR:
                return UNKNOWN
            if name in ("glob.glob", "glob.iglob") or (
                isinstance(node.func, cst.Attribute) and node.func.attr.value in ("glob", "rglob", "iterdir")
            ):
                if isinstance(node.func, cst.Attribute) and node.func.attr.value == "iterdir":
                    return _join("/", (self.value(node.func.value), UNKNOWN))
                return self.value(node)
        return UNKNOWN

    def visit_With_body(self, node: cst.With) -> None:
        for item in node.items:
            if item.asname is not None:
                read = None
                token = self.call_tokens.get(id(item.item)) if isinstance(item.item, cst.Call) else None
                if token and token.startswith("io:"):
                    read = int(token[3:])
                self.bind(item.asname.name, self.lineage(item.item), self._handle_value(item.item), read)

    def _handle_value(self, node: cst.BaseExpression) -> Value:
        """`open(p)` as a value: a handle on p, so `json.load(f)` can name p."""
        if isinstance(node, cst.Call):
            token = self.call_tokens.get(id(node))
            if token and token.startswith("io:"):
                return Value("handle", token[3:], (self.io[int(token[3:])].target,))
        return self.value(node)

    def _enter_comp(self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp) -> None:
        """Bind the comprehension's targets before its element is visited (it comes first in the
        source). The iterables are not visited yet, so calls in them add no lineage token."""
        scope = self.scope
        self.comp_saved.append((dict(scope.lineage), dict(scope.values)))
        comp: cst.CompFor | None = node.for_in
        while comp is not None:
            self.bind(comp.target, self.lineage(comp.iter), self._element_value(comp.iter))
            comp = comp.inner_for_in

    def _leave_comp(self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp) -> None:
        elt_lineage = self.lineage(node.value if isinstance(node, cst.DictComp) else node.elt)
        self.scope.lineage, self.scope.values = self.comp_saved.pop()
        if elt_lineage:
            self.comp_lineage[id(node)] = elt_lineage

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._enter_comp(node)

    def leave_ListComp(self, original_node: cst.ListComp) -> None:
        self._leave_comp(original_node)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._enter_comp(node)

    def leave_SetComp(self, original_node: cst.SetComp) -> None:
        self._leave_comp(original_node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._enter_comp(node)

    def leave_GeneratorExp(self, original_node: cst.GeneratorExp) -> None:
        self._leave_comp(original_node)

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._enter_comp(node)

    def leave_DictComp(self, original_node: cst.DictComp) -> None:
        self._leave_comp(original_node)

    # ------------------------------------------------------------------ calls

    def leave_Call(self, original_node: cst.Call) -> None:
        node = original_node
        func = node.func
        name = self.dotted(func)
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        receiver = self.var_key(func.value) if isinstance(func, cst.Attribute) else None
        scope = self.scope

        if name in apis.COMMAND_RUNNERS and node.args:
            self._command(node.args[0].value)
        # argparse definitions: parser.add_argument("--lr", default=0.1)
        if method == apis.ARGPARSE_ADD:
            self._argparse_def(node)
            return
        spec = apis.CALLS.get(name or "")
        if spec is not None and not (name == "open" and "open" in self._locals()):
            self._io_call(node, spec, name or "")
            return
        if method is not None:
            assert isinstance(func, cst.Attribute)
            # model life cycle on a known or duck-typed model
            if method in apis.FIT_METHODS and receiver is not None and node.args:
                self._fit(receiver, node)
                if method == "fit":
                    return
            if method in apis.PREDICT_METHODS and receiver is not None and node.args:
                self._predict(receiver, node)
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
            if method == apis.PATH_OPEN and (not node.args or self._mode_arg(node, 0) is not None):
                base = self.value(func.value)
                if base.kind not in ("unknown", "config", "argparse-ns"):
                    self._io_call(node, apis.IOSpec("read", pos=None, handle=True), "*.open", receiver_node=func.value)
                    return
            if method in ("append", "extend", "update", "insert", "add") and receiver is not None:
                scope.lineage[receiver] = self.lookup_lineage(receiver) | self.lineage(
                    node.args[-1].value if node.args else None
                )
        if name in apis.TRAIN_FUNCTIONS:
            idx = apis.TRAIN_FUNCTIONS[name]
            data = node.args[idx].value if len(node.args) > idx else None
            self.call_tokens[id(node)] = f"fitted:{id(node)}"
            self._pending_train = (node, name, self.lineage(data))
            return
        # a call of a model object: torch modules, keras models
        if receiver is None and isinstance(func, cst.Name) and func.value in scope.models and node.args:
            self._predict(func.value, node)
            return
        if isinstance(func, cst.Attribute) and method == "forward" and receiver in scope.models:
            self._predict(receiver, node)
            return
        if name is not None and not self._is_library(name):
            self._project_call(node, name)

    def _is_library(self, name: str) -> bool:
        """Only calls that may reach project code are kept: not builtins, libraries or methods of locals."""
        head = name.split(".")[0]
        if head in _BUILTINS or head in _KNOWN_LIBRARIES:
            return True
        if head == "self":
            return False
        scope = self.scope
        return "." in name and (head in scope.lineage or head in scope.params or head in scope.values)

    def _project_call(self, node: cst.Call, name: str) -> None:
        callee = name
        if name.startswith("self.") and self.classes:
            callee = f"{self.classes[-1]}.{name[5:]}"
        args: list[Value] = []
        arg_lin: list[Lineage] = []
        kwargs: list[tuple[str, Value]] = []
        kw_lin: list[tuple[str, Lineage]] = []
        for a in node.args:
            if a.star:
                continue
            if a.keyword is None:
                args.append(self.value(a.value))
                arg_lin.append(self.lineage(a.value))
            else:
                kwargs.append((a.keyword.value, self.value(a.value)))
                kw_lin.append((a.keyword.value, self.lineage(a.value)))
        self.calls.append(
            Call(
                self.scope.qualname, callee, tuple(args), tuple(kwargs), tuple(arg_lin), tuple(kw_lin), self.span(node)
            )
        )
        self.call_tokens[id(node)] = f"call:{len(self.calls) - 1}"

    def _spark_io(self, func: cst.Attribute) -> apis.IOSpec | None:
        if func.attr.value not in apis.SPARK_FORMATS:
            return None
        inner = func.value
        while (
            isinstance(inner, cst.Call)
            and isinstance(inner.func, cst.Attribute)
            and inner.func.attr.value in ("format", "option", "options", "mode", "partitionBy")
        ):
            inner = inner.func.value
        if isinstance(inner, cst.Attribute) and inner.attr.value in ("read", "write", "readStream", "writeStream"):
            op = "read" if inner.attr.value.startswith("read") else "write"
            fmt = "table" if func.attr.value in ("table", "jdbc") else ""
            return apis.IOSpec(op, pos=0, kw="path", format=fmt)
        return None

    def _mode_arg(self, node: cst.Call, pos: int) -> Value | None:
        for a in node.args:
            if a.keyword is not None and a.keyword.value == "mode":
                return self.value(a.value)
        positional = [a for a in node.args if a.keyword is None]
        if len(positional) > pos:
            return self.value(positional[pos].value)
        return None

    def _arg(self, node: cst.Call, pos: int | None, kw: str | None) -> cst.BaseExpression | None:
        if kw is not None:
            for a in node.args:
                if a.keyword is not None and a.keyword.value == kw:
                    return a.value
        if pos is None:
            return None
        positional = [a for a in node.args if a.keyword is None and not a.star]
        return positional[pos].value if len(positional) > pos else None

    def _io_call(
        self,
        node: cst.Call,
        spec: apis.IOSpec,
        api: str,
        *,
        receiver_node: cst.BaseExpression | None = None,
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
        elif isinstance(path_node, cst.Call) and self.call_tokens.get(id(path_node), "").startswith("io:"):
            opened = int(self.call_tokens[id(path_node)][3:])
        elif target.kind == "unknown" and spec.handle and isinstance(path_node, (cst.Name, cst.Attribute)):
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
        self.io.append(IO(op, kind, api, target, self.scope.qualname, self.span(node), lineage, fmt, append))
        self.call_tokens[id(node)] = f"io:{index}"

    def _refine(
        self,
        index: int,
        node: cst.Call,
        spec: apis.IOSpec,
        kind: str,
        op: str,
        receiver_node: cst.BaseExpression | None,
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

    def _is_model_object(self, node: cst.Call, spec: apis.IOSpec, receiver_node: cst.BaseExpression | None) -> bool:
        """`joblib.dump(model, p)`, `torch.save(model.state_dict(), p)`: the written object is a model."""
        obj = (
            receiver_node
            if spec.data_pos is None and spec.data_kw is None
            else self._arg(node, spec.data_pos, spec.data_kw)
        )
        while isinstance(obj, cst.Call) and isinstance(obj.func, cst.Attribute):
            obj = obj.func.value
        key = self.var_key(obj) if obj is not None else None
        return key is not None and key in self.scope.models

    def _written_lineage(
        self, node: cst.Call, spec: apis.IOSpec, receiver_node: cst.BaseExpression | None, data: str | None
    ) -> Lineage:
        if data is not None:
            return self.lookup_lineage(data) | {f"model:{self.model_id(data)}"}
        if spec.data_pos is not None or spec.data_kw is not None:
            return self.lineage(self._arg(node, spec.data_pos, spec.data_kw))
        if receiver_node is not None:
            return self.lineage(receiver_node)
        return _EMPTY

    def _use_model(self, receiver: str, node: cst.Call) -> None:
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

    def _fit(self, receiver: str, node: cst.Call) -> None:
        scope = self.scope
        self._use_model(receiver, node)
        arg_lineage = frozenset().union(*(self.lineage(a.value) for a in node.args)) if node.args else _EMPTY
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else "fit"
        self.models.append(
            ModelEvent("fit", self.model_id(receiver), scope.qualname, self.span(node), method, arg_lineage)
        )
        if method == "fit_predict":
            self.call_tokens[id(node)] = f"pred:{self.model_id(receiver)}"

    def _predict(self, receiver: str, node: cst.Call) -> None:
        scope = self.scope
        self._use_model(receiver, node)
        arg_lineage = frozenset().union(*(self.lineage(a.value) for a in node.args)) if node.args else _EMPTY
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else "__call__"
        self.models.append(
            ModelEvent("predict", self.model_id(receiver), scope.qualname, self.span(node), method, arg_lineage)
        )
        self.call_tokens[id(node)] = f"pred:{self.model_id(receiver)}"

    def _command(self, arg: cst.BaseExpression) -> None:
        """`os.system("python prepare.py")`, `subprocess.run(["python", "train.py"])`: scripts run."""
        if isinstance(arg, (cst.List, cst.Tuple)):
            words = [
                "python"
                if self.dotted(e.value) == "sys.executable"
                else (v.text if (v := self.value(e.value)).kind == "str" else "ARG")
                for e in arg.elements
            ]
            command = " ".join(words)
        else:
            value = self.value(arg)
            command = value.text if value.kind == "str" else ""
        if command:
            self.mentions.update(command_mentions(command))

    def _argparse_def(self, node: cst.Call) -> None:
        flags = [self.value(a.value) for a in node.args if a.keyword is None]
        names = [f.text for f in flags if f.kind == "str"]
        kw = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
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
        )


class _ExtractorWithPositions(_Extractor):
    """The same extraction with LibCST's own positions: for files the two parsers see differently."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def span(self, node: cst.CSTNode) -> Span:
        r = self.get_metadata(PositionProvider, node)
        return Span(r.start.line, r.start.column + 1, r.end.line, r.end.column + 1)

    def check_positions(self) -> None:
        pass


def _last_name(func: cst.BaseExpression) -> str:
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return ""


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


def _looks_local(text: str) -> bool:
    return text.startswith(("/", "./", "../", "~")) or text.count("/") > 1 or "\\" in text


def _replace_io(fact: IO, **changes: object) -> IO:
    return replace(fact, **changes)  # type: ignore[arg-type]


def _name_of(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_name_of(node.value)}.{node.attr.value}"
    return ""


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
