"""The one entry point of the parse layer: bytes of a discovered file -> FileFacts.

Module-level so worker processes can receive it; it dispatches on the file's kind. The
extractors are imported when a file first needs one: a warm run served from the cache never
loads the detectors, YAML or the notebook reader. Values of secret-looking config keys are
redacted here (`secrets.py`), before facts are cached or used.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from dataclasses import replace

from mldebt.discover import SourceFile
from mldebt.parse.errors import FileSkipped
from mldebt.parse.facts import FileFacts
from mldebt.parse.secrets import redact_secrets
from mldebt.parse.suppressions import parse_suppressions
from mldebt.parse.syntax import newer_syntax

_SYNTAX = re.compile(r"^syntax error: (?P<msg>.*?)(?: \(line (?P<line>\d+|None)\))?$", re.S)


def extract(source: SourceFile, data: bytes, module: str) -> FileFacts:
    return redact_secrets(_with_suppressions(source, data, module))


def _with_suppressions(source: SourceFile, data: bytes, module: str) -> FileFacts:
    text = _decode(source, data)
    facts = _extract(source, text, module)
    if source.kind in ("config", "launcher", "requirements") and not source.rel.lower().endswith(".json"):
        found = parse_suppressions(text)  # `#` comments in YAML, TOML, requirements, Makefiles, shell
        if found != facts.suppressions:
            facts = replace(facts, suppressions=found)
    return facts


def _extract(source: SourceFile, text: str, module: str) -> FileFacts:
    if source.kind == "python":
        from mldebt.parse.python import python_facts

        try:
            return python_facts(source.rel, text, module)
        except FileSkipped as exc:
            raise _true_reason(exc, text) from None
    if source.kind == "notebook":
        from mldebt.parse.notebook import notebook_facts

        return notebook_facts(source.rel, text, module)
    if source.kind == "config":
        from mldebt.parse.configs import config_facts
        from mldebt.parse.requirements import with_conda_smells

        return with_conda_smells(config_facts(source.rel, text), text)
    if source.kind == "requirements":
        from mldebt.parse.requirements import requirements_facts

        return requirements_facts(source.rel, text)
    if source.kind == "launcher":
        from mldebt.parse.configs import launcher_facts

        return launcher_facts(source.rel, text)
    raise FileSkipped(f"unknown file kind {source.kind!r}")


def _quiet_parse(text: str) -> None:
    with warnings.catch_warnings():  # SyntaxWarnings about the analysed code are not ours to print
        warnings.simplefilter("ignore")
        ast.parse(text)


def _true_reason(exc: FileSkipped, text: str) -> FileSkipped:
    """A syntax error said truly: newer syntax than this Python names the version it needs;
    valid Python that a parser below us refused is not called a syntax error."""
    m = _SYNTAX.match(str(exc))
    if m is None:
        return exc
    hint = newer_syntax(text, exc.line, m["msg"])
    if hint is not None:
        return FileSkipped(f"{exc}: {hint}", exc.line)
    try:
        _quiet_parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return exc  # a real syntax error
    return FileSkipped(f"valid Python that the parser could not handle, not analysed ({m['msg']})", exc.line)


def _decode(source: SourceFile, data: bytes) -> str:
    encoding = "utf-8-sig"
    if source.kind == "python":
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            raise FileSkipped(f"bad source encoding: {exc}") from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise FileSkipped(f"cannot decode as {encoding}: {exc}") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")
