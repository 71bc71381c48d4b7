"""Facts from configuration files and launchers (pure text -> `FileFacts`, no file I/O), and
what config files declare across the project (pure facts -> declarations, no file I/O).

This module owns:

* `config_facts`: YAML / JSON / TOML files. One `ConfigDef` per scalar leaf, keyed by the path
  of mapping keys (list items by index: "0", "1", ...), with the span of the value. A Hydra
  `# @package X` header is one `ConfigDef("directive", ("@package",), X)`. `dvc.yaml` also declares
  a pipeline, mentions the scripts its stages' `cmd` run (`foreach`/`matrix` stages expanded where
  their items are written in the file; `wdir` honoured) and declares the paths its stages
  depend on and produce (`ConfigDef("declared", ...)`, see below). A W&B sweep file (`program:`
  with `parameters:`) is a launcher: it runs its program with one `--name` flag per parameter.
* `launcher_facts`: shell scripts, Makefiles, Snakefiles, CI workflows (GitHub, GitLab) and
  `*.dvc` files, read as text. The scripts they run (`mentions`), whether they declare a
  pipeline, and the options they pass to Python scripts (`ConfigDef(source="cli")`, argparse
  dest spelling). `*.dvc` files declare their `outs` paths.
* Declarations across files: `ConfigDef(source="declared", key=(section, stage, index))` holds a
  path relative to the scan root that a pipeline declares (DVC `deps`/`outs`/`metrics`/`plots`,
  a stage's params files: section "params"); `hydra_tree` composes a Hydra config tree from its
  primary config's `defaults:` list; `kedro_conf_kind` tells Kedro catalog and parameters files.

Nothing is executed or imported from the input: YAML is only *composed* with PyYAML's
SafeLoader (nodes with marks, no Python object is built whatever the tags), JSON is validated by
`json` and re-scanned for positions, TOML goes through `tomllib`. Unreadable input raises
`FileSkipped("invalid FORMAT: problem (line N)")`; a template that cannot be expanded is kept
as written, never an error.
"""

from __future__ import annotations

import bisect
import json
import posixpath
import re
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, time
from itertools import islice, product
from typing import Any

import tomllib
import yaml

from mldebt.parse.errors import FileSkipped
from mldebt.parse.facts import ConfigDef, FileFacts, Span, Value

__all__ = [
    "MAX_DEFS",
    "HydraTree",
    "TreeDef",
    "config_facts",
    "conventional_config",
    "hydra_tree",
    "kedro_conf_kind",
    "launcher_facts",
    "result_dump",
]

MAX_DEFS = 20_000  # config_defs kept per file: the first ones, in document order
_MAX_VISITS = 200_000  # YAML nodes walked per document (aliases can expand exponentially)
# Alias and merge expansion: a document may walk this many times its own node count, plus a
# margin; beyond that (a billion-laughs or merge-key bomb) the file is an error, not a hang.
_EXPANSION_FACTOR = 20
_EXPANSION_MARGIN = 2_000

Where = Callable[[int], tuple[int, int]]  # text offset -> (1-based line, 1-based column)
Word = tuple[str, int, int]  # unquoted shell word, start and end offsets in its logical line
Path = tuple[str, ...]


# File and directory names that say "configuration" (matched on the stem's words, and on any directory).
_CONFIG_WORDS = re.compile(
    r"(?:^|[._-])(?:params|parameters|hparams|hyperparam(?:eter)?s?|config|configs|conf|cfg|settings|defaults|"
    r"catalog|sweep|experiment|dvc)(?:[._-]|$)",
    re.I,
)
_CONFIG_DIRS = frozenset(
    {"conf", "config", "configs", "cfg", "cfgs", "configuration", "configurations", "params", "parameters", "hparams"}
)


def conventional_config(path: str) -> bool:
    """A file named or placed as configuration: `params.yaml`, `config_train.json`, `conf/db/x.yaml`."""
    parts = path.split("/")
    stem = posixpath.splitext(parts[-1])[0]
    return bool(_CONFIG_WORDS.search(stem)) or any(d.lower() in _CONFIG_DIRS for d in parts[:-1])


# JSON under these directory or file-name words, not named as configuration, is a result dump.
_RESULT_WORDS = re.compile(
    r"(?:^|[._-])(?:results?|evals?|evaluations?|metrics|scores|predictions|preds|outputs?|logs?|runs|history|"
    r"submissions?|benchmarks?|leaderboards?|reports?|checkpoints?)(?:[._-]|$)",
    re.I,
)


def result_dump(path: str) -> bool:
    """`evals/pythia-1b/results_step1000.json`: keys of such files are data, not configuration."""
    if not path.lower().endswith(".json") or conventional_config(path):
        return False
    parts = path.split("/")
    return any(_RESULT_WORDS.search(p) for p in [*parts[:-1], posixpath.splitext(parts[-1])[0]])


def config_facts(rel: str, text: str) -> FileFacts:
    """Facts of a YAML / JSON / TOML file at `rel` (POSIX, relative to the scan root)."""
    name = posixpath.basename(rel)
    ext = posixpath.splitext(name)[1].lower()
    if _is_workflow(rel):  # a CI workflow runs commands: it is a launcher, not a config
        return launcher_facts(rel, text)
    facts = FileFacts(rel, "config", "", _nlines(text))
    parse = {".yaml": _yaml_defs, ".yml": _yaml_defs, ".json": _json_defs, ".toml": _toml_defs}
    if ext == ".dvc" or name == "dvc.lock" or ext not in parse:
        return facts  # DVC metadata (hashes) and unknown formats declare nothing
    if result_dump(rel):
        return facts  # results, metrics, predictions: data, each key of which would be a config key
    fmt = ext.lstrip(".").upper().replace("YML", "YAML")
    try:
        defs = tuple(islice(parse[ext](text), MAX_DEFS + 1))
    except RecursionError:
        raise FileSkipped(f"invalid {fmt}: nested too deeply") from None
    if len(defs) > MAX_DEFS:  # said, not silently cut
        defs = defs[:MAX_DEFS]
        facts = replace(facts, problems=(f"more than {MAX_DEFS:,} keys: only the first {MAX_DEFS:,} are analysed",))
    if fmt != "YAML":
        return replace(facts, config_defs=defs)
    if name == "dvc.yaml":
        return _dvc_facts(rel, text, facts, defs)
    sweep = _sweep_facts(rel, defs)
    if sweep is not None:
        return replace(sweep, lines=facts.lines, problems=facts.problems)
    if package := _PACKAGE.search(_header(text)):
        line = text.count("\n", 0, package.start(1)) + 1
        col = package.start(1) - (text.rfind("\n", 0, package.start(1)) + 1) + 1
        span = Span(line, col, line, col + len(package[1]))
        defs = (*defs[: MAX_DEFS - 1], ConfigDef("directive", ("@package",), Value("str", package[1]), span))
    return replace(facts, config_defs=defs)


def launcher_facts(rel: str, text: str) -> FileFacts:
    """Facts of a launcher at `rel`: scripts it runs, CLI options it passes, pipeline or not.

    Makefiles declare a pipeline when they run a script, Snakefiles always, `*.dvc` stage files
    when their `cmd` runs a script; shell scripts and CI workflows when they run two or more.
    A `*.dvc` file also declares the paths of its `outs` (relative to its directory).
    """
    name = posixpath.basename(rel)
    mode = _mode(name)
    scan = _Scanner(mode).scan(text)
    if mode == "snake" or name == "dvc.yaml":
        declares = True
    elif mode == "make" or name.endswith(".dvc"):
        declares = bool(scan.mentions)
    else:
        declares = len(scan.mentions) >= 2
    declared = _dvc_file_outs(rel, text) if name.endswith(".dvc") else []
    return FileFacts(
        rel,
        "launcher",
        "",
        _nlines(text),
        config_defs=tuple((scan.defs + declared)[:MAX_DEFS]),
        mentions=tuple(sorted(scan.mentions)),
        declares_pipeline=declares,
    )


def command_mentions(command: str) -> tuple[str, ...]:
    """Scripts a shell command line runs (`python prepare.py && python train.py`)."""
    return tuple(sorted(_Scanner("shell").scan(command).mentions))


# --------------------------------------------------------------------------- shared helpers


def _nlines(text: str) -> int:
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def _is_workflow(rel: str) -> bool:
    """GitHub Actions workflows and GitLab CI pipelines: YAML whose steps are shell commands."""
    return ("/.github/workflows/" in "/" + rel and rel.endswith((".yml", ".yaml"))) or posixpath.basename(
        rel
    ) == ".gitlab-ci.yml"


def _locator(starts: list[int], lines: list[int]) -> Where:
    def where(offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(starts, offset) - 1
        return lines[i], offset - starts[i] + 1

    return where


def _span(where: Where, start: int, end: int) -> Span:
    line, col = where(start)
    end_line, end_col = where(max(start, end - 1))
    return Span(line, col, end_line, end_col + (end > start))


_NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _number(text: str) -> Value | None:
    """`Value("num", repr)` of a decimal literal (ints and floats, "1e-3" included), else None."""
    if not _NUM.fullmatch(text):
        return None
    try:
        return Value("num", repr(int(text) if text.lstrip("+-").isdigit() else float(text)))
    except ValueError:  # int beyond the digit limit
        return Value("num", text)


def _py_value(v: Any) -> Value:
    if isinstance(v, bool):
        return Value("bool", "true" if v else "false")
    if isinstance(v, int | float):
        return Value("num", repr(v))
    if isinstance(v, date | time):
        return Value("str", v.isoformat())
    return Value("str", str(v))


# --------------------------------------------------------------------------- YAML

_T = "tag:yaml.org,2002:"
_CONSTRUCT = yaml.SafeLoader("")  # only its scalar int/float/bool constructors are used


def _yaml_defs(text: str) -> Iterator[ConfigDef]:
    try:
        docs = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as e:
        raise FileSkipped(_yaml_error(e, text)) from None
    budget = [min(_MAX_VISITS, _EXPANSION_FACTOR * _distinct_nodes(docs) + _EXPANSION_MARGIN)]
    return (
        ConfigDef(
            "yaml",
            path,
            _yaml_value(node),
            Span(
                node.start_mark.line + 1, node.start_mark.column + 1, node.end_mark.line + 1, node.end_mark.column + 1
            ),
        )
        for doc in docs
        if doc is not None
        for path, node in _yaml_leaves(doc, budget)
    )


def _distinct_nodes(docs: Sequence[yaml.Node | None]) -> int:
    """Nodes in the documents, each alias target counted once (a walk of the node DAG)."""
    seen: set[int] = set()
    stack = [d for d in docs if d is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.append(k)
                stack.append(v)
    return len(seen)


def _spend(budget: list[int], n: int = 1) -> None:
    budget[0] -= n
    if budget[0] < 0:
        raise FileSkipped("YAML aliases and merge keys expand too far (an alias bomb?), not analysed")


def _yaml_error(e: yaml.YAMLError, text: str) -> str:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    position = getattr(e, "position", None)  # ReaderError: bad character
    if mark is not None:
        line = mark.line + 1
    else:
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else 1
    what = getattr(e, "problem", None) or getattr(e, "context", None) or getattr(e, "reason", e)
    return f"invalid YAML: {what} (line {line})"


def _yaml_leaves(root: yaml.Node, budget: list[int]) -> Iterator[tuple[Path, yaml.Node]]:
    """Scalar (or templated) leaves under `root` in document order; aliases expanded, cycles cut.

    Every node walked and every merged pair spends `budget`; FileSkipped when it runs out."""
    stack: list[tuple[Path, yaml.Node, frozenset[int]]] = [((), root, frozenset())]
    while stack:
        path, node, above = stack.pop()
        _spend(budget)
        if isinstance(node, yaml.ScalarNode) or _templated(node):
            if path:
                yield path, node
            continue
        if id(node) in above:
            continue
        above = above | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            kids = [((*path, str(i)), n) for i, n in enumerate(node.value)]
        elif isinstance(node, yaml.MappingNode):
            kids = [((*path, k), v) for k, v in _yaml_pairs(node, frozenset(), budget)]
        else:
            continue
        stack.extend((p, n, above) for p, n in reversed(kids))


def _yaml_pairs(
    node: yaml.MappingNode, seen: frozenset[int], budget: list[int] | None = None
) -> list[tuple[str, yaml.Node]]:
    """(key, value) pairs of a mapping with `<<` merges applied; complex keys are skipped.

    Merged pairs spend `budget` (default: `_MAX_VISITS`): merges nested under merges multiply."""
    if budget is None:
        budget = [_MAX_VISITS]
    if id(node) in seen:
        return []
    merged: list[tuple[str, yaml.Node]] = []
    own: list[tuple[str, yaml.Node]] = []
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.tag == _T + "merge":
            for m in v.value if isinstance(v, yaml.SequenceNode) else [v]:
                if isinstance(m, yaml.MappingNode):
                    pairs = _yaml_pairs(m, seen | {id(node)}, budget)
                    _spend(budget, len(pairs))
                    merged += pairs
        elif isinstance(k, yaml.ScalarNode):
            own.append((k.value, v))
    mine = {k for k, _ in own}
    return [(k, v) for k, v in merged if k not in mine] + own


def _templated(node: yaml.Node) -> bool:
    """`key: {{ var }}`: a Jinja placeholder that happens to be a valid flow mapping."""
    return (
        isinstance(node, yaml.MappingNode)
        and node.flow_style is True
        and bool(node.value)
        and all(isinstance(k, yaml.MappingNode) for k, _ in node.value)
    )


def _yaml_value(node: yaml.Node) -> Value:
    if not isinstance(node, yaml.ScalarNode):  # a templated value: keep its source text
        start, end = node.start_mark, node.end_mark
        return Value("unknown", start.buffer[start.pointer : end.pointer] if start.buffer else "")
    tag, text = node.tag, node.value
    try:
        if tag == _T + "bool":
            return Value("bool", "true" if _CONSTRUCT.construct_yaml_bool(node) else "false")
        if tag == _T + "int":
            return Value("num", repr(_CONSTRUCT.construct_yaml_int(node)))
        if tag == _T + "float":
            return Value("num", repr(_CONSTRUCT.construct_yaml_float(node)))
    except (ValueError, KeyError, IndexError):
        return Value("str", text)
    if tag == _T + "null":
        return Value("unknown", "null")
    if tag == _T + "str" and node.style is None:  # plain "1e-3": YAML 1.2 (OmegaConf) float
        return _number(text) or Value("str", text)
    return Value("str", text)  # strings, timestamps, any explicit tag (!!python/... included)


# --------------------------------------------------------------------------- JSON

_JSON_WS = re.compile(r"[ \t\n\r]*")
_JSON_ATOM = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null|NaN|-?Infinity")
_JSON_CONST = {"true": Value("bool", "true"), "false": Value("bool", "false"), "null": Value("unknown", "null")}


def _json_defs(text: str) -> Iterator[ConfigDef]:
    if text.startswith("\ufeff"):
        text = " " + text[1:]
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        raise FileSkipped(f"invalid JSON: {e.msg} (line {e.lineno})") from None
    except (ValueError, RecursionError) as e:
        raise FileSkipped(f"invalid JSON: {e or 'nested too deeply'}") from None
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    where = _locator(starts, list(range(1, len(starts) + 1)))

    def ws(i: int) -> int:
        m = _JSON_WS.match(text, i)
        return m.end() if m else i

    scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]

    def node(i: int, path: Path) -> Generator[ConfigDef, None, int]:
        """Defs of the (valid) value at `i`; returns the offset after it."""
        i = ws(i)
        c = text[i]
        if c in "{[":
            close, n = "}" if c == "{" else "]", 0
            i = ws(i + 1)
            if text[i] == close:
                return i + 1
            while True:
                if c == "{":
                    key, i = scanstring(text, ws(i) + 1)
                    i = ws(i) + 1  # past ':'
                else:
                    key, n = str(n), n + 1
                i = yield from node(i, (*path, key))
                i = ws(i)
                if text[i] == close:
                    return i + 1
                i += 1  # past ','
        if c == '"':
            s, j = scanstring(text, i + 1)
            value = Value("str", s)
        else:
            atom = _JSON_ATOM.match(text, i)
            assert atom is not None  # the text is valid JSON
            j, t = atom.end(), atom.group()
            value = _JSON_CONST.get(t) or Value("num", repr(int(t) if re.fullmatch(r"-?\d+", t) else float(t)))
        if path:
            yield ConfigDef("json", path, value, _span(where, i, j))
        return j

    def walk() -> Iterator[ConfigDef]:
        yield from node(0, ())

    return walk()


# --------------------------------------------------------------------------- TOML

_TKEY = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_TDOTTED = rf"{_TKEY}(?:[ \t]*\.[ \t]*{_TKEY})*"
_THEAD = re.compile(rf"[ \t]*(\[\[?)[ \t]*({_TDOTTED})[ \t]*\]\]?\s*(?:#.*)?$")
_TASSIGN = re.compile(rf"[ \t]*({_TDOTTED})[ \t]*=[ \t]*")
_TSTR = re.compile(r"""'''|\"\"\"|"(?:[^"\\]|\\.)*"|'[^']*'""")


def _toml_defs(text: str) -> Iterator[ConfigDef]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        msg, line = str(e), _nlines(text) or 1
        m = re.search(r"\s*\(at (?:line (\d+), column \d+|end of document)\)$", msg)
        if m:
            msg, line = msg[: m.start()], int(m[1]) if m[1] else line
        raise FileSkipped(f"invalid TOML: {msg} (line {line})") from None
    except ValueError as e:
        raise FileSkipped(f"invalid TOML: {e}") from None
    spans = _toml_spans(text)

    def span(path: Path) -> Span:  # the key's assignment, else its nearest table's, else line 1
        for n in range(len(path), 0, -1):
            if path[:n] in spans:
                return spans[path[:n]]
        return Span(1, 1, 1, 1)

    return (ConfigDef("toml", p, _py_value(v), span(p)) for p, v in _py_leaves(data))


def _py_leaves(obj: Any) -> Iterator[tuple[Path, Any]]:
    stack: list[tuple[Path, Any]] = [((), obj)]
    while stack:
        path, o = stack.pop()
        if isinstance(o, dict):
            stack.extend(((*path, str(k)), v) for k, v in reversed(o.items()))
        elif isinstance(o, list):
            stack.extend(((*path, str(i)), v) for i, v in reversed(list(enumerate(o))))
        elif path:
            yield path, o


def _tkeys(dotted: str) -> Path:
    keys = []
    for m in re.finditer(_TKEY, dotted):
        k = m.group()
        if k[0] == '"':
            try:
                k = json.loads(k)
            except ValueError:
                k = k[1:-1]
        keys.append(k[1:-1] if k[:1] == "'" else k)
    return tuple(keys)


def _toml_spans(text: str) -> dict[Path, Span]:
    """Best-effort line scan: key path (array-of-tables indices included) -> value span."""
    spans: dict[Path, Span] = {}
    counts: dict[Path, int] = {}  # array of tables -> elements so far
    table: Path = ()
    depth, in_string = 0, ""  # open brackets of a multi-line value; open multi-line string
    for n, line in enumerate(text.split("\n"), 1):
        if in_string:
            in_string = "" if in_string in line else in_string
            continue
        if depth > 0:
            depth += _brackets(line)
            continue
        if m := _THEAD.match(line):
            path: Path = ()
            keys = _tkeys(m[2])
            for i, k in enumerate(keys):
                path += (k,)
                if m[1] == "[[" and i == len(keys) - 1:
                    counts[path] = counts.get(path, 0) + 1
                if path in counts:
                    path += (str(counts[path] - 1),)
            table = path
            spans.setdefault(table, Span(n, m.start(2) + 1, n, m.end(2) + 1))
        elif m := _TASSIGN.match(line):
            rest = line[m.end() :]
            lit = _TSTR.match(rest)
            size = len(rest.split("#")[0].rstrip())
            if lit and lit.group() in ('"""', "'''"):
                close = rest.find(lit.group(), 3)
                in_string, size = ("", close + 3) if close >= 0 else (lit.group(), size)
            elif lit:
                size = lit.end()
            spans.setdefault(table + _tkeys(m[1]), Span(n, m.end() + 1, n, m.end() + size + 1))
            depth = _brackets(rest) if rest[:1] in "[{" else 0
    return spans


def _brackets(line: str) -> int:
    line = _TSTR.sub("", line).split("#")[0]
    return sum(line.count(c) for c in "[{") - sum(line.count(c) for c in "]}")


# --------------------------------------------------------------------------- launchers

_PY = re.compile(r"(?:.*/)?(?:python[\d.]*|pypy[\d.]*|py)|\$[({]?(?:\w*PYTHON\w*|PY\d?)[)}]?", re.I)
_ASSIGN = re.compile(r"[A-Za-z_]\w*\+?=")
_HYDRA = re.compile(r"[+~]{0,2}([A-Za-z_][\w-]*(?:\.[\w-]+)*)=(.*)", re.S)
_FLAG = re.compile(r"[A-Za-z_][\w.-]*")
_VAR_DIR = re.compile(r"\$(?:\{\w+\}|\(\w+\)|\w+)/")
_MAKE_RULE = re.compile(r"[^\t#=:][^#=:]*::?(?!=)")
_DQ = re.compile(r'"((?:[^"\\]|\\.)*)"?', re.S)
_SQ = re.compile(r"'([^']*)'?")
_SCRIPTS = (".py", ".ipynb", ".sh", ".bash", ".R")
_WRAPPERS = frozenset(
    [
        "time",
        "nohup",
        "exec",
        "sudo",
        "env",
        "nice",
        "command",
        "srun",
        "xvfb-run",
        "if",
        "then",
        "else",
        "elif",
        "while",
        "until",
        "do",
        "!",
        "{",
    ]
)
_CMD_KEYS = frozenset({"run", "cmd", "command", "script", "shell", "notebook"})
_RUNNERS = frozenset(
    {
        ("accelerate", "launch"),
        ("uv", "run"),
        ("poetry", "run"),
        ("pipenv", "run"),
        ("pdm", "run"),
        ("rye", "run"),
        ("hatch", "run"),
    }
)
_LAUNCH_MODULES = frozenset(
    {"torch.distributed.launch", "torch.distributed.run", "accelerate.commands.launch", "deepspeed.launcher.runner"}
)
_TOOL_MODULES = frozenset(
    [
        "pip",
        "venv",
        "virtualenv",
        "ensurepip",
        "pytest",
        "unittest",
        "doctest",
        "http",
        "json",
        "site",
        "timeit",
        "cProfile",
        "pdb",
        "build",
        "twine",
        "black",
        "ruff",
        "isort",
        "flake8",
        "pylint",
        "mypy",
        "coverage",
        "jupyter",
        "notebook",
        "nbconvert",
        "ipykernel",
        "papermill",
        "spacy",
        "nltk",
        "tensorboard",
        "streamlit",
        "uvicorn",
        "gunicorn",
        "mlflow",
        "dvc",
        "wandb",
        "pre_commit",
        "tox",
        "nox",
        "setuptools",
        "pipx",
        "poetry",
        "torch",
        "tensorflow",
    ]
)


def _mode(name: str) -> str:
    ext = posixpath.splitext(name)[1]
    if name in ("Makefile", "makefile", "GNUmakefile") or ext == ".mk":
        return "make"
    if name == "Snakefile" or ext == ".smk":
        return "snake"
    if ext.lower() in (".yml", ".yaml", ".dvc") or name == "dvc.lock":
        return "yaml"  # CI workflows, DVC stage files: quotes are not shell quotes there
    return "shell"


def _logical_lines(text: str) -> Iterator[tuple[str, Where]]:
    """Lines with backslash continuations joined, each with its offset -> position map."""
    starts: list[int] = []
    lines: list[int] = []
    parts: list[str] = []
    size = 0
    for n, raw in enumerate(text.split("\n"), 1):
        raw = raw.rstrip("\r")
        cont = (len(raw) - len(raw.rstrip("\\"))) % 2 == 1
        body = raw[:-1] if cont else raw
        starts.append(size)
        lines.append(n)
        parts.append(body)
        size += len(body)
        if not cont:
            yield "".join(parts), _locator(starts, lines)
            starts, lines, parts, size = [], [], [], 0
    if parts:
        yield "".join(parts), _locator(starts, lines)


def _words(s: str, quotes: bool) -> list[Word | None]:
    """Shell words of one logical line (None between commands); comments and redirections dropped.

    With `quotes` False (YAML, Snakefile) quote characters only separate words, so the commands
    inside quoted strings are seen.
    """
    out: list[Word | None] = []
    buf: list[str] | None = None
    start = i = 0
    redirect = False

    def flush(end: int) -> None:
        nonlocal buf, redirect
        if buf is not None:
            if redirect:
                redirect = False  # the redirection's target
            else:
                out.append(("".join(buf), start, end))
            buf = None

    while i < len(s):
        c = s[i]
        if c in " \t\r\n" or (c in "\"'" and not quotes):
            flush(i)
            i += 1
        elif c == "#" and buf is None:
            break
        elif c in "<>":
            if buf is not None and "".join(buf).isdigit():
                buf = None  # "2>"
            flush(i)
            i += 1
            while i < len(s) and s[i] in ">&|":
                i += 1
            redirect = True
        elif c in ";&|()`":
            flush(i)
            out.append(None)
            i += 1
        else:
            if buf is None:
                buf, start = [], i
            if c == "\\" and i + 1 < len(s):
                buf.append(s[i + 1])
                i += 2
            elif c in "\"'":
                m = (_DQ if c == '"' else _SQ).match(s, i)
                assert m is not None
                buf.append(re.sub(r'\\([\\"$`])', r"\1", m[1]) if c == '"' else m[1])
                i = m.end()
            elif c == "$" and i + 1 < len(s) and s[i + 1] in "({":
                j = _balanced(s, i + 1)
                buf.append(s[i:j])
                i = j
            else:
                buf.append(c)
                i += 1
    flush(len(s))
    return out


def _balanced(s: str, i: int) -> int:
    """Offset after the bracket closing the one at `i`."""
    open_, close, depth = s[i], ")}"["({".index(s[i])], 0
    for j in range(i, len(s)):
        depth += (s[j] == open_) - (s[j] == close)
        if depth == 0:
            return j + 1
    return len(s)


def _norm(path: str) -> str | None:
    """Repo-relative POSIX path of a mentioned script, None when not a plain relative path."""
    if m := _VAR_DIR.match(path):  # "$(ROOT)/src/train.py" -> "src/train.py"
        path = path[m.end() :]
    if not path or any(c in path for c in "$`{}*?<>|~\\"):
        return None
    path = posixpath.normpath(path)
    return None if path.startswith("/") or path == ".." or path.startswith("../") else path


def _cli_value(text: str) -> Value:
    if "$" in text or "`" in text:
        return Value("unknown", text)
    if text.lower() in ("true", "false"):
        return Value("bool", text.lower())
    return _number(text) or Value("str", text)


def _is_arg(text: str) -> bool:
    """Whether a word after `--flag` is its value (not another option or a Hydra override)."""
    return bool(_NUM.fullmatch(text)) or not (text.startswith("-") or _HYDRA.fullmatch(text))


class _Scanner:
    """Finds the scripts one launcher runs and the options it passes to Python scripts."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.mentions: set[str] = set()
        self.defs: list[ConfigDef] = []
        self.where: Where = lambda offset: (1, offset + 1)

    def scan(self, text: str) -> _Scanner:
        for line, self.where in _logical_lines(text):
            if self.mode == "make" and not line.startswith("\t") and (m := _MAKE_RULE.match(line)):
                semi = line.find(";", m.end())  # "target: prereqs ; recipe"
                if semi < 0:
                    continue
                line = " " * (semi + 1) + line[semi + 1 :]
            seg: list[Word] = []
            for w in [*_words(line, self.mode in ("shell", "make")), None]:
                if w is not None:
                    seg.append(w)
                elif seg:
                    self.command(seg)
                    seg = []
        return self

    def mention(self, path: str) -> None:
        if p := _norm(path):
            self.mentions.add(p)

    def command(self, seg: list[Word]) -> None:
        texts = [w[0] for w in seg]
        if self.mode == "make":
            texts[0] = texts[0].lstrip("@+-")  # recipe prefixes
        i, key = 0, None
        while i < len(texts):  # skip env assignments, wrappers, YAML keys / list dashes
            t = texts[i]
            if t.endswith(":") and self.mode in ("yaml", "snake"):
                key = t[:-1]
            elif not (t in _WRAPPERS or t == "-" or _ASSIGN.match(t)):
                break
            i += 1
        for j in range(i, len(texts)):
            t = texts[j]
            base, nxt = posixpath.basename(t), texts[j + 1] if j + 1 < len(texts) else ""
            if _PY.fullmatch(t):
                self.python(seg, j + 1)
            elif base in ("torchrun", "deepspeed") or (base, nxt) in _RUNNERS:
                self.launched(seg, j + 1)
            elif base in ("bash", "sh", "zsh", "source", ".", "sbatch", "qsub"):
                script = next((w for w in texts[j + 1 :] if not w.startswith("-")), "")
                self.mention(script if script.endswith((".sh", ".bash")) else "")
            elif base == "papermill":
                self.papermill(seg, j + 1)
            elif base.startswith("jupyter"):
                self.mention(next((w for w in texts[j + 1 :] if w.endswith(".ipynb")), ""))
            elif (
                j == i
                and (key is None or key in _CMD_KEYS)
                and (t.endswith(_SCRIPTS) or (t.startswith("./") and self.mode != "yaml"))
            ):  # direct execution: "./run.sh", "scripts/x.py" (Snakefile `script:`)
                self.mention(t)
                if t.endswith(".py"):
                    self.flags(seg[j + 1 :])
            else:
                continue
            return

    def python(self, seg: list[Word], k: int) -> None:
        """`python [opts] script.py args` / `python -m pkg.mod args`."""
        while k < len(seg):
            t = seg[k][0]
            if t in ("-c", "-"):
                return
            if t.startswith("-m") and len(t) > 2:  # "-mpkg.mod"
                return self.run(seg, k + 1, module=t[2:])
            if re.fullmatch(r"-[bBdEhiIOqsSuvx]*m", t):  # "-m pkg.mod", "-um pkg.mod"
                return self.run(seg, k + 2, module=seg[k + 1][0] if k + 1 < len(seg) else "")
            if t.startswith("-"):
                k += 2 if t in ("-W", "-X") else 1
            else:
                return self.run(seg, k + 1, path=t)
        return None

    def launched(self, seg: list[Word], k: int) -> None:
        """`torchrun [opts] script.py args`, `uv run script.py`, ...: the first script or module."""
        for j in range(k, len(seg)):
            t = seg[j][0]
            if _PY.fullmatch(t):
                return self.python(seg, j + 1)
            if t == "-m" and j + 1 < len(seg):
                return self.run(seg, j + 2, module=seg[j + 1][0])
            if t.endswith(".py"):
                return self.run(seg, j + 1, path=t)
        return None

    def run(self, seg: list[Word], rest: int, path: str = "", module: str = "") -> None:
        """Record the script (or `-m` module as "pkg/mod.py") and the options passed to it."""
        if module in _LAUNCH_MODULES:
            return self.launched(seg, rest)
        if module:
            if module.split(".")[0] in _TOOL_MODULES:
                return None
            path = module.replace(".", "/") + ".py"
        elif not path.endswith(".py") and "$" not in path:
            return None
        self.mention(path)
        self.flags(seg[rest:])
        self.positionals(_norm(path) or "", seg[rest:])
        return None

    def positionals(self, script: str, ws: list[Word]) -> None:
        """`python prepare.py data/raw.csv out/`: `sys.argv[1]`, `sys.argv[2]` of that script."""
        if not script:
            return
        k, index = 0, 0
        while k < len(ws):
            t, start, end = ws[k]
            if t.startswith("-"):
                takes_value = t.startswith("--") and "=" not in t and k + 1 < len(ws) and _is_arg(ws[k + 1][0])
                k += 2 if takes_value else 1
                continue
            if _HYDRA.fullmatch(t) or "{" in t or "$" in t:  # Hydra overrides, templates: not paths
                k += 1
                continue
            index += 1
            self.defs.append(ConfigDef("argv", (script, str(index)), _cli_value(t), _span(self.where, start, end)))
            k += 1

    def flags(self, ws: list[Word]) -> None:
        """`--name value`, `--name=value`, `--switch` (true), Hydra `a.b=value` -> cli ConfigDefs."""
        k = 0
        while k < len(ws):
            t, start, end = ws[k]
            if t.startswith("--") and _FLAG.fullmatch(name := t[2:].partition("=")[0]):
                key: Path = (name.replace("-", "_"),)
                if "=" in t:
                    value = _cli_value(t.partition("=")[2])
                elif k + 1 < len(ws) and _is_arg(ws[k + 1][0]):
                    k += 1
                    value, end = _cli_value(ws[k][0]), ws[k][2]
                else:
                    value = Value("bool", "true")
            elif not t.startswith("-") and (m := _HYDRA.fullmatch(t)):
                key, value = tuple(m[1].split(".")), _cli_value(m[2])
            else:
                k += 1
                continue
            self.defs.append(ConfigDef("cli", key, value, _span(self.where, start, end)))
            k += 1

    def papermill(self, seg: list[Word], k: int) -> None:
        """`papermill in.ipynb out.ipynb -p name value -r name raw`."""
        texts = [w[0] for w in seg]
        self.mention(next((w for w in texts[k:] if w.endswith(".ipynb")), ""))
        for j in range(k, len(seg) - 2):
            if texts[j] in ("-p", "--parameters", "-r", "--parameters_raw"):
                raw = texts[j] in ("-r", "--parameters_raw")
                value = Value("str", texts[j + 2]) if raw else _cli_value(texts[j + 2])
                self.defs.append(ConfigDef("cli", (texts[j + 1],), value, _span(self.where, seg[j][1], seg[j + 2][2])))


# --------------------------------------------------------------------------- DVC

_DVC_PATHS = ("deps", "outs", "metrics", "plots")
_TEMPLATE = re.compile(r"\$\{\s*([\w.-]+)\s*\}")
_MAX_EXPANSIONS = 100  # stages one foreach / matrix expands to


def _join(*parts: str) -> str:
    """Paths joined and normalised ("" for the root); URLs and absolute paths kept as written."""
    last = parts[-1]
    if "://" in last or last.startswith("/"):
        return last
    joined = posixpath.normpath(posixpath.join(*[p for p in parts if p] or ["."]))
    return "" if joined == "." else joined


def _plain(node: yaml.Node | None, budget: list[int]) -> Any:
    """A composed YAML node as dicts, lists and scalar texts (None for null); bounded by `budget`."""
    budget[0] -= 1
    if node is None or budget[0] < 0:
        return None
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag == _T + "null" else node.value
    if isinstance(node, yaml.SequenceNode):
        return [_plain(n, budget) for n in node.value]
    if isinstance(node, yaml.MappingNode):
        return {k: _plain(v, budget) for k, v in _yaml_pairs(node, frozenset(), budget)}
    return None


def _first_spans(defs: Sequence[ConfigDef]) -> dict[Path, Span]:
    """Key path (and every prefix of it) -> the span of the first definition below it."""
    spans: dict[Path, Span] = {}
    for d in defs:
        for n in range(1, len(d.key) + 1):
            spans.setdefault(d.key[:n], d.span)
    return spans


def _subst(obj: Any, ctx: Mapping[str, Any]) -> Any:
    """`${item}`, `${item.a}`, `${key}` replaced in every string (keys too); others left as written."""

    def one(m: re.Match[str]) -> str:
        value: Any = ctx
        for part in m[1].split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value if isinstance(value, str) else m[0]

    if isinstance(obj, str):
        return _TEMPLATE.sub(one, obj)
    if isinstance(obj, list):
        return [_subst(o, ctx) for o in obj]
    if isinstance(obj, dict):
        return {_subst(k, ctx): _subst(v, ctx) for k, v in obj.items()}
    return obj


def _dvc_stages(name: str, body: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Path]]:
    """(label, stage, key path of its template) per stage; `foreach`/`matrix` written in the file expanded."""
    if "foreach" in body and isinstance(body.get("do"), dict):
        items = body["foreach"]
        pairs: list[tuple[str, Any]] = []
        if isinstance(items, list):
            pairs = [(str(i), item) for i, item in enumerate(items)]
        elif isinstance(items, dict):
            pairs = list(items.items())
        if not pairs:  # `foreach: ${vars}`: the items live elsewhere; the template is kept as written
            yield name, body["do"], ("stages", name, "do")
        for label, item in pairs[:_MAX_EXPANSIONS]:
            ctx = {"item": item, "key": label} if isinstance(items, dict) else {"item": item}
            shown = item if isinstance(item, str) else label
            yield f"{name}@{shown}", _subst(body["do"], ctx), ("stages", name, "do")
    elif isinstance(body.get("matrix"), dict):
        axes = [(k, v if isinstance(v, list) else [v]) for k, v in body["matrix"].items()]
        rest = {k: v for k, v in body.items() if k != "matrix"}
        for combo in islice(product(*(v for _, v in axes)), _MAX_EXPANSIONS):
            item = {k: c for (k, _), c in zip(axes, combo, strict=True)}
            label = "-".join(c if isinstance(c, str) else str(i) for i, c in enumerate(combo))
            yield f"{name}@{label}", _subst(rest, {"item": item}), ("stages", name)
    else:
        yield name, body, ("stages", name)


def _entry_path(entry: Any) -> str | None:
    """A DVC path entry: `data/x.csv` or `model.pkl: {cache: false}`."""
    if isinstance(entry, str):
        return entry or None
    if isinstance(entry, dict) and len(entry) == 1:
        (key,) = entry
        return key if isinstance(key, str) and key else None
    return None


def _dvc_facts(rel: str, text: str, facts: FileFacts, defs: tuple[ConfigDef, ...]) -> FileFacts:
    """`dvc.yaml`: the scripts its stages run, the options they pass, the paths they declare."""
    base = posixpath.dirname(rel)
    spans = _first_spans(defs)
    try:
        doc = _plain(next(iter(yaml.compose_all(text, Loader=yaml.SafeLoader)), None), [_MAX_VISITS])
    except (yaml.YAMLError, RecursionError):
        doc = None
    mentions: set[str] = set()
    extra: list[ConfigDef] = []

    def span(key: Path) -> Span:
        for n in range(len(key), 0, -1):
            if key[:n] in spans:
                return spans[key[:n]]
        return Span(1, 1, 1, 1)

    def declare(section: str, label: str, i: int, path: str, key: Path) -> None:
        extra.append(ConfigDef("declared", (section, label, str(i)), Value("str", path), span(key)))

    stages = doc.get("stages") if isinstance(doc, dict) else None
    for name, body in (stages if isinstance(stages, dict) else {}).items():
        if not isinstance(body, dict):
            continue
        for label, stage, tkey in _dvc_stages(name, body):
            wdir = stage.get("wdir")
            here = _join(base, wdir if isinstance(wdir, str) and "${" not in wdir else ".")
            cmds = stage.get("cmd")
            for i, cmd in enumerate(cmds if isinstance(cmds, list) else [cmds]):
                if not isinstance(cmd, str):
                    continue
                where = span((*tkey, "cmd", str(i)) if isinstance(cmds, list) else (*tkey, "cmd"))
                scan = _Scanner("shell").scan(cmd)
                mentions |= {_join(here, m) for m in scan.mentions}
                for c in scan.defs:  # positions: the cmd's; scripts and paths from the root, not the wdir
                    value = c.value
                    if here != base and value.kind == "str" and ("/" in value.text or value.text.startswith(".")):
                        value = Value("str", _join(here, value.text))
                    key = (_join(here, c.key[0]), c.key[1]) if c.source == "argv" else c.key
                    extra.append(replace(c, key=key, value=value, span=where))
            for section in _DVC_PATHS:
                entries = stage.get(section)
                for i, entry in enumerate(entries if isinstance(entries, list) else []):
                    if (path := _entry_path(entry)) is not None:
                        declare(section, label, i, _join(here, path), (*tkey, section, str(i)))
            params = stage.get("params")
            for i, entry in enumerate(params if isinstance(params, list) else []):
                files = ["params.yaml"] if isinstance(entry, str) else list(entry) if isinstance(entry, dict) else []
                for file in files:
                    if isinstance(file, str) and file:
                        declare("params", label, i, _join(here, file), (*tkey, "params", str(i)))
    for section in ("metrics", "plots"):  # top-level (DVC 3): paths, or plot ids mapped to their definitions
        entries = doc.get(section) if isinstance(doc, dict) else None
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            path = _entry_path(entry)
            if path is not None and (isinstance(entry, str) or "/" in path or "." in path):
                declare(section, "", i, _join(base, path), (section, str(i)))
    artifacts = doc.get("artifacts") if isinstance(doc, dict) else None
    for i, (name, body) in enumerate((artifacts if isinstance(artifacts, dict) else {}).items()):
        if isinstance(body, dict) and isinstance(body.get("path"), str):
            declare("artifacts", str(name), i, _join(base, body["path"]), ("artifacts", str(name), "path"))
    if doc is None:  # not composable as one document: the flat definitions' commands, as before
        for d in defs:
            k = d.key
            if len(k) >= 3 and k[0] == "stages" and "cmd" in k[2:4] and d.value.kind == "str":
                scan = _Scanner("shell").scan(d.value.text)
                mentions |= scan.mentions
                extra += [replace(c, span=d.span) for c in scan.defs]
    return replace(
        facts,
        config_defs=(defs + tuple(extra))[:MAX_DEFS],
        mentions=tuple(sorted(m for m in mentions if m)),
        declares_pipeline=True,
    )


def _dvc_file_outs(rel: str, text: str) -> list[ConfigDef]:
    """`data/raw.csv.dvc`: its `outs` paths, relative to its directory (a broken file declares nothing)."""
    try:
        defs = list(islice(_yaml_defs(text), MAX_DEFS))
    except (FileSkipped, RecursionError):
        return []
    base = posixpath.dirname(rel)
    return [
        ConfigDef("declared", ("outs", "", d.key[1]), Value("str", _join(base, d.value.text)), d.span)
        for d in defs
        if len(d.key) == 3 and d.key[0] == "outs" and d.key[2] == "path" and d.value.kind == "str" and d.value.text
    ]


# --------------------------------------------------------------------------- W&B sweeps

_SWEEP_KEYS = frozenset({"method", "metric", "command", "early_terminate"})
_SWEEP_ARGS = ("${args}", "${args_no_hyphens}", "${args_json}", "${args_json_file}")


def _sweep_facts(rel: str, defs: tuple[ConfigDef, ...]) -> FileFacts | None:
    """A W&B sweep (`program:` + `parameters:`): a launcher running the program with one flag per parameter.

    The command is `command:` (default `${env} ${interpreter} ${program} ${args}`): `${args}`
    passes `--name=value`, `${args_no_hyphens}` passes `name=value` (Hydra overrides), JSON
    forms pass no flag. A parameter's values (`value`, `values`) are the flag's values; a
    distribution's value is unknown.
    """
    by_key = {d.key: d for d in defs}
    program = by_key.get(("program",))
    if (
        program is None
        or program.value.kind != "str"
        or not any(len(k) >= 3 and k[0] == "parameters" for k in by_key)
        or not any(k[0] in _SWEEP_KEYS for k in by_key)
    ):
        return None
    command = [d.value.text for d in defs if len(d.key) == 2 and d.key[0] == "command" and d.value.kind == "str"]
    words = command or ["${env}", "${interpreter}", "${program}", "${args}"]
    parts: list[str] = []
    for w in words:
        if w == "${program}":
            parts.append(program.value.text)
        elif w == "${interpreter}":
            parts.append("python")
        elif w != "${env}" and w not in _SWEEP_ARGS:
            parts.append(w)
    scan = _Scanner("shell").scan(" ".join(_shell_quote(p) for p in parts))
    where = program.span
    out = [replace(c, span=where) for c in scan.defs]
    style = "--" if "${args}" in words else "" if "${args_no_hyphens}" in words else None
    if style is not None:
        names: dict[str, list[ConfigDef]] = {}
        for d in defs:
            if len(d.key) >= 3 and d.key[0] == "parameters":
                names.setdefault(d.key[1], []).append(d)
        for name, pdefs in names.items():
            key: Path = (name.replace("-", "_"),) if style == "--" else tuple(name.split("."))
            given = [d for d in pdefs if d.key[2:] == ("value",) or (len(d.key) == 4 and d.key[2] == "values")]
            if given:
                out += [ConfigDef("cli", key, d.value, d.span) for d in given]
            else:  # a distribution, nested parameters: the flag is passed, its value unknown
                out.append(ConfigDef("cli", key, Value("unknown", "sweep"), pdefs[0].span))
    return FileFacts(rel, "launcher", "", 0, config_defs=tuple(out[:MAX_DEFS]), mentions=tuple(sorted(scan.mentions)))


def _shell_quote(word: str) -> str:
    return word if re.fullmatch(r"[\w@%+=:,./${}-]+", word) else "'" + word.replace("'", "'\"'\"'") + "'"


# --------------------------------------------------------------------------- Hydra config trees

_PACKAGE = re.compile(r"^#\s*@package\s+(\S+)", re.M)
_MAX_TREE_DEPTH = 8
_MAX_INTERPOLATION = 5


def _header(text: str) -> str:
    """The leading comment and blank lines of a file (where Hydra reads `# @package`)."""
    end = 0
    for line in text.splitlines(keepends=True):
        if line.strip() and not line.lstrip().startswith("#"):
            break
        end += len(line)
    return text[:end]


@dataclass(frozen=True, slots=True)
class TreeDef:
    """One key of a composed Hydra config: the composed key path and where it is defined."""

    key: Path  # composed: ("model", "depth") for `depth` in conf/model/resnet.yaml
    file: str  # the config file that defines it
    d: ConfigDef  # the definition there: its own key and span; `${a.b}` interpolations resolved where possible
    selected: bool  # picked by the defaults lists; False: an option of a group the defaults do not pick


@dataclass(frozen=True, slots=True)
class HydraTree:
    """A Hydra config tree composed from its primary config's `defaults:` list.

    `defs` maps each composed key to its definitions, the one in effect first (the last merged
    of the picked options), then other picked files defining it, then the options a command line
    could pick instead (`model=vgg`). `files` are the primary and every group option reached.
    """

    primary: str
    root: str  # the config directory (`conf/`), "" for the scan root
    files: tuple[str, ...]
    groups: tuple[tuple[str, tuple[str, ...]], ...]  # group path ("model", "db/backup") -> option names
    defs: Mapping[Path, tuple[TreeDef, ...]]

    def lookup(self, key: Path) -> TreeDef | None:
        found = self.defs.get(key)
        return found[0] if found else None


def _defaults(defs: Sequence[ConfigDef]) -> list[tuple[str, str, tuple[str, ...], bool]]:
    """Entries of a `defaults:` list: ("self", "", (), _), ("config", name, (), _) or ("group", name@pkg, chosen options, picks known)."""
    entries: dict[str, tuple[str, str, list[str], bool]] = {}
    for d in defs:
        k = d.key
        if len(k) < 2 or k[0] != "defaults":
            continue
        text = d.value.text if d.value.kind in ("str", "num", "bool") else None
        if len(k) == 2 and text is not None:
            if text == "_self_":
                entries.setdefault(k[1], ("self", "", [], True))
            elif "/" in text.strip("/"):  # `- /db/mysql`: a group and its option
                group, _, option = text.rpartition("/")
                entries.setdefault(k[1], ("group", group, [option], "${" not in text))
            else:
                entries.setdefault(k[1], ("config", text.lstrip("/"), [], True))
        elif len(k) in (3, 4):
            group = re.sub(r"^(?:(?:override|optional)\s+)+", "", k[2]).strip()
            kind, name, chosen, known = entries.setdefault(k[1], ("group", group, [], True))
            if text is not None:
                chosen.append(text)
                known = known and "${" not in text
            entries[k[1]] = (kind, name, chosen, known)
    ordered = sorted(entries.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0)
    return [(kind, name, tuple(chosen), known) for _, (kind, name, chosen, known) in ordered]


def _package(spec: str, group: Path, parent: Path, relative: bool) -> Path:
    """A package spec (`_global_`, `_group_`, `_here_`, `a.b`) as a key path."""
    head, _, rest = spec.partition(".")
    tail = tuple(rest.split(".")) if rest else ()
    if head == "_global_":
        return tail
    if head == "_group_":
        return group + tail
    if head == "_here_":
        return parent + tail
    return (parent if relative else ()) + tuple(spec.split("."))


def hydra_tree(primary: str, configs: Mapping[str, Sequence[ConfigDef]]) -> HydraTree | None:
    """The Hydra tree whose primary config is `primary`, from every config file's definitions.

    None when `primary` holds no `defaults:` list. Groups are directories below the primary's
    directory; a group's options are its YAML files. Relative groups in a group file's defaults
    are below that file's group, `/group` from the root. `_self_` orders a file's own keys among
    its defaults (last when absent, as in Hydra 1.1). Packages: the group path by default, a
    `# @package` header (`_global_`, `_group_`, a dotted path), or `group@pkg` in the defaults
    list (relative to the including config). Interpolations `${a.b}`, `${.x}` between keys of the
    tree are resolved; resolvers (`${oc.env:X}`) and anything unresolvable stay as written.
    """
    own = configs.get(primary)
    if own is None or not any(d.key[:1] == ("defaults",) for d in own):
        return None
    root = posixpath.dirname(primary)
    picked: list[TreeDef] = []
    others: list[TreeDef] = []
    files: set[str] = set()
    groups: dict[str, set[str]] = {}
    seen: set[tuple[str, Path, bool]] = set()

    def options(group: str) -> dict[str, str]:
        where = _join(root, group)
        return {
            posixpath.splitext(posixpath.basename(p))[0]: p
            for p in sorted(configs)
            if posixpath.dirname(p) == where and p.endswith((".yaml", ".yml"))
        }

    def place(file: str, package: Path, group: str, selected: bool, depth: int) -> None:
        if depth > _MAX_TREE_DEPTH or (file, package, selected) in seen:
            return
        seen.add((file, package, selected))
        files.add(file)
        fdefs = configs[file]
        entries = _defaults(fdefs)
        if not any(kind == "self" for kind, *_ in entries):
            entries.append(("self", "", (), True))
        gkeys = tuple(group.split("/")) if group else ()
        for kind, name, chosen, known in entries:
            if kind == "self":
                target = picked if selected else others
                target += [
                    TreeDef(package + d.key, file, d, selected)
                    for d in fdefs
                    if d.source != "directive" and d.key[:1] != ("defaults",)
                ]
            elif kind == "config":  # a config of the same group, merged at this package
                found = options(group).get(name.removesuffix(".yaml").removesuffix(".yml"))
                if found is not None:
                    place(found, package, group, selected, depth + 1)
            else:
                gname, _, pkg = name.partition("@")
                sub = gname.strip("/") if gname.startswith("/") or not group else f"{group}/{gname}"
                opts = options(sub)
                if not sub or "${" in sub:
                    continue
                groups.setdefault(sub, set()).update(opts)
                skeys = tuple(sub.split("/"))
                for option, path in opts.items():
                    directive = next((d.value.text for d in configs[path] if d.source == "directive"), None)
                    if pkg:
                        where = _package(pkg, skeys, package, relative=True)
                    elif directive is not None:
                        where = _package(directive, skeys, package, relative=False)
                    else:
                        where = package + skeys[len(gkeys) :] if depth and skeys[: len(gkeys)] == gkeys else skeys
                    place(path, where, sub, selected and known and option in chosen, depth + 1)

    place(primary, (), "", True, 0)
    effective: dict[Path, TreeDef] = {}
    for t in picked:  # later merges win
        effective[t.key] = t
    values = {".".join(k): t.d.value for k, t in effective.items()}

    def interpolate(t: TreeDef) -> TreeDef:
        value = t.d.value
        for _ in range(_MAX_INTERPOLATION):
            if value.kind != "str" or "${" not in value.text:
                break
            whole = _TEMPLATE.fullmatch(value.text.strip())

            def one(m: re.Match[str]) -> str:
                ref = _interpolation_key(m[1], t.key)
                found = values.get(ref) if ref is not None else None
                return found.text if found is not None and found.kind in ("str", "num", "bool") else m[0]

            if whole is not None:  # `${a.b}` alone takes the referenced value, of whatever kind
                ref = _interpolation_key(whole[1], t.key)
                found = values.get(ref) if ref is not None else None
                new = found if found is not None and found.kind != "unknown" else value
            else:
                new = Value("str", _TEMPLATE.sub(one, value.text))
            if new == value:
                break
            value = new
        return t if value == t.d.value else replace(t, d=replace(t.d, value=value))

    by_key: dict[Path, list[TreeDef]] = {}
    for t in [effective[k] for k in effective] + [t for t in reversed(picked) if effective[t.key] is not t] + others:
        by_key.setdefault(t.key, []).append(interpolate(t))
    return HydraTree(
        primary,
        root,
        tuple(sorted(files)),
        tuple(sorted((g, tuple(sorted(o))) for g, o in groups.items())),
        {k: tuple(v) for k, v in by_key.items()},
    )


def _interpolation_key(ref: str, key: Path) -> str | None:
    """The dotted absolute key an interpolation names (`a.b`, `.sibling`, `..uncle`); None for resolvers."""
    if ":" in ref:
        return None
    if not ref.startswith("."):
        return ref
    dots = len(ref) - len(ref.lstrip("."))
    base = key[: len(key) - dots]
    return ".".join((*base, ref[dots:])) if ref[dots:] else None


# --------------------------------------------------------------------------- Kedro


def kedro_conf_kind(rel: str) -> str | None:
    """ "catalog" or "parameters" for Kedro's `conf/<env>/` files (`catalog*.yml`, `catalog/*.yml`,
    `**/catalog*`; the same for parameters), else None."""
    parts = rel.split("/")
    if not rel.endswith((".yml", ".yaml", ".json")) or "conf" not in parts[:-2]:
        return None
    below = parts[parts.index("conf") + 2 :]
    names = [*below[:-1], posixpath.splitext(below[-1])[0]]
    for kind in ("catalog", "parameters"):
        if any(n.startswith(kind) for n in names):
            return kind
    return None
