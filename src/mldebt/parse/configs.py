"""Facts from configuration files and launchers (pure text -> `FileFacts`, no file I/O).

This module owns:

* `config_facts`: YAML / JSON / TOML files. One `ConfigDef` per scalar leaf, keyed by the path
  of mapping keys (list items by index: "0", "1", ...), with the span of the value. `dvc.yaml`
  also declares a pipeline and mentions the scripts its stages' `cmd` run.
* `launcher_facts`: shell scripts, Makefiles, Snakefiles, CI workflows and `*.dvc` stage files,
  read as text. The scripts they run (`mentions`), whether they declare a pipeline, and the
  options they pass to Python scripts (`ConfigDef(source="cli")`, argparse dest spelling).

Nothing is executed or imported from the input: YAML is only *composed* with PyYAML's
SafeLoader (nodes with marks, no Python object is built whatever the tags), JSON is validated by
`json` and re-scanned for positions, TOML goes through `tomllib`. Unreadable input raises
`FileSkipped("invalid FORMAT: problem (line N)")`.
"""

from __future__ import annotations

import bisect
import json
import posixpath
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import replace
from datetime import date, time
from itertools import islice
from typing import Any

import tomllib
import yaml

from mldebt.parse.errors import FileSkipped
from mldebt.parse.facts import ConfigDef, FileFacts, Span, Value

__all__ = ["MAX_DEFS", "config_facts", "launcher_facts"]

MAX_DEFS = 20_000  # config_defs kept per file: the first ones, in document order
_MAX_VISITS = 200_000  # YAML nodes walked per document (aliases can expand exponentially)

Where = Callable[[int], tuple[int, int]]  # text offset -> (1-based line, 1-based column)
Word = tuple[str, int, int]  # unquoted shell word, start and end offsets in its logical line
Path = tuple[str, ...]


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
    fmt = ext.lstrip(".").upper().replace("YML", "YAML")
    try:
        defs = tuple(islice(parse[ext](text), MAX_DEFS))
    except RecursionError:
        raise FileSkipped(f"invalid {fmt}: nested too deeply") from None
    if name != "dvc.yaml":
        return replace(facts, config_defs=defs)
    mentions: set[str] = set()
    cli: list[ConfigDef] = []
    for d in defs:  # stages.NAME.cmd (str or list), stages.NAME.do.cmd (foreach)
        k = d.key
        if len(k) >= 3 and k[0] == "stages" and "cmd" in k[2:4] and d.value.kind == "str":
            scan = _Scanner("shell").scan(d.value.text)
            mentions |= scan.mentions
            cli += [replace(c, span=d.span) for c in scan.defs]  # positions: the cmd's
    return replace(
        facts, config_defs=(defs + tuple(cli))[:MAX_DEFS], mentions=tuple(sorted(mentions)), declares_pipeline=True
    )


def launcher_facts(rel: str, text: str) -> FileFacts:
    """Facts of a launcher at `rel`: scripts it runs, CLI options it passes, pipeline or not.

    Makefiles declare a pipeline when they run a script, Snakefiles always, `*.dvc` stage files
    when their `cmd` runs a script; shell scripts and CI workflows when they run two or more.
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
    return FileFacts(
        rel,
        "launcher",
        "",
        _nlines(text),
        config_defs=tuple(scan.defs[:MAX_DEFS]),
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
    return "/.github/workflows/" in "/" + rel and rel.endswith((".yml", ".yaml"))


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
        for path, node in _yaml_leaves(doc)
    )


def _yaml_error(e: yaml.YAMLError, text: str) -> str:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    position = getattr(e, "position", None)  # ReaderError: bad character
    if mark is not None:
        line = mark.line + 1
    else:
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else 1
    what = getattr(e, "problem", None) or getattr(e, "context", None) or getattr(e, "reason", e)
    return f"invalid YAML: {what} (line {line})"


def _yaml_leaves(root: yaml.Node) -> Iterator[tuple[Path, yaml.Node]]:
    """Scalar (or templated) leaves under `root` in document order; aliases expanded, cycles cut."""
    stack: list[tuple[Path, yaml.Node, frozenset[int]]] = [((), root, frozenset())]
    visits = 0
    while stack and visits < _MAX_VISITS:
        path, node, above = stack.pop()
        visits += 1
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
            kids = [((*path, k), v) for k, v in _yaml_pairs(node, frozenset())]
        else:
            continue
        stack.extend((p, n, above) for p, n in reversed(kids))


def _yaml_pairs(node: yaml.MappingNode, seen: frozenset[int]) -> list[tuple[str, yaml.Node]]:
    """(key, value) pairs of a mapping with `<<` merges applied; complex keys are skipped."""
    if id(node) in seen:
        return []
    merged: list[tuple[str, yaml.Node]] = []
    own: list[tuple[str, yaml.Node]] = []
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.tag == _T + "merge":
            for m in v.value if isinstance(v, yaml.SequenceNode) else [v]:
                if isinstance(m, yaml.MappingNode):
                    merged += _yaml_pairs(m, seen | {id(node)})
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
