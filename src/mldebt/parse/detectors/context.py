"""What every detector sees of one file: the `ast` tree the extractor already parsed, names
resolved through the file's imports, scopes, comments, and the value kinds of `types.py`.

File rules run on CPython's `ast` rather than a second LibCST traversal: the extractor parses
every file with `ast` anyway (a syntax and nesting guard, and its positions), and walking that
tree costs a small fraction of a LibCST visit (see ARCHITECTURE.md). Everything here is lazy, so
a detector that bails out early (no pandas imported) costs nothing more.
"""

from __future__ import annotations

import ast
import io
import tokenize
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar, cast

from mldebt.parse.facts import IO, Evidence, Smell, Span
from mldebt.parse.values import Text

if TYPE_CHECKING:
    from mldebt.parse.detectors.types import Types

Scope = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
T = TypeVar("T")


_SCOPE_TYPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef})


def _child_nodes(node: ast.AST) -> list[ast.AST]:
    """`list(ast.iter_child_nodes(node))`, without its two generators."""
    out: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            out.append(value)
        elif isinstance(value, list):
            out.extend(item for item in value if isinstance(item, ast.AST))
    return out


def _walk_scope(scope: ast.AST) -> list[ast.AST]:
    # a lambda's body is one expression, not a list of statements
    body: list[ast.AST] = [scope.body] if isinstance(scope, ast.Lambda) else list(getattr(scope, "body", []))
    out: list[ast.AST] = []
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, (*FUNCTIONS, ast.ClassDef, ast.Lambda)):
            # decorators and defaults run in this scope; the body does not
            inner: list[ast.AST] = list(getattr(node, "decorator_list", []))
            if isinstance(node, (*FUNCTIONS, ast.Lambda)):
                inner += [d for d in node.args.defaults + node.args.kw_defaults if d is not None]
            stack.extend(reversed(inner))
            continue
        stack.extend(reversed(_child_nodes(node)))
    return out


def is_test_path(rel: str) -> bool:
    """Test code writes scratch files, reads fixtures and leaves TODOs by design: most rules
    skip it (the graph rules too, through `mldebt.rules.base`)."""
    parts = rel.split("/")
    name = parts[-1]
    return (
        name.startswith("test_")
        or name.endswith(("_test.py", "_tests.py"))
        or name == "conftest.py"
        or any(p in ("tests", "test", "testing") for p in parts[:-1])
    )


def prototype_scope(ctx: FileContext) -> bool:
    """Files where prototype habits are the norm: tests, notebooks, docs and setup scripts
    (the prototype rules, MLD407-409, skip them)."""
    name = ctx.rel.rsplit("/", 1)[-1]
    parts = ctx.rel.split("/")[:-1]
    return (
        ctx.notebook
        or is_test_path(ctx.rel)
        or name in ("setup.py", "conf.py", "noxfile.py", "fabfile.py", "manage.py")
        or any(p in ("docs", "doc", "examples", "example", "scripts", "notebooks", "benchmarks") for p in parts)
    )


class FileContext:
    def __init__(
        self,
        rel: str,
        module: str,
        text: str,
        tree: ast.Module,
        notebook: bool = False,
        cell_starts: tuple[int, ...] = (),
        io_sites: Mapping[int, IO] | None = None,
        shown_sites: Mapping[int, Text | None] | None = None,
        bound_sites: Mapping[int, ast.expr] | None = None,
    ) -> None:
        self.rel = rel
        self.module = module
        self.text = text
        self.tree = tree
        self.notebook = notebook
        self.cell_starts = cell_starts  # notebooks: the joined line where each code cell begins
        self._scopes: dict[int, ast.AST] = {}  # id(node) -> its scope, filled by _index
        self._scope_nodes: dict[int, list[ast.AST]] = {}  # walk_scope, computed once per scope
        self._analyses: dict[Callable[[FileContext], object], object] = {}  # see `analysis`
        self._io_given = io_sites  # the extractor's, when it ran on this tree (see `io_of`)
        self._shown_given = shown_sites
        self._bound_given = bound_sites

    def analysis(self, build: Callable[[FileContext], T]) -> T:
        """`build(self)`, computed once per file: one traversal that several rules share (each
        rule's `detect` asks it its own question), rather than one walk per rule."""
        if build not in self._analyses:
            self._analyses[build] = build(self)
        return cast(T, self._analyses[build])

    def io_of(self, call: ast.Call) -> IO | None:
        """The extractor's I/O fact at this call: what it reads or writes, and its target as the
        one symbolic `Value` of the file (`parse/python.py`, the same traversal the graph's facts
        come from). None when the call is no I/O the extractor knows."""
        return self._io_sites.get(id(call))

    def text_of(self, call: ast.Call) -> Text | None:
        """The target of the extractor's I/O fact at this call as the file shows it: the literal
        text of its `Value`, with a hole (`HOLE`) and the source text of each part one file cannot
        know. None when the call is no I/O the extractor knows or no part of its target is text.
        A read through an open handle (`pd.read_csv(f)`) shows the path `open` was given."""
        return self._sites[1].get(id(call))

    def shown_of(self, node: ast.expr) -> tuple[Text | None] | None:
        """The extractor's value of an argument `apis.SHOWN_ARGS` names, shown as `text_of`
        shows a target, in a 1-tuple (None: the extractor did not evaluate this expression)."""
        found = self._sites[1]
        return (found[id(node)],) if id(node) in found else None

    def shown(self, node: ast.expr | None) -> Text | None:
        """An argument's value as the extractor shows it where the call is (`shown_of`); a string
        literal shows itself. None for anything the extractor did not show."""
        if node is None:
            return None
        found = self.shown_of(node)
        if found is not None:
            return found[0]
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return Text(node.value, [])
        return None

    def read_text(self, call: ast.Call, node: ast.expr | None) -> Text | None:
        """What `call` reads, `node` being its source argument: the target of the read the
        extractor records at the call (`text_of`), else the argument as it shows it (`shown`)."""
        io = self.io_of(call)
        if io is not None and io.op == "read":
            return self.text_of(call)
        return self.shown(node)

    def bound_of(self, name: ast.expr) -> ast.expr | None:
        """The expression the extractor found `name` bound to where it is used, for the names a
        detector asks about (a subscript's index, a loop's iterable, `apis.BOUND_ARGS`): the last
        plain `name = expr` before it in its scope (in the traversal's order), a parameter's
        default, else the module's binding so far. None when it is bound to anything else."""
        return self._sites[2].get(id(name))

    @cached_property
    def _io_sites(self) -> Mapping[int, IO]:
        return self._sites[0]

    @cached_property
    def _sites(self) -> tuple[Mapping[int, IO], Mapping[int, Text | None], Mapping[int, ast.expr]]:
        if self._io_given is not None and self._shown_given is not None and self._bound_given is not None:
            return self._io_given, self._shown_given, self._bound_given
        from mldebt.parse.python import io_sites  # a context built without the extractor (tests)

        return io_sites(self.rel, self.module, self.text, self.tree)

    # ------------------------------------------------------------------ names

    @cached_property
    def aliases(self) -> dict[str, str]:
        """Local name -> qualified name, for every import anywhere in the file."""
        out: dict[str, str] = {}
        package = self.module.rsplit(".", 1)[0] if "." in self.module else ""
        for node in self._bfs(ast.Import, ast.ImportFrom):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        out[a.asname] = a.name
                    else:
                        head = a.name.split(".")[0]
                        out[head] = head
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".") if package else []
                    parts = parts[: max(len(parts) - (node.level - 1), 0)]
                    base = ".".join([*parts, base] if base else parts)
                for a in node.names:
                    if a.name != "*":
                        out[a.asname or a.name] = f"{base}.{a.name}" if base else a.name
        return out

    @cached_property
    def imported_roots(self) -> frozenset[str]:
        return frozenset(q.split(".")[0] for q in self.aliases.values())

    def imports_any(self, *roots: str) -> bool:
        """Does the file import any of these top-level packages? (The cheap bail-out.)"""
        return any(r in self.imported_roots for r in roots)

    def dotted(self, node: ast.expr) -> str | None:
        """`a.b.c` as written, or None for anything that is not a plain dotted name."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(node.id)
        return ".".join(reversed(parts))

    def qualify(self, node: ast.expr) -> str | None:
        """The qualified name of a dotted expression, its head resolved through the imports:
        `pd.read_csv` -> "pandas.read_csv". A head that is not imported stays as written."""
        dotted = self.dotted(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        target = self.aliases.get(head)
        if target is None:
            return dotted
        return f"{target}.{rest}" if rest else target

    def call_name(self, node: ast.AST) -> str | None:
        """The qualified name of the function a call calls."""
        if isinstance(node, ast.Call):
            return self.qualify(node.func)
        return None

    # ----------------------------------------------------------------- scopes

    @cached_property
    def _index(self) -> tuple[list[ast.AST], dict[int, ast.AST], dict[type, list[ast.AST]]]:
        """One traversal for every detector: all nodes in source order (pre-order), each
        node's parent, and the nodes by type. Detectors iterate these lists instead of each
        walking the tree again (thirty `ast.walk`s cost more than the parse)."""
        order: list[ast.AST] = []
        parents: dict[int, ast.AST] = {}
        by_type: dict[type, list[ast.AST]] = {}
        scopes = self._scopes
        stack: list[tuple[ast.AST, ast.AST]] = [(self.tree, self.tree)]  # (node, its scope)
        while stack:
            node, scope = stack.pop()
            order.append(node)
            kind = type(node)
            found = by_type.get(kind)
            if found is None:
                by_type[kind] = [node]
            else:
                found.append(node)
            scopes[id(node)] = scope
            inner = node if kind in _SCOPE_TYPES else scope
            children = _child_nodes(node)
            for child in reversed(children):
                parents[id(child)] = node
                stack.append((child, inner))
        return order, parents, by_type

    def _bfs(self, *types: type[ast.AST]) -> list[ast.AST]:
        """Nodes of these types in `ast.walk`'s order (breadth first): by depth, then in
        source order, which is what breadth first gives among nodes of one depth."""
        found = self.nodes(*types) if len(types) > 1 else list(self.nodes(types[0]))
        if len(types) > 1:
            rank = {id(n): i for i, n in enumerate(self.walk())}
            found.sort(key=lambda n: rank[id(n)])
        parents = self.parents

        def depth(node: ast.AST) -> int:
            d = 0
            current = parents.get(id(node))
            while current is not None:
                d += 1
                current = parents.get(id(current))
            return d

        depths = {id(n): depth(n) for n in found}
        return sorted(found, key=lambda n: depths[id(n)])  # stable: source order within a depth

    def walk(self) -> list[ast.AST]:
        """Every node of the file, in source order (like `ast.walk`, but computed once)."""
        return self._index[0]

    def nodes(self, *types: type[ast.AST]) -> list[ast.AST]:
        """The file's nodes of these types, in source order, from the shared index."""
        by_type = self._index[2]
        if len(types) == 1:
            return by_type.get(types[0], [])
        found = [n for t in types for n in by_type.get(t, [])]
        found.sort(key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
        return found

    @property
    def parents(self) -> dict[int, ast.AST]:
        return self._index[1]

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(id(node))

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        current = self.parents.get(id(node))
        while current is not None:
            yield current
            current = self.parents.get(id(current))

    def scope_of(self, node: ast.AST) -> Scope:
        """The innermost function (or lambda, class body, module) that holds the node."""
        self._index  # noqa: B018  (fills self._scopes)
        scope = self._scopes.get(id(node))
        if scope is None:  # a node that is not in this file's tree
            for a in self.ancestors(node):
                if isinstance(a, (*FUNCTIONS, ast.Lambda, ast.ClassDef)):
                    return a
            return self.tree
        return scope  # type: ignore[return-value]

    @cached_property
    def functions(self) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        return self._bfs(*FUNCTIONS)  # type: ignore[return-value]

    def walk_scope(self, scope: ast.AST) -> Iterator[ast.AST]:
        """Nodes of one scope in source order, not descending into nested functions or classes."""
        self._index  # noqa: B018  (fills self._scopes)
        if id(scope) not in self._scopes:  # not a node of this tree: its id may be reused later
            return iter(_walk_scope(scope))
        found = self._scope_nodes.get(id(scope))
        if found is None:
            found = self._scope_nodes[id(scope)] = _walk_scope(scope)
        return iter(found)

    # --------------------------------------------------------------- comments

    @cached_property
    def comments(self) -> list[tuple[int, int, str]]:
        """(line, 1-based column, text) of every comment."""
        out: list[tuple[int, int, str]] = []
        try:
            for tok in tokenize.generate_tokens(io.StringIO(self.text).readline):
                if tok.type == tokenize.COMMENT:
                    out.append((tok.start[0], tok.start[1] + 1, tok.string))
        except (tokenize.TokenError, SyntaxError, IndentationError):
            pass
        return out

    @cached_property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    # ------------------------------------------------------------------ types

    @cached_property
    def types(self) -> Types:
        from mldebt.parse.detectors.types import Types

        return Types(self)

    # ----------------------------------------------------------------- output

    @staticmethod
    def span(node: ast.AST) -> Span:
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0) + 1
        end_line = getattr(node, "end_lineno", None) or line
        end_col = (getattr(node, "end_col_offset", None) or col - 1) + 1
        return Span(line, col, end_line, end_col)

    def smell(
        self,
        rule: str,
        node: ast.AST,
        message: str,
        key: str = "",
        related: tuple[tuple[ast.AST | Span, str], ...] = (),
        confidence: str = "",
        data: tuple[tuple[str, str], ...] = (),
    ) -> Smell:
        return Smell(
            rule=rule,
            span=self.span(node),
            message=message,
            key=key,
            related=tuple(Evidence(n if isinstance(n, Span) else self.span(n), note) for n, note in related),
            confidence=confidence,
            data=data,
        )

    def segment(self, node: ast.AST) -> str:
        """The node's exact source text (from the cached lines: `ast.get_source_segment`
        re-splits the whole file on every call, quadratic on big files)."""
        line = getattr(node, "lineno", None)
        end_line = getattr(node, "end_lineno", None)
        col = getattr(node, "col_offset", None)
        end_col = getattr(node, "end_col_offset", None)
        if line is None or end_line is None or col is None or end_col is None:
            return ast.unparse(node)
        lines = self.lines[line - 1 : end_line]
        if not lines:
            return ast.unparse(node)
        # ast offsets are UTF-8 byte offsets
        if len(lines) == 1:
            return lines[0].encode()[col:end_col].decode(errors="replace")
        first = lines[0].encode()[col:].decode(errors="replace")
        last = lines[-1].encode()[:end_col].decode(errors="replace")
        return "\n".join([first, *lines[1:-1], last])

    def line_ref(self, node: ast.AST, anchor: ast.AST) -> str:
        """`line N` of `node` for a message about `anchor`: in a notebook, told relative to the
        cell of the finding (joined line numbers mean nothing to a reader)."""
        line = getattr(node, "lineno", 1)
        if not self.notebook or not self.cell_starts:
            return f"line {line}"
        starts = self.cell_starts
        k = bisect_right(starts, line) - 1
        in_cell = line - starts[k] + 1 if k >= 0 else line
        a = bisect_right(starts, getattr(anchor, "lineno", 1)) - 1
        if a == k:
            return f"line {in_cell} of this cell"
        return f"line {in_cell} of {'a later' if k > a else 'an earlier'} cell"

    def source(self, node: ast.AST) -> str:
        """The node's source text, shortened for messages."""
        text = " ".join(self.segment(node).split())
        return text if len(text) <= 60 else text[:57] + "..."


Binding = tuple[tuple[int, int], ast.expr | None]  # (where the binding statement ends, its value)


def function_of(ctx: FileContext, node: ast.AST) -> str:
    """The extractor's `Function.qualname` of the function holding `node` ("<module>" outside any):
    "f", "Class.method", "f.<locals>.g"."""
    chain = [a for a in ctx.ancestors(node) if isinstance(a, (*FUNCTIONS, ast.ClassDef))]
    if isinstance(node, FUNCTIONS):
        chain.insert(0, node)
    outer, classes = "<module>", []
    for a in reversed(chain):
        if isinstance(a, ast.ClassDef):
            classes.append(a.name)
            continue
        prefix = "" if outer == "<module>" else f"{outer}.<locals>."
        if classes and (outer == "<module>" or not outer.endswith(classes[-1])):
            prefix = f"{classes[-1]}." if outer == "<module>" else prefix
        outer = f"{prefix}{a.name}"
    return outer


class ScopeBindings:
    """What each name of one scope was last bound to, in source order.

    `value(name, at)` is the expression of the last binding that ends before `at`, or None when
    that binding has no single value (a loop or `with` target, `+=`, a parameter, an element of
    an unpacking). Subclasses refine `_bind` (unpacking known calls, `self.x` attributes).
    """

    def __init__(self, ctx: FileContext, scope: ast.AST) -> None:
        self.ctx = ctx
        table: dict[str, list[Binding]] = {}
        if isinstance(scope, FUNCTIONS):
            args = scope.args
            for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if a is not None:
                    table.setdefault(a.arg, []).append(((scope.lineno, scope.col_offset), None))
        for node in ctx.walk_scope(scope):
            end = (getattr(node, "end_lineno", 0) or 0, getattr(node, "end_col_offset", 0) or 0)
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    self._bind(table, target, node.value, end)
            elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)):
                self._bind(table, node.target, node.value, end)
            elif isinstance(node, (ast.AugAssign, ast.For, ast.AsyncFor)):
                self._bind(table, node.target, None, end)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        self._bind(table, item.optional_vars, None, end)
        for entries in table.values():
            entries.sort(key=lambda e: e[0])
        self.table = table

    def _bind(
        self, table: dict[str, list[Binding]], target: ast.expr, value: ast.expr | None, end: tuple[int, int]
    ) -> None:
        if isinstance(target, ast.Name):
            table.setdefault(target.id, []).append((end, value))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._bind(table, elt, None, end)
        elif isinstance(target, ast.Starred):
            self._bind(table, target.value, None, end)

    def value(self, name: str, at: tuple[int, int]) -> ast.expr | None:
        entries = self.table.get(name)
        if not entries:
            return None
        k = bisect_right([pos for pos, _ in entries], at)
        return entries[k - 1][1] if k else None

    def bound(self, name: str) -> bool:
        return name in self.table


# ------------------------------------------------------------------ call arguments


def arg(call: ast.Call, pos: int | None, kw: str | None) -> ast.expr | None:
    """The argument passed as keyword `kw` or at position `pos` (None past a `*args`)."""
    if kw is not None:
        for k in call.keywords:
            if k.arg == kw:
                return k.value
    if pos is None:
        return None
    positional = [a for a in call.args if not isinstance(a, ast.Starred)]
    if any(isinstance(a, ast.Starred) for a in call.args[: pos + 1]):
        return None
    return positional[pos] if len(positional) > pos else None


def has_kw(call: ast.Call, *names: str) -> bool:
    return any(k.arg in names for k in call.keywords)


def splats(call: ast.Call) -> bool:
    """`f(*args)` / `f(**kwargs)`: the call may pass anything."""
    return any(k.arg is None for k in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args)
