"""The one entry point of the parse layer: bytes of a discovered file -> FileFacts.

Module-level so worker processes can receive it; it dispatches on the file's kind. The
extractors are imported when a file first needs one: a warm run served from the cache never
loads the detectors, YAML or the notebook reader.
"""

from __future__ import annotations

import io
import tokenize

from mldebt.discover import SourceFile
from mldebt.parse.errors import FileSkipped
from mldebt.parse.facts import FileFacts


def extract(source: SourceFile, data: bytes, module: str) -> FileFacts:
    text = _decode(source, data)
    if source.kind == "python":
        from mldebt.parse.python import python_facts

        return python_facts(source.rel, text, module)
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
