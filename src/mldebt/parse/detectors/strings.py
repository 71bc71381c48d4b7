"""Strings as one file shows them, shared by MLD202, MLD203 and MLD406 (computed once per file:
`ctx.analysis(Strings)`): a path, URL or query is followed through literals, f-strings,
concatenation, `%`/`.format`, path joins and names bound in the same scope, the module, or a
parameter's default; a part the file does not show is a hole (`HOLE`) with its source text.
Also the tabular readers' names both data-dependency rules know (`_PANDAS`, `_api`)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from mldebt.parse.detectors.context import FUNCTIONS, FileContext
from mldebt.parse.values import HOLE, Text

__all__ = ["HOLE", "Strings", "Text", "arg", "has_kw", "splats"]


class Strings:
    """Resolves string expressions within one file: literals and the names bound to them."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        # scope id -> name -> [(line, value)]
        self.bindings: dict[int, dict[str, list[tuple[int, ast.expr]]]] = {}
        for node in ctx.walk():
            value: ast.expr | None = None
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                value, targets = node.value, node.targets
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                value, targets = node.value, [node.target]
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.NamedExpr)):
                # bound to something that is not a plain value: shadows any literal
                for bound in _bound_names(node):
                    self._add(ctx.scope_of(node), bound, node.lineno, None)
                continue
            if value is None:
                continue
            scope = ctx.scope_of(node)
            line = getattr(node, "lineno", 0)
            for t in targets:
                if isinstance(t, ast.Name):
                    self._add(scope, t.id, line, value)
                elif isinstance(t, (ast.Tuple, ast.List)):
                    for elt in t.elts:
                        if isinstance(elt, ast.Name):
                            self._add(scope, elt.id, line, None)

    def _add(self, scope: ast.AST, name: str, line: int, value: ast.expr | None) -> None:
        expr: ast.expr = value if value is not None else ast.Constant(value=None)
        self.bindings.setdefault(id(scope), {}).setdefault(name, []).append((line, expr))

    def binding(self, name: str, at: ast.AST) -> ast.expr | None:
        """The expression last bound to `name` before `at`, in its scope, the module, or a default."""
        line = getattr(at, "lineno", 0)
        scope = self.ctx.scope_of(at)
        chain: list[ast.AST] = [scope, *(a for a in self.ctx.ancestors(scope) if isinstance(a, FUNCTIONS))]
        for i, s in enumerate(chain):
            entries = self.bindings.get(id(s), {}).get(name)
            if entries:
                before = [v for ln, v in entries if ln < line] if i == 0 else [v for _, v in entries]
                if before:
                    return before[-1]
            if isinstance(s, FUNCTIONS):
                default = _param_default(s, name)
                if default is not None:
                    return default
                if _is_param(s, name):
                    return None
        entries = self.bindings.get(id(self.ctx.tree), {}).get(name)
        if entries and scope is not self.ctx.tree:
            return entries[-1][1]
        return None

    def at(self, call: ast.Call, node: ast.expr | None) -> Text | None:
        """What `call` reads, `node` being its source argument, as the file shows it: the
        extractor's target `Value` (`ctx.text_of`: flow-sensitive, a handle's `open` path, a
        parameter's default) when it records a read there; this resolver's only for a call it
        records none at."""
        io = self.ctx.io_of(call)
        if io is not None and io.op == "read":
            return self.ctx.text_of(call)
        return self.text(node)

    def text(self, node: ast.expr | None, depth: int = 0) -> Text | None:
        if node is None or depth > 8:
            return None
        if depth == 0:
            shown = self.ctx.shown_of(node)  # an argument the extractor shows (`apis.SHOWN_ARGS`)
            if shown is not None:
                return shown[0]
        if isinstance(node, ast.Constant):
            return Text(node.value, []) if isinstance(node.value, str) else None
        if isinstance(node, ast.Name):
            return self.text(self.binding(node.id, node), depth + 1)
        if isinstance(node, ast.JoinedStr):
            out = Text("", [])
            for part in node.values:
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    out.text += part.value
                elif isinstance(part, ast.FormattedValue):
                    inner = self.text(part.value, depth + 1)
                    _append(out, inner, part.value, self.ctx)
            return out
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Add):
                left = self.text(node.left, depth + 1)
                if left is None:
                    return None
                right = self.text(node.right, depth + 1)
                _append(left, right, node.right, self.ctx)
                return left
            if isinstance(node.op, ast.Mod):
                left = self.text(node.left, depth + 1)
                if left is None:
                    return None
                src = _unparse(node.right)
                holes = re.findall(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifr]", left.text)
                return Text(
                    re.sub(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifr]", HOLE, left.text),
                    [*left.holes, *[src] * len(holes)],
                )
            if isinstance(node.op, ast.Div):  # pathlib: base / "name"
                left = self.text(node.left, depth + 1)
                if left is None:
                    return None
                right = self.text(node.right, depth + 1)
                left.text += "/"
                _append(left, right, node.right, self.ctx)
                return left
            return None
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "format":
                base = self.text(func.value, depth + 1)
                if base is None:
                    return None
                args = [_unparse(a) for a in [*node.args, *(k.value for k in node.keywords)]]
                n = len(re.findall(r"\{[^{}]*\}", base.text))
                return Text(re.sub(r"\{[^{}]*\}", HOLE, base.text), [*base.holes, *(args or ["?"]) * max(n, 1)])
            name = self.ctx.qualify(func)
            if name in _JOINS and node.args and not node.keywords:
                parts = [self.text(a, depth + 1) for a in node.args]
                first = parts[0]
                if first is None:
                    return None
                out = Text(first.text, list(first.holes))
                for given, piece in zip(node.args[1:], parts[1:], strict=True):
                    if not out.text.endswith("/"):
                        out.text += "/"
                    _append(out, piece, given, self.ctx)
                return out
            if name in _IDENTITY and len(node.args) == 1:
                return self.text(node.args[0], depth + 1)
        return None


_JOINS = frozenset(
    {"os.path.join", "posixpath.join", "pathlib.Path", "pathlib.PurePath", "urllib.parse.urljoin", "Path"}
)
_IDENTITY = frozenset({"str", "os.fspath", "os.path.expanduser", "os.path.normpath", "os.path.abspath"})


def _append(out: Text, part: Text | None, node: ast.expr, ctx: FileContext) -> None:
    if part is None:
        out.text += HOLE
        out.holes.append(_unparse(node))
    else:
        out.text += part.text
        out.holes.extend(part.holes)


def _unparse(node: ast.AST) -> str:
    """A hole's source, cheaply: `ctx.source` re-splits the whole file on each call."""
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def _bound_names(node: ast.AST) -> Iterator[str]:
    targets: list[ast.expr] = []
    if isinstance(node, (ast.For, ast.AsyncFor)):
        targets = [node.target]
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        targets = [i.optional_vars for i in node.items if i.optional_vars is not None]
    elif isinstance(node, ast.NamedExpr):
        targets = [node.target]
    for t in targets:
        for n in ast.walk(t):
            if isinstance(n, ast.Name):
                yield n.id


def _param_default(fn: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> ast.expr | None:
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    for a, d in zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True):
        if a.arg == name:
            return d
    for a, kd in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if a.arg == name:
            return kd
    return None


def _is_param(fn: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    args = fn.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return any(a is not None and a.arg == name for a in every)


def arg(call: ast.Call, pos: int | None, kw: str | None) -> ast.expr | None:
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


# pandas readers of a file or buffer (MLD202 judges their path, MLD203 their frames)
_PANDAS = [
    "read_csv",
    "read_table",
    "read_parquet",
    "read_json",
    "read_excel",
    "read_feather",
    "read_pickle",
    "read_hdf",
    "read_orc",
    "read_stata",
    "read_sas",
    "read_spss",
    "read_fwf",
    "read_xml",
    "read_html",
]


def _api(name: str) -> str:
    for long, short in (("pandas.", "pd."), ("numpy.", "np."), ("polars.", "pl."), ("dask.dataframe.", "dd.")):
        if name.startswith(long):
            return short + name[len(long) :]
    return name
