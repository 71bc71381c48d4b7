"""Detectors of the Sculley §5 anti-patterns (see parse/detectors/__init__.py).

* `commented_out_code` (MLD404): runs of full-line comments that are Python statements.
* `dead_codepaths` (MLD403): constant conditions (`if False:`, `if DEBUG:` on a module constant
  bound once to a false literal) and `if args.flag:` reads of argparse options whose default is
  false; the graph rule joins the latter with the launchers of the project. Facts only the graph
  rule reads (`data` kind "flag", "flags-set", "const-name") are `Smell`s of rule MLD403 too.
* `abstraction_debt` (MLD405): training scripts with no functions, god functions doing load,
  fit, evaluate and save.
* `conversion_glue` (MLD402): modules whose calls are mostly format conversions around one ML
  package (a measured ratio in `data`; the rule applies the thresholds).
"""

from __future__ import annotations

import ast
import io
import itertools
import re
import tokenize
from collections.abc import Callable, Iterable, Iterator

from mldebt.parse import apis
from mldebt.parse.detectors.context import FUNCTIONS, FileContext
from mldebt.parse.facts import KeyUse, Smell, Span

# --------------------------------------------------------------------------- MLD404

# Comment lines that are tool directives or markers, never code.
_PRAGMA = re.compile(
    r"^(?:!|-\*-|type:|noqa|pylint:|flake8:|mypy:|pyright:|fmt:|isort:|nosec|pragma\b|mldebt:|expect:|"
    r"ruff:|pyre|vim:|coding[:=]|NOQA|%%|In\s*\[|Out\s*\[|\+|-\s*$)"
)
# The prose line just before a run introduces an example, not dead code.
_INTRO = re.compile(r"(?i)\b(?:example|examples|usage|e\.g\.|for instance|such as|like this|like so|sample)\b")
_CONTINUATIONS = ("else", "elif", "except", "finally")
_MAX_JOIN = 20
_MAX_BLOCK = 400  # comment lines examined per block (license texts, ascii art)

WEAK, STRONG = 1, 2


def _parse(src: str) -> list[ast.stmt] | None:
    try:
        return ast.parse(src).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _call_glued(node: ast.expr, src: str) -> bool:
    """`f(x)` as code writes it, not `word (aside)` as prose does: no space before the bracket."""
    end = getattr(node, "end_col_offset", None)
    lines = src.split("\n")
    line = getattr(node, "end_lineno", 1) or 1
    if end is None or line > len(lines):
        return False
    text = lines[line - 1]
    return end < len(text) and text[end] in "(["


def _stmt_strength(stmt: ast.stmt, src: str) -> int:
    """STRONG for statements only code writes, WEAK for code-ish ones, 0 for what prose parses as."""
    if isinstance(stmt, ast.Expr):
        v = stmt.value
        if isinstance(v, (ast.Await, ast.Yield, ast.YieldFrom)):
            return STRONG
        if isinstance(v, ast.Call):
            return STRONG if _call_glued(v.func, src) else 0
        if isinstance(v, ast.Subscript):
            return WEAK if _call_glued(v.value, src) else 0
        return 0  # a bare name, `e.g`, a number, a string, `a - b`: prose parses so too
    if isinstance(stmt, ast.AnnAssign):
        return STRONG if stmt.value is not None and not isinstance(stmt.annotation, ast.Name) else 0
    if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Import, ast.ImportFrom, ast.Delete)):
        return STRONG
    if isinstance(stmt, (ast.Return, ast.Raise, ast.Assert)):
        return STRONG if getattr(stmt, "value", None) is not None or getattr(stmt, "exc", None) is not None else WEAK
    if isinstance(stmt, (ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal)):
        return WEAK
    return STRONG  # complete compound statements, `def`, `class`


def _line_strength(text: str) -> int:
    """Strength of one stripped comment body, read alone."""
    body = _parse(text)
    if body is not None:
        if not body:
            return 0
        return min(_stmt_strength(s, text) for s in body)
    if ":" in text:
        head = text.split(None, 1)[0].split(":")[0]
        if head in _CONTINUATIONS:
            prefix = "try: pass\n" if head in ("except", "finally") else "if x: pass\n"
            if _parse(prefix + text + "\n pass") is not None:
                return WEAK
            if head == "else" and _parse("try: pass\nexcept E: pass\n" + text + "\n pass") is not None:
                return WEAK
            return 0
        stmts = _parse(text + "\n pass")
        if stmts and isinstance(stmts[0], (ast.For, ast.AsyncFor, ast.FunctionDef)):
            return STRONG
        if stmts and isinstance(stmts[0], (ast.If, ast.While, ast.ClassDef, ast.Try, ast.With, ast.AsyncWith)):
            return WEAK  # `if so:`, `while waiting:`, `with care:` also read as prose
        if stmts and isinstance(stmts[0], ast.AsyncFunctionDef):
            return STRONG
        return 0
    if text.startswith("@") and _parse(text + "\ndef f(): pass") is not None:
        return WEAK
    return 0


def _drop_comment(line: str) -> str:
    """The code of one line without its trailing comment."""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(line).readline):
            if tok.type == tokenize.COMMENT:
                return line[: tok.start[1]].rstrip()
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return line


def _balance(text: str) -> int:
    depth = 0
    for ch in re.sub(r"'[^']*'|\"[^\"]*\"", "", text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
    return depth


def _comment_blocks(ctx: FileContext) -> Iterator[list[tuple[int, int, str]]]:
    """Runs of consecutive lines that start with `#` (line, column, text), split at notebook cell
    starts. Read from the lines, not the tokenizer (which costs several times more): the few runs
    that make a finding are checked against the tokenizer's comments afterwards."""
    starts = set(ctx.cell_starts) if ctx.notebook else set()
    block: list[tuple[int, int, str]] = []
    for number, text in enumerate(ctx.lines, 1):
        stripped = text.lstrip()
        if not stripped.startswith("#") or (block and number in starts):
            if block:
                yield block
            block = []
            if not stripped.startswith("#"):
                continue
        block.append((number, len(text) - len(stripped) + 1, stripped.rstrip()))
    if block:
        yield block


def _code_runs(block: list[tuple[int, int, str]]) -> Iterator[tuple[int, int, int, int, str]]:
    """(first index, last index, code lines, strong lines, first code text) of each run of code lines."""
    bodies = [text.lstrip("#").strip() for _, _, text in block[:_MAX_BLOCK]]
    n = len(bodies)
    i = 0
    run: list[int] = []
    strong = 0
    first = ""
    intro = False  # the prose line before the run introduces an example
    while i < n:
        s = bodies[i]
        if not s or s.startswith("#"):
            i += 1
            continue  # a bare `#`, or a comment inside the commented-out code
        if s.startswith((">>>", "...")) or _PRAGMA.match(s):
            k = 0
        else:
            k = 1
            strength = _line_strength(s)
            if not strength and _balance(s) > 0:  # a statement continued over several lines
                joined = s
                for j in range(i + 1, min(n, i + _MAX_JOIN)):
                    joined += "\n" + bodies[j]
                    if _balance(joined) <= 0:
                        stmts = _parse(joined)
                        if stmts and min(_stmt_strength(st, joined) for st in stmts) == STRONG:
                            strength, k = STRONG, j - i + 1
                        break
            if not strength:
                k = 0
        if k:
            if not run:
                first = s
            run.extend(range(i, i + k))
            strong += strength if strength == STRONG else 0
            i += k
            continue
        if run and not intro:
            yield run[0], run[-1], len(run), strong // STRONG, first
        run, strong = [], 0
        intro = bool(_INTRO.search(s)) or s.endswith("::")
        i += 1
    if run and not intro:
        yield run[0], run[-1], len(run), strong // STRONG, first


def _neutralised_cells(ctx: FileContext) -> list[tuple[int, int]]:
    """Line ranges of notebook cells the notebook reader commented out itself: `%%bash`-style
    cells, and cells that are not valid Python (every line prefixed with "# ")."""
    out: list[tuple[int, int]] = []
    bounds = [*ctx.cell_starts, len(ctx.lines) + 1]
    for start, end in itertools.pairwise(bounds):
        lines = [ln for ln in ctx.lines[start - 1 : end - 1] if ln.strip()]
        if not lines or not all(ln.startswith("# ") for ln in lines):
            continue
        body = [ln[2:] for ln in lines]
        if body[0].lstrip().startswith("%%") or _parse("\n".join(body)) is None:
            out.append((start, end))
    return out


def commented_out_code(ctx: FileContext) -> Iterator[Smell]:
    """MLD404: three or more consecutive comment lines that are Python statements."""
    if "#" not in ctx.text:
        return
    skipped = _neutralised_cells(ctx) if ctx.notebook else []
    comments: set[tuple[int, int]] | None = None
    for block in _comment_blocks(ctx):
        if len(block) < 2 or any(a <= block[0][0] < b for a, b in skipped):
            continue
        for a, b, count, strong, first in _code_runs(block):
            if count < 2 or strong < 2:
                continue
            start, end = block[a], block[b]
            if comments is None:
                comments = {(line, col) for line, col, _ in ctx.comments}
            if (start[0], start[1]) not in comments or (end[0], end[1]) not in comments:
                continue  # lines of a string literal that start with `#`
            span = Span(start[0], start[1], end[0], end[1] + len(end[2]))
            first = _drop_comment(first)
            code = first if len(first) <= 50 else first[:47] + "..."
            yield Smell(
                rule="MLD404",
                span=span,
                message=f"{end[0] - start[0] + 1} comment lines are commented-out Python code, from `{code}`",
                key=" ".join(first.split()),
                data=(("lines", str(count)), ("strong", str(strong))),
            )


# --------------------------------------------------------------------------- MLD403

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


def dead_codepaths(ctx: FileContext) -> Iterator[Smell]:
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


# --------------------------------------------------------------------------- MLD405

_DATA_READERS = frozenset(
    name for name, spec in apis.CALLS.items() if spec.op == "read" and spec.kind == "data" and "open" not in name
) - {"requests.get", "httpx.get", "urllib.request.urlopen", "PIL.Image.open", "cv2.imread", "h5py.File"}
_READER_PREFIXES = ("sklearn.datasets.load_", "sklearn.datasets.fetch_", "torchvision.datasets.")
_READER_SUFFIXES = (".load_data",)  # keras.datasets.mnist.load_data
_METRIC_PREFIXES = ("sklearn.metrics.", "torchmetrics.", "evaluate.load")
_EVAL_METHODS = frozenset({"predict", "predict_proba", "score", "evaluate"})
_FIT_METHODS = frozenset({"fit", "partial_fit", "fit_generator", "train_model", "backward"})  # `loss.backward()`
_SAVERS = frozenset({"joblib.dump", "pickle.dump", "torch.save", "dill.dump", "cloudpickle.dump", "numpy.save"})
_MODEL_SAVE_METHODS = frozenset({"save_model", "save_pretrained", "save_weights"})
_ML_ROOTS = (
    "sklearn",
    "xgboost",
    "lightgbm",
    "catboost",
    "torch",
    "tensorflow",
    "keras",
    "transformers",
    "statsmodels",
)


_FIT_TEXT = re.compile(r"\.(?:fit|partial_fit|fit_generator|train_model|train|backward)\(")


def _phase(ctx: FileContext, call: ast.Call) -> str:
    """ "load" | "fit" | "evaluate" | "save" | "" for one call."""
    name = ctx.call_name(call) or ""
    method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    if name in _DATA_READERS or name.startswith(_READER_PREFIXES) or name.endswith(_READER_SUFFIXES):
        return "load"
    if name in apis.TRAIN_FUNCTIONS or method in _FIT_METHODS:
        return "fit"
    if method == "train" and isinstance(call.func, ast.Attribute) and call.args:
        return ""  # `model.train()` switches a torch module's mode; `trainer.train()` below
    if method == "train" and not call.args and not call.keywords:
        receiver = ctx.dotted(call.func.value) if isinstance(call.func, ast.Attribute) else None
        return "fit" if receiver and receiver.split(".")[-1].lower().endswith("trainer") else ""
    if name.startswith(_METRIC_PREFIXES) or method in _EVAL_METHODS:
        return "evaluate"
    if method == "eval" and not call.args and not call.keywords and isinstance(call.func, ast.Attribute):
        return "evaluate"  # `model.eval()`: a torch module switched to evaluation
    if name in _SAVERS or method in _MODEL_SAVE_METHODS:
        return "save"
    if (
        method == "save"
        and isinstance(call.func, ast.Attribute)
        and ctx.imports_any("keras", "tensorflow")
        and ctx.types.kind_of(call.func.value) == "keras-model"
    ):
        return "save"
    return ""


def _statements(nodes: Iterable[ast.AST]) -> int:
    return sum(1 for n in nodes if isinstance(n, ast.stmt))


def abstraction_debt(ctx: FileContext) -> Iterator[Smell]:
    """MLD405: a training script with no functions; a function that loads, fits, evaluates and saves."""
    if not ctx.imports_any(*_ML_ROOTS) or not _FIT_TEXT.search(ctx.text):
        return
    scopes: list[ast.Module | ast.FunctionDef | ast.AsyncFunctionDef] = [ctx.tree, *ctx.functions]
    has_defs = any(isinstance(n, (*FUNCTIONS, ast.ClassDef)) for n in ctx.walk())
    for scope in scopes:
        if scope is ctx.tree and (ctx.notebook or has_defs):
            continue
        first: dict[str, ast.Call] = {}
        count = 0
        for node in ctx.walk_scope(scope):
            if isinstance(node, ast.stmt):
                count += 1
            elif isinstance(node, ast.Call):
                phase = _phase(ctx, node)
                if phase and phase not in first:
                    first[phase] = node
        if isinstance(scope, ast.Module):
            need = ("load", "fit") if ("save" in first or "evaluate" in first) else ("load", "fit", "save")
            if not all(p in first for p in need):
                continue
            phases = [p for p in ("load", "fit", "evaluate", "save") if p in first]
            anchor: ast.AST = first["fit"]
            what = "this script"
            where = "at module level, with no function or class"
            kind = "script"
        else:
            if not all(p in first for p in ("load", "fit", "evaluate", "save")):
                continue
            phases = ["load", "fit", "evaluate", "save"]
            anchor = scope
            what = f"`{scope.name}`"
            where = "in one function"
            kind = "function"
        verbs = {"load": "loads data", "fit": "fits", "evaluate": "evaluates", "save": "saves"}
        done = [f"{verbs[p]} (`{ctx.source(first[p].func)}`)" for p in phases]
        steps = ", ".join(done[:-1]) + " and " + done[-1]
        yield ctx.smell(
            "MLD405",
            anchor,
            f"{what} {steps} {where}: {count} statements",
            key=f"{kind}:{getattr(scope, 'name', '<module>')}",
            related=tuple((first[p], f"{p}: `{ctx.source(first[p])}`") for p in phases),
            data=(("kind", kind), ("statements", str(count)), ("phases", ",".join(phases))),
        )


# --------------------------------------------------------------------------- MLD402

_GLUE_PACKAGES = ("sklearn", "xgboost", "lightgbm", "catboost", "statsmodels", "torch", "tensorflow", "keras")
_CONVERT_METHODS = frozenset({"to_numpy", "tolist", "numpy", "to_dict", "to_list", "to_records", "item"})
_CONVERT_CALLS = frozenset(
    {
        "numpy.array",
        "numpy.asarray",
        "numpy.asanyarray",
        "numpy.stack",
        "numpy.vstack",
        "numpy.hstack",
        "numpy.concatenate",
        "torch.from_numpy",
        "torch.tensor",
        "torch.as_tensor",
        "torch.Tensor",
        "torch.FloatTensor",
        "torch.LongTensor",
        "tensorflow.convert_to_tensor",
        "tensorflow.constant",
        "pandas.DataFrame",
        "pandas.Series",
        "pandas.DataFrame.from_dict",
        "pandas.DataFrame.from_records",
    }
)


_CONVERT_TEXT = re.compile(r"\.values\b|to_numpy|tolist|from_numpy|\.numpy\(|asarray|\.array\(|to_dict")


def _kinds(ctx: FileContext, conversions: list[ast.AST]) -> str:
    """The three most frequent conversions, as written: "`.values` x4, `torch.from_numpy` x2"."""
    counts: dict[str, int] = {}
    for c in conversions:
        if isinstance(c, ast.Call):
            name = ctx.call_name(c) or ""
            label = f"`{name}`" if name in _CONVERT_CALLS else f"`.{getattr(c.func, 'attr', '?')}()`"
        else:
            label = "`.values`"
        counts[label] = counts.get(label, 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    return ", ".join(f"{label} x{n}" for label, n in top)


def conversion_glue(ctx: FileContext) -> Iterator[Smell]:
    """MLD402 (file face): the share of a module's calls that convert data between formats, and
    which ML packages it calls; the rule decides with its thresholds."""
    if ctx.notebook or not ctx.imports_any(*_GLUE_PACKAGES):
        return
    if not _CONVERT_TEXT.search(ctx.text):
        return
    conversions: list[ast.AST] = []
    calls = 0
    packages: dict[str, int] = {}
    called: set[int] = set()  # `.values` that is called (`d.values()`) is no conversion
    for node in ctx.walk():  # breadth first: a call before its function
        if isinstance(node, ast.Attribute) and node.attr == "values" and isinstance(node.ctx, ast.Load):
            if id(node) not in called:
                conversions.append(node)  # `df.values`
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            called.add(id(node.func))
        if not isinstance(node, ast.Call):
            continue
        calls += 1
        name = ctx.call_name(node) or ""
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if name in _CONVERT_CALLS or method in _CONVERT_METHODS:
            conversions.append(node)
            continue
        root = name.split(".")[0]
        head = ctx.dotted(node.func)
        if root in _GLUE_PACKAGES and head and head.split(".")[0] in ctx.aliases:
            packages[root] = packages.get(root, 0) + 1
    if len(packages) != 1 or calls == 0:
        return
    ((package, ml_calls),) = packages.items()
    ratio = len(conversions) / (calls + sum(1 for c in conversions if not isinstance(c, ast.Call)))
    yield ctx.smell(
        "MLD402",
        conversions[0] if conversions else ctx.tree,
        f"{len(conversions)} of {calls} calls and attribute reads in this module convert data between formats "
        f"({_kinds(ctx, conversions)}) around {ml_calls} call{'s' if ml_calls != 1 else ''} into `{package}`",
        key=f"glue:{package}",
        data=(
            ("kind", "conversions"),
            ("conversions", str(len(conversions))),
            ("calls", str(calls)),
            ("ratio", f"{ratio:.3f}"),
            ("package", package),
            ("ml_calls", str(ml_calls)),
        ),
    )


DETECTORS: tuple[Callable[[FileContext], Iterable[Smell | KeyUse]], ...] = (
    commented_out_code,
    dead_codepaths,
    abstraction_debt,
    conversion_glue,
)
