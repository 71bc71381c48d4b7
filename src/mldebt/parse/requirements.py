"""Dependency declarations: pip requirements files and conda `environment.yml` -> MLD705 smells.

Reads `requirements*.txt` (and `*.txt` in a `requirements/` directory) line by line, pip's own
way (comments after whitespace, `\\` continuations, options), and the `dependencies:` list of a
conda environment file, with its nested `pip:` list. Each declaration of a machine-learning
package is classified by its version specifier: pinned (`==`, `~=`, `===`, an upper bound, a
conda `=` prefix pin), lower bound only (`>=`), or none; the last two become smells of
MLD705 unpinned-dependency (the rule decides whether lower bounds count, from `Smell.data`).
A requirements file that delegates its pins (`-c constraints.txt`, `--hash`) reports nothing.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import replace

from mldebt.parse.facts import FileFacts, Smell, Span
from mldebt.parse.python import suppressions

RULE = "MLD705"

# Packages whose version changes what a model learns or predicts (numerics, data frames, model
# libraries), by normalised PyPI name; conda spellings map to them.
ML_PACKAGES = frozenset(
    str.split(
        """numpy scipy pandas polars pyarrow scikit-learn sklearn torch torchvision torchaudio torchtext
    tensorflow tensorflow-gpu tensorflow-cpu tensorflow-macos tf-keras keras jax jaxlib flax optax
    xgboost lightgbm catboost transformers tokenizers datasets accelerate sentence-transformers peft
    diffusers timm pytorch-lightning lightning statsmodels spacy gensim onnx onnxruntime
    onnxruntime-gpu imbalanced-learn tensorflow-probability tensorflow-hub tensorflow-datasets prophet
    category-encoders"""
    )
)
_CONDA_NAMES = {"pytorch": "torch", "py-xgboost": "xgboost", "pytorch-gpu": "torch", "pytorch-cpu": "torch"}

_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")
_OP = re.compile(r"(===|==|~=|!=|<=|>=|<|>)")
_COMMENT = re.compile(r"(^|\s)#.*$")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def classify_spec(spec: str) -> str:
    """ "pinned", "lower" (a lower bound only) or "none" for a PEP 440 specifier string."""
    spec = spec.strip().strip("()").strip()
    if spec.startswith("@"):
        return "pinned"  # a direct reference: a URL or a VCS commit
    ops = set(_OP.findall(spec))
    if ops & {"==", "===", "~=", "<", "<="}:
        return "pinned"
    if ops & {">=", ">"}:
        return "lower"
    return "none"


def _smell(name: str, shown: str, status: str, line: int, col: int, end: int) -> Smell:
    what = "has no version pin" if status == "none" else "has a lower bound only"
    message = (
        f"`{shown}` {what}: every install resolves the newest release, so the environment that "
        "trained a model cannot be rebuilt"
    )
    return Smell(RULE, Span(line, col, line, end), message, key=name, data=(("spec", status),))


# --------------------------------------------------------------------------- pip


def is_requirements_file(rel: str) -> bool:
    """`requirements*.txt` anywhere, or `*.txt` in a `requirements/` directory; not docs builds,
    nor the tooling of development (`requirements-dev.txt`, `requirements/test.txt`,
    `dev-requirements.txt`): those do not describe the environment that trains a model."""
    parts = rel.split("/")
    name = parts[-1].lower()
    if not name.endswith(".txt") or "doc" in name or _TOOLING.intersection(re.split(r"[-_.]", name[:-4])):
        return False
    return name.startswith("requirements") or (len(parts) > 1 and parts[-2].lower() == "requirements")


_TOOLING = frozenset({"dev", "develop", "development", "test", "tests", "testing", "lint", "ci", "style"})


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) with `\\` continuations joined and comments dropped."""
    pending: list[str] = []
    start = 0
    for i, raw in enumerate(text.split("\n"), 1):
        if not pending:
            start = i
        if raw.endswith("\\"):
            pending.append(raw[:-1])
            continue
        pending.append(raw)
        yield start, _COMMENT.sub("", " ".join(pending))
        pending = []
    if pending:
        yield start, _COMMENT.sub("", " ".join(pending))


def _pip_line(line: str, number: int, offset: int) -> Smell | None:
    """The smell of one pip requirement line (comment removed), `offset` its first column - 1."""
    stripped = line.strip()
    if not stripped or stripped.startswith("-") or "://" in stripped or stripped.startswith((".", "/", "~")):
        return None
    m = _NAME.match(stripped)
    if m is None:
        return None
    name = normalise(m.group(1))
    if name not in ML_PACKAGES:
        return None
    spec = m.group(3).split(";", 1)[0]
    status = classify_spec(spec)
    if status == "pinned":
        return None
    col = offset + line.index(stripped[0]) + 1
    shown = stripped.split(";", 1)[0].strip()
    return _smell(name, shown, status, number, col, col + len(shown))


def requirement_smells(text: str) -> tuple[Smell, ...]:
    lines = list(_logical_lines(text))
    for _, line in lines:
        s = line.strip()
        if s.startswith(("-c", "--constraint", "--require-hashes")) or "--hash" in s:
            return ()  # the pins live in a constraints file, or every line is hashed (so pinned)
    out = [_pip_line(line, n, 0) for n, line in lines]
    return tuple(s for s in out if s is not None)


def requirements_facts(rel: str, text: str) -> FileFacts:
    """Facts of a requirements file: its MLD705 smells and suppression comments."""
    nlines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    smells = requirement_smells(text) if is_requirements_file(rel) else ()
    return FileFacts(rel, "requirements", "", nlines, smells=smells, suppressions=suppressions(text))


# --------------------------------------------------------------------------- conda

_CONDA_FILE = re.compile(r"^(environment|conda)([-_.][^/]*)?\.ya?ml$", re.I)
_ITEM = re.compile(r"^(\s*)-\s+(.*?)\s*$")


def is_conda_env(rel: str) -> bool:
    return _CONDA_FILE.match(posixpath.basename(rel)) is not None


def _conda_item(item: str, number: int, col: int) -> Smell | None:
    item = item.strip("\"'")
    spec_text = re.sub(r"^[^:\s]*::", "", item)  # channel::package
    m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", spec_text)
    if m is None:
        return None
    name = normalise(m.group(1))
    name = _CONDA_NAMES.get(name, name)
    if name not in ML_PACKAGES:
        return None
    rest = m.group(2).strip()
    if rest.startswith("["):
        version = re.search(r"version\s*=\s*['\"]([^'\"]*)['\"]", rest)
        status = classify_spec(version.group(1)) if version else "none"
        if version and re.match(r"^\s*\d", version.group(1)):
            status = "pinned"
    elif rest.startswith("=") or re.match(r"^\d", rest):
        status = "pinned"  # `numpy=1.24` (a prefix pin), `numpy==1.24.3`, `numpy 1.24.*`
    else:
        status = classify_spec(rest)
    if status == "pinned":
        return None
    return _smell(name, item, status, number, col, col + len(item))


def conda_smells(text: str) -> tuple[Smell, ...]:
    """Smells of a conda environment file's `dependencies:` list (and its nested `pip:` list)."""
    out: list[Smell] = []
    inside = False
    pip_indent: int | None = None  # the column of `- pip:` while inside its nested list
    for number, raw in enumerate(text.split("\n"), 1):
        line = _COMMENT.sub("", raw).rstrip()
        if not line.strip():
            continue
        if not line[0].isspace() and not line.startswith("-"):
            inside = re.match(r"^dependencies\s*:\s*$", line) is not None
            pip_indent = None
            continue
        if not inside:
            continue
        m = _ITEM.match(line)
        if m is None:
            continue
        indent, item = len(m.group(1)), m.group(2)
        if pip_indent is not None and indent <= pip_indent:
            pip_indent = None
        if re.match(r"^pip\s*:$", item):
            pip_indent = indent
            continue
        col = m.start(2) + 1
        smell = _pip_line(item, number, m.start(2)) if pip_indent is not None else _conda_item(item, number, col)
        if smell is not None:
            out.append(smell)
    return tuple(out)


def with_conda_smells(facts: FileFacts, text: str) -> FileFacts:
    """A conda environment file's config facts, plus its MLD705 smells and suppressions."""
    if not is_conda_env(facts.path):
        return facts
    smells = conda_smells(text)
    if not smells:
        return facts
    return replace(facts, smells=facts.smells + smells, suppressions=facts.suppressions + suppressions(text))
