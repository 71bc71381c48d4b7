"""Detectors of Sculley §5 common smells: MLD406 multiple languages in the data path (SQL
strings with joins and subqueries, shell-outs to R, Java, awk, sed pipelines, embedded R), and
prototype habits: MLD407 `sys.path` hacks, MLD408 model errors swallowed by `except: pass`,
MLD409 imports of notebooks and scratch code.

Tests and notebooks are skipped by the prototype rules: that is where prototype habits belong.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Callable, Iterable, Iterator

from mldebt.parse.detectors.context import FUNCTIONS, FileContext, is_test_path
from mldebt.parse.detectors.datadeps import HOLE, Strings, arg
from mldebt.parse.facts import KeyUse, Smell

# Libraries whose presence puts a file in the data path.
_DATA_LIBS = (
    "pandas",
    "numpy",
    "polars",
    "pyspark",
    "dask",
    "sklearn",
    "torch",
    "tensorflow",
    "keras",
    "xgboost",
    "lightgbm",
    "catboost",
    "scipy",
    "datasets",
    "duckdb",
)

# ---------------------------------------------------------------- MLD406

_SQL_CALLS: dict[str, tuple[int, str]] = {
    "pandas.read_sql": (0, "sql"),
    "pandas.read_sql_query": (0, "sql"),
    "pandas.read_gbq": (0, "query"),
    "polars.read_database": (0, "query"),
    "duckdb.sql": (0, "query"),
    "duckdb.query": (0, "query"),
    "sqlalchemy.text": (0, "text"),
    "sqlalchemy.sql.text": (0, "text"),
}
_SQL_METHODS = frozenset({"execute", "executemany", "executescript", "sql", "query"})
_SQL_START = re.compile(r"(?is)^\s*(\(\s*)?(select|with|insert|create|merge|replace)\b")
_RUNNERS = frozenset(
    {
        "os.system",
        "os.popen",
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
    }
)
_LANGUAGES = {
    "rscript": "R",
    "r": "R",
    "java": "Java",
    "julia": "Julia",
    "matlab": "MATLAB",
    "octave": "Octave",
    "perl": "Perl",
    "ruby": "Ruby",
    "node": "JavaScript",
    "scala": "Scala",
    "awk": "awk",
    "gawk": "awk",
    "mawk": "awk",
    "sed": "sed",
    "gsed": "sed",
}
_TEXT_TOOLS = frozenset({"awk", "gawk", "sed", "cut", "sort", "uniq", "tr", "paste", "join", "grep", "jq"})


def multiple_language(ctx: FileContext) -> Iterator[Smell]:
    """MLD406: SQL, shell and R code embedded in the data path."""
    if is_test_path(ctx.rel) or not ctx.imports_any(*_DATA_LIBS, "rpy2"):
        return
    strings: Strings | None = None
    for node in ctx.walk():
        if not isinstance(node, ast.Call):
            continue
        name = ctx.call_name(node) or ""
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if name in _SQL_CALLS or method in _SQL_METHODS:
            strings = strings or Strings(ctx)
            found = _sql(ctx, strings, node, name)
            if found is not None:
                yield found
        elif name in _RUNNERS:
            strings = strings or Strings(ctx)
            found = _shell(ctx, strings, node, name)
            if found is not None:
                yield found
        elif name in ("rpy2.robjects.r", "rpy2.robjects.r.__call__") and node.args:
            strings = strings or Strings(ctx)
            t = strings.text(node.args[0])
            if t is not None and len(t.text.strip()) > 0:
                lines = len([ln for ln in t.text.strip().splitlines() if ln.strip()])
                yield ctx.smell(
                    "MLD406",
                    node,
                    f"R code ({lines} line{'s' if lines != 1 else ''}) runs through `rpy2` from a Python string: "
                    "an embedded second language, outside the reach of R's and Python's tooling",
                    key=f"r|{t.text.strip()[:40]}",
                    confidence="medium",
                    data=(("kind", "r"), ("lines", str(lines))),
                )


def _sql(ctx: FileContext, strings: Strings, node: ast.Call, name: str) -> Smell | None:
    if name in _SQL_CALLS:
        pos, kw = _SQL_CALLS[name]
        query = arg(node, pos, kw)
    else:
        query = node.args[0] if node.args and not isinstance(node.args[0], ast.Starred) else None
    t = strings.text(query)
    if t is None:
        return None
    text = t.text.replace(HOLE, "?")
    if not _SQL_START.match(text):
        return None
    lines = len([ln for ln in text.strip().splitlines() if ln.strip()])
    joins = len(re.findall(r"(?i)\bjoin\b", text))
    selects = len(re.findall(r"(?i)\bselect\b", text))
    unions = len(re.findall(r"(?i)\b(union|intersect|except)\b", text))
    ctes = len(re.findall(r"(?is)\bas\s*\(\s*select\b", text)) if re.match(r"(?is)^\s*with\b", text) else 0
    nested = max(selects - 1 - unions - ctes, 0)
    parts = []
    if joins:
        parts.append(f"{joins} join{'s' if joins != 1 else ''}")
    if nested:
        parts.append(f"{nested} subquer{'ies' if nested != 1 else 'y'}")
    if unions:
        parts.append(f"{unions} union{'s' if unions != 1 else ''}")
    if ctes:
        parts.append("a CTE" if ctes == 1 else f"{ctes} CTEs")
    if not parts:
        return None
    api = name.rsplit(".", 1)[-1] if name in _SQL_CALLS else ctx.source(node.func)
    return ctx.smell(
        "MLD406",
        node,
        f"`{api}` runs a {lines}-line SQL query with {' and '.join(parts)}, built in a Python string: data "
        "logic in a second language that no test, linter or type checker of the project sees",
        key=f"sql|{' '.join(text.split())[:60]}",
        data=(("kind", "sql"), ("lines", str(lines)), ("clauses", str(joins + nested + unions + ctes))),
    )


def _command(ctx: FileContext, strings: Strings, node: ast.Call) -> list[str] | None:
    """The command line as words, as far as the file shows it."""
    first = arg(node, 0, "args") or arg(node, 0, "command") or arg(node, 0, "cmd")
    if isinstance(first, (ast.List, ast.Tuple)):
        words: list[str] = []
        for e in first.elts:
            t = strings.text(e)
            words.append(t.text if t is not None else HOLE)
        return words if words and words[0] != HOLE else None
    t = strings.text(first)
    if t is None:
        return None
    return [t.text]


def _shell(ctx: FileContext, strings: Strings, node: ast.Call, name: str) -> Smell | None:
    words = _command(ctx, strings, node)
    if not words:
        return None
    if len(words) == 1:
        line = words[0]  # a shell command line
    else:
        program = _program(words[0])
        if program in ("sh", "bash", "zsh") and len(words) >= 3 and words[1] == "-c":
            line = words[2]
        else:
            return _language_smell(ctx, node, program, " ".join(words))
    stages = [s.strip() for s in re.split(r"(?<!\|)\|(?!\|)", line) if s.strip()]
    programs = []
    for stage in stages:
        try:
            parts = shlex.split(stage.replace(HOLE, "X"))
        except ValueError:
            parts = stage.split()
        while parts and "=" in parts[0] and not parts[0].startswith("-"):
            parts = parts[1:]  # VAR=value prefixes
        if parts:
            programs.append(_program(parts[0]))
    if not programs:
        return None
    if len(programs) >= 2 and any(p in _TEXT_TOOLS for p in programs):
        return ctx.smell(
            "MLD406",
            node,
            f"`{name}` runs a shell pipeline (`{_shorten(line)}`): data processed by "
            f"{', '.join(dict.fromkeys(p for p in programs if p in _TEXT_TOOLS))} in a string no Python tool checks",
            key=f"shell|{_shorten(line)}",
            confidence="medium",
            data=(("kind", "shell"),),
        )
    return _language_smell(ctx, node, programs[0], line)


def _language_smell(ctx: FileContext, node: ast.Call, program: str, line: str) -> Smell | None:
    language = _LANGUAGES.get(program.lower())
    if language is None:
        return None
    if language == "Java" and not re.search(r"(?i)\s-(jar|cp|classpath)\b|\.jar\b", line):
        return None  # `java -version` and friends
    if program == "r" and not re.search(r"\s(-f|--file|CMD|--vanilla|-e)\b", line):
        return None
    return ctx.smell(
        "MLD406",
        node,
        f"shells out to {language} (`{_shorten(line)}`) from the data path: a second language whose inputs "
        "and outputs are glued to Python through files and command lines",
        key=f"lang|{language}|{_shorten(line)}",
        confidence="medium",
        data=(("kind", "language"),),
    )


def _program(word: str) -> str:
    return word.replace(HOLE, "").rsplit("/", 1)[-1].lower().removesuffix(".exe")


def _shorten(text: str) -> str:
    text = " ".join(text.replace(HOLE, "{…}").split())
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------- MLD407


def _prototype_scope(ctx: FileContext) -> bool:
    """Files where prototype habits are the norm: tests, notebooks, docs and setup scripts."""
    name = ctx.rel.rsplit("/", 1)[-1]
    parts = ctx.rel.split("/")[:-1]
    return (
        ctx.notebook
        or is_test_path(ctx.rel)
        or name in ("setup.py", "conf.py", "noxfile.py", "fabfile.py", "manage.py")
        or any(p in ("docs", "doc", "examples", "example", "scripts", "notebooks", "benchmarks") for p in parts)
    )


def sys_path_hack(ctx: FileContext) -> Iterator[Smell]:
    """MLD407: `sys.path` changed in code (the rule keeps modules other project modules import)."""
    if "sys" not in ctx.imported_roots and "site" not in ctx.imported_roots:
        return
    if _prototype_scope(ctx):
        return
    for node in ctx.walk():
        target: ast.AST | None = None
        what = ""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = ctx.qualify(node.func) or ""
            if name in ("sys.path.append", "sys.path.insert", "sys.path.extend", "site.addsitedir"):
                target, what = node, f"`{ctx.source(node)}`"
        elif isinstance(node, ast.AugAssign) and ctx.qualify(node.target) == "sys.path":
            target, what = node, "`sys.path +=`"
        elif isinstance(node, ast.Assign) and any(ctx.qualify(t) == "sys.path" for t in node.targets):
            target, what = node, "`sys.path = ...`"
        if target is None:
            continue
        if not isinstance(ctx.scope_of(target), ast.Module) or _under_main_guard(ctx, target):
            # in a function it is most often a mechanism (a plugin loader, a cache of dynamic
            # modules); under `if __name__ == "__main__"` the script's own business
            continue
        yield ctx.smell(
            "MLD407", target, f"{what} changes the import path when the module is imported", key=f"syspath|{what}"
        )


def _under_main_guard(ctx: FileContext, node: ast.AST) -> bool:
    for a in ctx.ancestors(node):
        if isinstance(a, ast.If) and "__main__" in ast.unparse(a.test) and "__name__" in ast.unparse(a.test):
            return True
    return False


# ---------------------------------------------------------------- MLD408

_MODEL_METHODS = frozenset(
    {
        "fit",
        "fit_transform",
        "partial_fit",
        "fit_predict",
        "fit_generator",
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "load_state_dict",
        "save_pretrained",
        "from_pretrained",
        "save_model",
        "load_model",
        "save_weights",
        "load_weights",
    }
)
# generic method names: a model call only on a value known to be a model
_MODEL_KIND_METHODS = frozenset({"transform", "score", "train", "evaluate", "save", "load", "forward", "compile"})
_MODEL_KINDS = frozenset({"estimator", "torch-module", "keras-model"})
_MODEL_CALLS = frozenset(
    {
        "torch.load",
        "torch.save",
        "torch.jit.load",
        "torch.jit.save",
        "joblib.load",
        "joblib.dump",
        "tensorflow.keras.models.load_model",
        "keras.models.load_model",
        "keras.saving.load_model",
        "tensorflow.saved_model.load",
        "tensorflow.saved_model.save",
        "xgboost.train",
        "lightgbm.train",
        "catboost.train",
        "onnxruntime.InferenceSession",
        "mlflow.pyfunc.load_model",
        "mlflow.sklearn.load_model",
    }
)
_MODEL_LIBS = (
    "sklearn",
    "torch",
    "tensorflow",
    "keras",
    "xgboost",
    "lightgbm",
    "catboost",
    "transformers",
    "joblib",
    "onnxruntime",
    "mlflow",
    "statsmodels",
)


def swallowed_model_error(ctx: FileContext) -> Iterator[Smell]:
    """MLD408: `except: pass` (or `except Exception: pass`) around fit/predict/load/save."""
    if _prototype_scope(ctx) or not ctx.imports_any(*_MODEL_LIBS):
        return
    for node in ctx.walk():
        if type(node).__name__ not in ("Try", "TryStar"):
            continue
        handlers: list[ast.ExceptHandler] = getattr(node, "handlers", [])
        handler = next((h for h in handlers if _swallows(ctx, h)), None)
        if handler is None:
            continue
        call = _model_call(ctx, getattr(node, "body", []))
        if call is None:
            continue
        caught = "except:" if handler.type is None else f"except {ctx.source(handler.type)}:"
        body = ctx.source(handler.body[0]) if handler.body else "pass"
        yield ctx.smell(
            "MLD408",
            handler,
            f"`{caught} {body}` swallows any error of `{ctx.source(call.func)}(...)` ({ctx.line_ref(call, handler)}): "
            "a model that failed to load, train or predict goes on silently",
            key=f"swallow|{ctx.source(call.func)}",
            related=((call, "the model call whose errors are silenced"),),
        )


# `from_pretrained` of these loads a preprocessor or a configuration, not a model
_NOT_MODELS = re.compile(r"(Tokenizer|Processor|FeatureExtractor|Config|Extractor)\w*$")


def _swallows(ctx: FileContext, handler: ast.ExceptHandler) -> bool:
    if handler.type is not None:
        caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        if not any(ctx.qualify(c) in ("Exception", "BaseException", "builtins.Exception") for c in caught):
            return False
    return bool(handler.body) and all(
        isinstance(s, (ast.Pass, ast.Continue))
        or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and s.value.value is Ellipsis)
        for s in handler.body
    )


def _model_call(ctx: FileContext, body: list[ast.stmt]) -> ast.Call | None:
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        if isinstance(node, (*FUNCTIONS, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Call):
            name = ctx.call_name(node) or ""
            if name in _MODEL_CALLS:
                return node
            if isinstance(node.func, ast.Attribute):
                method = node.func.attr
                if (
                    method in _MODEL_METHODS
                    and not _is_module_function(ctx, node.func)
                    and (method != "from_pretrained" or not _NOT_MODELS.search(ctx.dotted(node.func.value) or ""))
                ):
                    return node
                if method in _MODEL_KIND_METHODS and ctx.types.kind_of(node.func.value) in _MODEL_KINDS:
                    return node
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return None


def _is_module_function(ctx: FileContext, func: ast.Attribute) -> bool:
    """`module.fit(...)` of some non-model library (e.g. `scipy.stats.norm.fit`) is no model call."""
    name = ctx.qualify(func) or ""
    root = name.split(".")[0]
    return root in ctx.imported_roots and root in ("scipy", "numpy", "statsmodels", "lmfit")


# ---------------------------------------------------------------- MLD409

_NOTEBOOK_IMPORTERS = frozenset({"import_ipynb", "nbimporter", "ipynb", "nbimport"})
_SCRATCH = re.compile(
    r"^(notebooks|scratch\w*|sandbox\w*|playground\w*|tmp|temp|untitled\w*|drafts?|wip|junk|old|"
    r"copy_of_\w+|\w+_copy\d*|\w+[-_ ]?backup|bak)$",
    re.I,
)


def scratch_code_import(ctx: FileContext) -> Iterator[Smell]:
    """MLD409: production code importing notebooks (`import_ipynb`) or scratch modules."""
    if _prototype_scope(ctx):
        return
    for node in ctx.walk():
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
        for module in modules:
            # the top package only: `jinja2.sandbox` or `pkg.utils.notebook` are modules of a library
            top = module.split(".")[0]
            if top in _NOTEBOOK_IMPORTERS:
                what = f"`{module}` is imported to import notebooks as modules"
            elif _SCRATCH.match(top):
                what = f"`{module}` is imported from `{top}`, a notebook or scratch area"
            else:
                continue
            yield ctx.smell(
                "MLD409",
                node,
                f"{what}: this code depends on prototype code that nobody maintains as a library",
                key=f"import|{module}",
            )
            break


DETECTORS: tuple[Callable[[FileContext], Iterable[Smell | KeyUse]], ...] = (
    multiple_language,
    sys_path_hack,
    swallowed_model_error,
    scratch_code_import,
)
