"""The fixes, one function per rule: LibCST finds the node at a finding's span and says what to write.

A fixer returns text edits in 0-based (line, column) code-point positions of the source it was
given, never a regenerated module: every byte outside an edit stays as it was. New code is
produced from the nodes' own text (`Module.code_for_node`), so the operands keep their quotes,
spacing and parentheses. A fixer that is not sure returns None (no fix): precision first.

Runs in a worker process (see `worker.py`): LibCST's native parser can crash on hostile input.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from mldebt.fix.proposal import TEXT_ONLY, Pos, Proposal, RawEdit
from mldebt.fix.seeds import DEFAULT_SEED, _ast_dotted, _constant_value, _context_seed, _parse_context

__all__ = ["FIXERS", "TEXT_ONLY", "Pos", "Proposal", "RawEdit", "Source", "Target"]


@dataclass(frozen=True, slots=True)
class Target:
    """A finding, as the worker sees it: rule and span (0-based start, code points)."""

    rule: str
    start: Pos
    end: Pos
    message: str = ""  # the finding's message (says, e.g., which merge parameters are missing)
    related: tuple[int, ...] = ()  # 0-based lines of the evidence in the same unit


class Source:
    """One parsed unit (a file or a notebook cell) with node positions, built lazily."""

    def __init__(self, text: str, context: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.context = context  # the whole file's code (all cells of a notebook), for names and seeds
        self._module: cst.Module | None = None
        self._by_range: dict[tuple[Pos, Pos], list[cst.CSTNode]] | None = None
        self._positions: dict[cst.CSTNode, CodeRange] = {}
        self._aliases: dict[str, str] | None = None
        self._tree: ast.Module | bool | None = False  # False: not parsed yet
        self._seed: str | bool | None = False  # False: not looked up yet

    @property
    def seed(self) -> str | None:
        """`file_seed` of the file, looked up once per unit (every MLD702/703 fix asks for it)."""
        if self._seed is False:
            self._seed = _context_seed(self.context)
        return self._seed if isinstance(self._seed, str) else None

    @property
    def module(self) -> cst.Module:
        if self._module is None:
            self._module = cst.parse_module(self.text)
        return self._module

    def nodes_at(self, start: Pos, end: Pos) -> list[cst.CSTNode]:
        if self._by_range is None:
            wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
            self._positions = dict(wrapper.resolve(PositionProvider))
            index: dict[tuple[Pos, Pos], list[cst.CSTNode]] = {}
            for node, rng in self._positions.items():
                key = ((rng.start.line - 1, rng.start.column), (rng.end.line - 1, rng.end.column))
                index.setdefault(key, []).append(node)
            self._by_range = index
        return self._by_range.get((start, end), [])

    def range_of(self, node: cst.CSTNode) -> tuple[Pos, Pos]:
        rng = self._positions[node]
        return (rng.start.line - 1, rng.start.column), (rng.end.line - 1, rng.end.column)

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def inner_code(self, node: cst.CSTNode) -> str:
        """The node's text between its own parentheses, as written (the span a finding covers)."""
        (sl, sc), (el, ec) = self.range_of(node)
        if sl == el:
            return self.lines[sl][sc:ec]
        return "\n".join([self.lines[sl][sc:], *self.lines[sl + 1 : el], self.lines[el][:ec]])

    @property
    def tree(self) -> ast.Module | None:
        """The whole file's code parsed by `ast` (once), or None."""
        if self._tree is False:
            self._tree = _parse_context(self.context)
        return self._tree  # type: ignore[return-value]

    @property
    def aliases(self) -> dict[str, str]:
        """Local name -> module or qualified name, from the file's imports (any scope)."""
        if self._aliases is None:
            self._aliases = {}
            tree = self.tree
            if tree is None:
                return self._aliases
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for a in node.names:
                        if a.asname:
                            self._aliases[a.asname] = a.name
                        else:
                            top = a.name.split(".")[0]
                            self._aliases.setdefault(top, top)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    for a in node.names:
                        self._aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        return self._aliases

    def alias_of(self, module: str) -> str | None:
        """The local name a module is imported as (`pd` for pandas), if it is."""
        names = sorted(k for k, v in self.aliases.items() if v == module)
        short = {"pandas": "pd", "numpy": "np"}.get(module)
        if short in names:
            return short
        return names[0] if names else None


def _node(src: Source, target: Target, kind: type[cst.CSTNode] | tuple[type[cst.CSTNode], ...]) -> cst.CSTNode | None:
    for node in src.nodes_at(target.start, target.end):
        if isinstance(node, kind):
            return node
    return None


def _dotted(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def _qualified(src: Source, node: cst.BaseExpression) -> str | None:
    dotted = _dotted(node)
    if dotted is None:
        return None
    head, _, rest = dotted.partition(".")
    base = src.aliases.get(head)
    if base is None:
        return None
    return f"{base}.{rest}" if rest else base


def _simple_target(node: cst.BaseExpression) -> bool:
    """A name, attribute or subscript with constant or name keys: safe to evaluate twice and assign."""
    if isinstance(node, cst.Name):
        return node.value not in ("self", "cls", "True", "False", "None")
    if isinstance(node, cst.Attribute):
        value = node.value
        return (isinstance(value, cst.Name) and value.value in ("self", "cls")) or _simple_target(value)
    if isinstance(node, cst.Subscript):
        if not _simple_target(node.value):
            return False
        for el in node.slice:
            if not isinstance(el.slice, cst.Index):
                return False
            if not _pure(el.slice.value):
                return False
        return True
    return False


def _pure(node: cst.BaseExpression) -> bool:
    """No calls, no side effects: literals, names, attributes, subscripts, lists/tuples of them, comparisons."""
    if isinstance(node, (cst.Name, cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString)):
        return True
    if isinstance(node, cst.Attribute):
        return _pure(node.value)
    if isinstance(node, cst.Subscript):
        return _pure(node.value) and all(isinstance(e.slice, cst.Index) and _pure(e.slice.value) for e in node.slice)
    if isinstance(node, (cst.List, cst.Tuple)):
        return all(isinstance(e, cst.Element) and _pure(e.value) for e in node.elements)
    if isinstance(node, cst.UnaryOperation):
        return _pure(node.expression)
    if isinstance(node, cst.Comparison):
        return _pure(node.left) and all(_pure(c.comparator) for c in node.comparisons)
    return False


def _is_str(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.SimpleString, cst.ConcatenatedString)) or (
        isinstance(node, cst.List)
        and bool(node.elements)
        and all(isinstance(e, cst.Element) and isinstance(e.value, cst.SimpleString) for e in node.elements)
    )


def _statement_of(src: Source, call: cst.Call) -> bool:
    """`call` is a whole expression statement (its line holds only it)."""
    for node in src.module.body:
        found = _find_expr_statement(node, call)
        if found:
            return True
    return False


def _find_expr_statement(node: cst.CSTNode, call: cst.CSTNode) -> bool:
    if isinstance(node, cst.Expr):
        return node.value is call
    return any(
        _find_expr_statement(child, call) for child in node.children if not isinstance(child, cst.BaseExpression)
    )


# --------------------------------------------------------------------------------- MLD811


_NANS = frozenset({"numpy.nan", "numpy.NaN", "numpy.NAN", "math.nan", "pandas.NA", "float.nan"})


def _is_nan(src: Source, node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "float":
        return (
            len(node.args) == 1
            and isinstance(node.args[0].value, cst.SimpleString)
            and str(node.args[0].value.evaluated_value).strip().lower() == "nan"
        )
    qname = _qualified(src, node)
    return qname in _NANS if qname else False


def fix_811(src: Source, target: Target) -> Proposal | None:
    node = _node(src, target, cst.Comparison)
    if not isinstance(node, cst.Comparison) or len(node.comparisons) != 1:
        return None  # a chained comparison does not split into one call
    comp = node.comparisons[0]
    if not isinstance(comp.operator, (cst.Equal, cst.NotEqual)):
        return None
    left, right = node.left, comp.comparator
    if _is_nan(src, right):
        other = left
    elif _is_nan(src, left):
        other = right
    else:
        return None
    operand = src.code(other).strip()
    negate = isinstance(comp.operator, cst.NotEqual)
    pd_alias, np_alias, math_alias = src.alias_of("pandas"), src.alias_of("numpy"), src.alias_of("math")
    if pd_alias:
        text = f"{pd_alias}.{'notna' if negate else 'isna'}({operand})"
    elif np_alias:
        text = f"{'~' if negate else ''}{np_alias}.isnan({operand})"
    elif math_alias:
        text = f"{'not ' if negate else ''}{math_alias}.isnan({operand})"
    else:
        return None
    return Proposal("safe", f"Replace with `{text}`", (RawEdit(target.start, target.end, text),))


# --------------------------------------------------------------------------------- MLD817


def fix_817(src: Source, target: Target) -> Proposal | None:
    call = _node(src, target, cst.Call)
    if not isinstance(call, cst.Call) or not _statement_of(src, call):
        return None
    func = call.func
    qname = _qualified(src, func)
    assigned: cst.BaseExpression | None = None
    if qname and qname.startswith("numpy."):
        positional = [a for a in call.args if a.keyword is None and not a.star]
        if positional:
            assigned = positional[0].value
    elif isinstance(func, cst.Attribute):
        assigned = func.value
    if assigned is None or not _simple_target(assigned):
        return None
    name = src.inner_code(assigned)
    if "\n" in name:
        return None
    return Proposal("safe", f"Assign the result back to `{name}`", (RawEdit(target.start, target.start, f"{name} = "),))


# --------------------------------------------------------------------------------- MLD818


def fix_818(src: Source, target: Target) -> Proposal | None:
    node = _node(src, target, (cst.Attribute, cst.Call))
    if isinstance(node, cst.Attribute) and node.attr.value == "values":
        start, end = src.range_of(node.attr)
        return Proposal("unsafe", "Replace `.values` with `.to_numpy()`", (RawEdit(start, end, "to_numpy()"),))
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "as_matrix"
        and not node.args
    ):
        start, end = src.range_of(node.func.attr)
        return Proposal("safe", "Replace `.as_matrix()` with `.to_numpy()`", (RawEdit(start, end, "to_numpy"),))
    return None


# --------------------------------------------------------------------------------- MLD827


def fix_827(src: Source, target: Target) -> Proposal | None:
    call = _node(src, target, cst.Call)
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
        return None
    func = call.func
    if func.attr.value != "forward":
        return None
    _, value_end = src.range_of(func.value)
    _, attr_end = src.range_of(func.attr)
    receiver = src.code(func.value).strip()
    return Proposal("safe", f"Call the module: `{receiver}(...)`", (RawEdit(value_end, attr_end, ""),))


# --------------------------------------------------------------------------------- MLD813

_MASK_METHODS = frozenset({"isin", "isna", "notna", "isnull", "notnull", "between", "duplicated"})


def _is_mask(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Comparison):
        return True
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.BitAnd, cst.BitOr, cst.BitXor)):
        return _is_mask(node.left) and _is_mask(node.right)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.BitInvert):
        return _is_mask(node.expression)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.attr.value in _MASK_METHODS or (
            node.func.attr.value in ("contains", "startswith", "endswith")
            and isinstance(node.func.value, cst.Attribute)
            and node.func.value.attr.value == "str"
        )
    return False


def _one_index(sub: cst.Subscript) -> cst.BaseExpression | None:
    if len(sub.slice) != 1 or not isinstance(sub.slice[0].slice, cst.Index):
        return None
    value = sub.slice[0].slice.value
    if isinstance(value, cst.Tuple):
        return None
    return value


def _loc_text(src: Source, frame: cst.BaseExpression, rows: cst.BaseExpression, col: cst.BaseExpression) -> str:
    return f"{src.code(frame).strip()}.loc[{src.code(rows).strip()}, {src.code(col).strip()}]"


def fix_813(src: Source, target: Target) -> Proposal | None:
    node = _node(src, target, (cst.Subscript, cst.Call))
    if isinstance(node, cst.Call):
        return _fix_813_inplace(src, node, target)
    if not isinstance(node, cst.Subscript):
        return None
    outer = _one_index(node)
    if outer is None:
        return None
    inner = node.value
    text: str | None = None
    applicability = "safe"
    if isinstance(inner, cst.Subscript) and (first := _one_index(inner)) is not None:
        base = inner.value
        if isinstance(base, cst.Attribute) and base.attr.value == "loc":
            if not isinstance(outer, cst.Slice) and _is_str(outer):
                text = _loc_text(src, base.value, first, outer)  # df.loc[r][c] -> df.loc[r, c]
        elif isinstance(base, cst.Attribute):
            return None  # .iloc / .at / .iat first: positions and labels do not mix
        elif _is_str(first) and _pure(outer):
            text = _loc_text(src, base, outer, first)  # df[c][r] -> df.loc[r, c]
            if not _is_mask(outer):
                # `series[0]` falls back to the position on a non-integer index; `.loc` takes the
                # label (and adds a row when there is none)
                applicability = "unsafe"
        elif _is_mask(first) and _is_str(outer):
            text = _loc_text(src, base, first, outer)  # df[mask][c] -> df.loc[mask, c]
    elif isinstance(inner, cst.Attribute) and isinstance(inner.value, cst.Subscript):
        column = _one_index(inner.value)
        if column is not None and _is_str(column) and _pure(outer):
            frame = src.code(inner.value.value).strip()
            if inner.attr.value == "loc":
                text = f"{frame}.loc[{src.code(outer).strip()}, {src.code(column).strip()}]"
            elif inner.attr.value == "at" and isinstance(column, cst.SimpleString):
                text = f"{frame}.at[{src.code(outer).strip()}, {src.code(column).strip()}]"
    if text is None or "\n" in text:
        return None
    return Proposal(applicability, f"Index once: `{text}`", (RawEdit(target.start, target.end, text),))


def _fix_813_inplace(src: Source, call: cst.Call, target: Target) -> Proposal | None:
    if not isinstance(call.func, cst.Attribute) or not _statement_of(src, call):
        return None
    receiver = call.func.value
    if not isinstance(receiver, cst.Subscript) or not _simple_target(receiver):
        return None
    args = list(call.args)
    idx = [i for i, a in enumerate(args) if a.keyword is not None and a.keyword.value == "inplace"]
    if len(idx) != 1:
        return None
    i = idx[0]
    start, end = src.range_of(args[i])
    edits: list[RawEdit] = []
    if i + 1 < len(args):
        nxt_start, _ = src.range_of(args[i + 1])
        edits.append(RawEdit(start, nxt_start, ""))  # `inplace=True, ` up to the next argument
    elif i > 0:
        _, prev_end = src.range_of(args[i - 1])
        edits.append(RawEdit(prev_end, end, ""))  # `, inplace=True` after the previous one
    else:
        edits.append(RawEdit(start, end, ""))
    name = src.inner_code(receiver)
    if "\n" in name:
        return None
    edits.insert(0, RawEdit(target.start, target.start, f"{name} = "))
    return Proposal("safe", f"Assign the result to `{name}` instead of `inplace=True`", tuple(edits))


# --------------------------------------------------------------------------------- MLD703 / MLD816


def _append_kwargs(src: Source, call: cst.Call, texts: Sequence[str]) -> RawEdit | None:
    """Insert `k=v` arguments after the call's last argument (or inside its empty parentheses)."""
    joined = ", ".join(texts)
    if call.args:
        last = call.args[-1]
        if last.star == "**":
            # keywords may come after `**kwargs` in a call, but a repeated key would fail at run time
            return None
        start, end = src.range_of(last)
        comma = last.comma
        if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
            # one argument a line, with a trailing comma: add ours the same way
            line = src.lines[start[0]]
            indent = line[: len(line) - len(line.lstrip())]
            after = src.lines[end[0]][end[1] :]
            if after.lstrip().startswith(",") and line.strip().endswith(",") and start[0] == end[0]:
                at = (end[0], end[1] + after.index(",") + 1)
                return RawEdit(at, at, "".join(f"\n{indent}{t}," for t in texts))
        return RawEdit(end, end, f", {joined}")
    rng = src.range_of(call)
    line = src.lines[rng[1][0]]
    col = rng[1][1] - 1
    if col < 0 or line[col] != ")":
        return None
    return RawEdit((rng[1][0], col), (rng[1][0], col), joined)


def fix_703(src: Source, target: Target) -> Proposal | None:
    call = _node(src, target, cst.Call)
    if not isinstance(call, cst.Call):
        return None
    if any(a.keyword is not None and a.keyword.value == "random_state" for a in call.args):
        return None
    seed = src.seed or DEFAULT_SEED
    edit = _append_kwargs(src, call, [f"random_state={seed}"])
    if edit is None:
        return None
    return Proposal("unsafe", f"Pass `random_state={seed}`", (edit,))


def fix_816(src: Source, target: Target) -> Proposal | None:
    call = _node(src, target, cst.Call)
    if not isinstance(call, cst.Call):
        return None
    keywords = {a.keyword.value for a in call.args if a.keyword is not None}
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in call.args):
        return None
    qname = _qualified(src, call.func)
    if qname == "pandas.merge":
        if len(positional) > 2:
            return None
        frames = [p.value for p in positional[:2]]
    elif isinstance(call.func, cst.Attribute) and call.func.attr.value == "merge":
        if len(positional) > 1:
            return None
        right = (
            positional[0].value
            if positional
            else next((a.value for a in call.args if a.keyword and a.keyword.value == "right"), None)
        )
        frames = [call.func.value, right] if right is not None else []
    else:
        return None
    add: list[str] = []
    written = src.code(call)
    if "'" in written or '"' in written:  # the call's own quotes, else the file's
        quote = "'" if written.count("'") > written.count('"') else '"'
    else:
        quote = "'" if src.context.count("'") > src.context.count('"') else '"'
    has_keys = bool(keywords & {"on", "left_on", "right_on", "left_index", "right_index"})
    if not has_keys:
        if len(frames) != 2:
            return None
        columns = [_known_columns(src, f) for f in frames]
        if columns[0] is None or columns[1] is None:
            return None
        shared = [c for c in columns[0] if c in columns[1]]
        if not shared:
            return None
        add.append("on=[" + ", ".join(_quote(c, quote) for c in shared) + "]")
    if "how" not in keywords:
        add.append(f"how={quote}inner{quote}")
    if not add:
        return None
    edit = _append_kwargs(src, call, add)
    if edit is None:
        return None
    return Proposal("safe", "Spell out " + " and ".join(f"`{a}`" for a in add), (edit,))


def _quote(text: str, quote: str = '"') -> str:
    return quote + text.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


def _known_columns(src: Source, frame: cst.BaseExpression) -> list[str] | None:
    """The columns of a frame the file builds with literal column names, assigned once."""
    if not isinstance(frame, cst.Name):
        return None
    tree = src.tree
    if tree is None:
        return None
    values = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == frame.value for t in n.targets)
    ]
    others = [
        n
        for n in ast.walk(tree)
        if isinstance(n, (ast.AugAssign, ast.AnnAssign, ast.For, ast.With, ast.NamedExpr))
        and frame.value in {x.id for x in ast.walk(n) if isinstance(x, ast.Name) and isinstance(x.ctx, ast.Store)}
    ]
    if len(values) != 1 or others:
        return None
    value = values[0]
    if isinstance(value, ast.Call):
        for kw in value.keywords:
            if kw.arg in ("usecols", "columns") and isinstance(kw.value, (ast.List, ast.Tuple)):
                names = [e.value for e in kw.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                if len(names) == len(kw.value.elts):
                    return names
        dotted = _ast_dotted(value.func) or ""
        if dotted.endswith("DataFrame") and value.args and isinstance(value.args[0], ast.Dict):
            keys = value.args[0].keys
            names = [k.value for k in keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
            if len(names) == len(keys) and not any(kw.arg == "columns" for kw in value.keywords):
                return names
    if isinstance(value, ast.Subscript) and isinstance(value.slice, ast.List):
        names = [e.value for e in value.slice.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        if len(names) == len(value.slice.elts):
            return names
    return None


# --------------------------------------------------------------------------------- MLD404


def fix_404(src: Source, target: Target) -> Proposal | None:
    """Delete the commented-out lines (whole lines, comments only; the block's span)."""
    first, last = target.start[0], target.end[0]
    if last < first or last >= len(src.lines):
        return None
    for i in range(first, last + 1):
        if not src.lines[i].lstrip().startswith("#"):
            return None
    lines = src.lines
    count = last - first + 1

    def blank(i: int) -> bool:
        return 0 <= i < len(lines) and not lines[i].strip()

    # keep the blank lines the block stood between from doubling up
    if blank(last + 1) and (first == 0 or blank(first - 1)) and last + 2 < len(lines):
        last += 1
    elif last + 1 >= len(lines) - 1 or all(not ln.strip() for ln in lines[last + 1 :]):
        while first > 0 and blank(first - 1):
            first -= 1
    end = (last + 1, 0) if last + 1 < len(lines) else (last, len(lines[last]))
    return Proposal("unsafe", f"Delete the {count} commented-out lines", (RawEdit((first, 0), end, ""),))


# --------------------------------------------------------------------------------- MLD826 / MLD828


def _contains(src: Source, node: cst.CSTNode, pos: Pos) -> bool:
    start, end = src.range_of(node)
    return start <= pos < end


def _enclosing(src: Source, pos: Pos, kinds: tuple[type[cst.CSTNode], ...]) -> list[cst.CSTNode]:
    """Nodes of `kinds` whose range holds `pos`, outermost first."""
    src.nodes_at(pos, pos)  # positions resolved
    found = [n for n in src._positions if isinstance(n, kinds) and _contains(src, n, pos)]
    return sorted(found, key=lambda n: src.range_of(n)[0])


def _line_start_insert(src: Source, node: cst.CSTNode, text: str) -> RawEdit | None:
    """`text` on its own line just before the statement `node`, at its indentation."""
    (line, col), _ = src.range_of(node)
    before = src.lines[line][:col]
    if before.strip():
        return None  # not the first thing on its line (`if x: stmt`, `a; b`)
    newline = "\r\n" if src.lines[line].endswith("\r") else "\n"
    return RawEdit((line, 0), (line, 0), f"{before}{text}{newline}")


def _statement_at(src: Source, pos: Pos) -> cst.CSTNode | None:
    lines = _enclosing(src, pos, (cst.SimpleStatementLine,))
    return lines[-1] if lines else None


_LOOPS = (cst.For, cst.While)


def fix_828(src: Source, target: Target) -> Proposal | None:
    call = _node(src, target, cst.Call)
    if not isinstance(call, cst.Call):
        return None
    loops = _enclosing(src, target.start, _LOOPS)
    if not loops:
        return None
    optimizers: set[str] = set()
    for node in src._positions:
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "step"
            and _contains(src, loops[-1], src.range_of(node)[0])
        ):
            receiver = node.args[0].value if node.args else node.func.value
            if _simple_target(receiver):
                optimizers.add(src.inner_code(receiver))
    if len(optimizers) != 1:
        return None
    optimizer = optimizers.pop()
    stmt = _statement_at(src, target.start)
    edit = _line_start_insert(src, stmt, f"{optimizer}.zero_grad()") if stmt is not None else None
    if edit is None:
        return None
    return Proposal("unsafe", f"Clear the gradients with `{optimizer}.zero_grad()` before `.backward()`", (edit,))


_NO_GRAD_EVAL = re.compile(r"^`([^`]+)` runs under `torch\.no_grad\(\)` \(for evaluation\) while in training mode")
_TRAIN_IN_EVAL = re.compile(r"^`([^`]+)` is trained here .* but may still be in evaluation mode")


def fix_826(src: Source, target: Target) -> Proposal | None:
    if (m := _NO_GRAD_EVAL.match(target.message)) is not None:
        model = m.group(1)
        withs = [
            w
            for w in _enclosing(src, target.start, (cst.With,))
            if any("no_grad" in src.code(item.item) for item in w.items)  # type: ignore[attr-defined]
        ]
        if not withs:
            return None
        edit = _line_start_insert(src, withs[-1], f"{model}.eval()")
        message = f"Call `{model}.eval()` before evaluating"
    elif (m := _TRAIN_IN_EVAL.match(target.message)) is not None:
        model = m.group(1)
        loops = _enclosing(src, target.start, _LOOPS)
        if not loops:
            return None
        both = [loop for loop in loops if target.related and _contains(src, loop, (target.related[0], 0))]
        if both:
            body = both[-1].body  # type: ignore[attr-defined]
            if not isinstance(body, cst.IndentedBlock) or not body.body:
                return None
            edit = _line_start_insert(src, body.body[0], f"{model}.train()")
        else:
            edit = _line_start_insert(src, loops[0], f"{model}.train()")
        message = f"Call `{model}.train()` before training"
    else:
        return None
    if edit is None or not re.fullmatch(r"[\w.]+", model):
        return None
    return Proposal("unsafe", message, (edit,))


# --------------------------------------------------------------------------------- MLD702

_UNSEEDED = re.compile(r"the program sets no seed for (.+): every run draws different numbers$")
_SEEDERS = {  # library named in the message -> (module, seeding call on its local alias)
    "NumPy": ("numpy", "{}.random.seed({})"),
    "`random`": ("random", "{}.seed({})"),
    "PyTorch": ("torch", "{}.manual_seed({})"),
    "TensorFlow": ("tensorflow", "{}.random.set_seed({})"),
}


def fix_702(src: Source, target: Target) -> Proposal | None:
    m = _UNSEEDED.search(target.message)
    if m is None:
        return None
    seed = src.seed or DEFAULT_SEED
    calls = []
    for lib in m.group(1).split(" or "):
        module, template = _SEEDERS.get(lib, ("", ""))
        alias = src.alias_of(module) if module else None
        if alias is None:
            return None  # the library is not imported as a module here: nothing to call
        calls.append(template.format(alias, seed))
    src.nodes_at(target.start, target.end)  # positions resolved
    body = list(src.module.body)
    holder = next((s for s in body if _contains(src, s, target.start)), None)
    if holder is None:
        return None
    anchor: cst.CSTNode = holder
    imports = [
        s
        for s in body[: body.index(holder)]
        if isinstance(s, cst.SimpleStatementLine) and all(isinstance(x, (cst.Import, cst.ImportFrom)) for x in s.body)
    ]
    defines = [  # a seed constant must be bound before the seeding line runs
        s
        for s in body[: body.index(holder)]
        if isinstance(s, cst.SimpleStatementLine)
        and any(
            isinstance(x, cst.Assign)
            and any(isinstance(t.target, cst.Name) and t.target.value == seed for t in x.targets)
            for x in s.body
        )
    ]
    if not seed.isdigit() and not defines:
        if src.context == src.text:
            return None
        seed = _constant_value(src.tree, seed) or DEFAULT_SEED  # a cell: the constant's value
        calls = [c.rsplit("(", 1)[0] + f"({seed})" for c in calls]
    if (imports or defines) and src.context == src.text:  # a script: below its imports (and the seed constant)
        after = max([*imports, *defines], key=lambda s: src.range_of(s)[0])
        (_, _), (end_line, _) = src.range_of(after)
        if end_line + 1 >= len(src.lines):
            return None
        newline = "\r\n" if src.lines[end_line].endswith("\r") else "\n"
        text = "".join(f"{c}{newline}" for c in calls)
        at = end_line + 1

        def blank(i: int) -> bool:
            return i < len(src.lines) and not src.lines[i].strip()

        if blank(at) and at + 1 < len(src.lines):  # below the blank line that ends the imports
            at += 1
            following = src.lines[at].strip()
            if not following:  # keep the blank lines before what follows (two before a `def`)
                text += newline
            elif following.startswith(("def ", "class ", "async def ", "@")):
                text += newline * 2
            elif "seed(" not in following:  # a paragraph of its own, unless it joins other seeds
                text += newline
        edit = RawEdit((at, 0), (at, 0), text)
    else:  # a notebook cell, or no import above: just before the statement that draws
        edit_or_none = _line_start_insert(src, anchor, "\n".join(calls))
        if edit_or_none is None:
            return None
        edit = edit_or_none
        if "\r\n" in edit.content:
            edit = RawEdit(edit.start, edit.end, edit.content.replace("\n", "\r\n").replace("\r\r\n", "\r\n"))
    return Proposal("unsafe", "Seed the generator: " + ", ".join(f"`{c}`" for c in calls), (edit,))


# Rules whose fix needs no LibCST parse (text only).

FIXERS: dict[str, Callable[[Source, Target], Proposal | None]] = {
    "MLD404": fix_404,
    "MLD703": fix_703,
    "MLD811": fix_811,
    "MLD813": fix_813,
    "MLD816": fix_816,
    "MLD817": fix_817,
    "MLD818": fix_818,
    "MLD827": fix_827,
    "MLD702": fix_702,
    "MLD826": fix_826,
    "MLD828": fix_828,
}
