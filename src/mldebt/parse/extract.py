"""The one entry point of the parse layer: bytes of a discovered file -> FileFacts.

Module-level so worker processes can receive it; it dispatches on the file's kind.
"""

from __future__ import annotations

import io
import tokenize
from dataclasses import replace

from mldebt.discover import SourceFile
from mldebt.parse.configs import config_facts, launcher_facts
from mldebt.parse.errors import FileSkipped
from mldebt.parse.facts import FileFacts
from mldebt.parse.notebook import notebook_facts
from mldebt.parse.python import python_facts
from mldebt.parse.requirements import requirements_facts, with_conda_smells
from mldebt.parse.suppressions import parse_suppressions


def extract(source: SourceFile, data: bytes, module: str) -> FileFacts:
    text = _decode(source, data)
    facts = _extract(source, text, module)
    if source.kind in ("config", "launcher", "requirements") and not source.rel.lower().endswith(".json"):
        found = parse_suppressions(text)  # `#` comments in YAML, TOML, requirements, Makefiles, shell
        if found != facts.suppressions:
            facts = replace(facts, suppressions=found)
    return facts


def _extract(source: SourceFile, text: str, module: str) -> FileFacts:
    if source.kind == "python":
        return python_facts(source.rel, text, module)
    if source.kind == "notebook":
        return notebook_facts(source.rel, text, module)
    if source.kind == "config":
        return with_conda_smells(config_facts(source.rel, text), text)
    if source.kind == "requirements":
        return requirements_facts(source.rel, text)
    if source.kind == "launcher":
        return launcher_facts(source.rel, text)
    raise FileSkipped(f"unknown file kind {source.kind!r}")


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
