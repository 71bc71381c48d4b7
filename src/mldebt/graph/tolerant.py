"""The graph build made total: facts that do not hold together cost their file, never the run.

Facts come from our own extractor (cache entries are authenticated), so an inconsistency is a
bug; still, one file's bad facts (a call to a function it does not define, a lineage token
naming a site that is not there) must become that file's error, not an internal error that
loses the whole report. The common case pays nothing: only a failed build looks for culprits.
"""

from __future__ import annotations

from collections.abc import Sequence

from mldebt.graph.build import Built, build
from mldebt.model import FileError
from mldebt.parse.facts import FileFacts

__all__ = ["build_tolerant"]


def build_tolerant(facts: Sequence[FileFacts]) -> tuple[Built, list[FileError]]:
    """`build(facts)`, or, when that raises, the build of the files whose own facts build."""
    try:
        return build(facts), []
    except (RecursionError, MemoryError, Exception) as first:
        failure = f"{type(first).__name__}: {first}"
    errors: list[FileError] = []
    kept: list[FileFacts] = []
    for f in facts:
        try:
            build([f])
        except (RecursionError, MemoryError, Exception) as exc:
            errors.append(FileError(f.path, f"inconsistent facts, not analysed ({type(exc).__name__}: {exc})"))
        else:
            kept.append(f)
    if not errors:  # no single file is to blame: a bug across files, to be reported as such
        raise RuntimeError(f"graph build failed: {failure}")
    try:
        return build(kept), errors
    except Exception as exc:
        raise RuntimeError(f"graph build failed: {type(exc).__name__}: {exc}") from exc
