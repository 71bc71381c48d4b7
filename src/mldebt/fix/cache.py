"""Content-hash cache of fix proposals, so a warm `mldebt check` does not parse with LibCST again.

Keyed on the unit's text and context, its findings' spans, the fix package's own source and
libcst's version. One JSON file per entry at `DIR/fixes/ab/abcdef....json`, written atomically;
anything unexpected on reading is a miss (no pickle: a committed cache must not run code).
Entries are authenticated like the facts cache's (an HMAC with the user's key, kept outside the
repository): a proposal is text that `--fix` writes into source files, so a committed or
copied entry is never believed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from mldebt.fix.proposal import Proposal, RawEdit
from mldebt.parse.cache import read_signed, user_key, write_signed

LAYOUT = "fixes"


@lru_cache(maxsize=1)
def _salt() -> str:
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(here.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update(_libcst_version())
    return digest.hexdigest()


def _libcst_version() -> bytes:
    """LibCST's version file, found without importing LibCST or `importlib.metadata` (about
    20 ms of import each: a tenth of a small project's whole run)."""
    try:
        spec = importlib.util.find_spec("libcst")
    except (ImportError, ValueError):
        return b""
    if spec is None or not spec.origin:
        return b""
    try:
        return (Path(spec.origin).parent / "_version.py").read_bytes()
    except OSError:
        return spec.origin.encode()


def key(text: str, context: str, targets: object) -> str:
    digest = hashlib.sha256(_salt().encode())
    for part in (text, context, json.dumps(targets, ensure_ascii=False)):
        digest.update(b"\0" + part.encode("utf-8", errors="surrogatepass"))
    return digest.hexdigest()


def _encode(proposals: tuple[Proposal | None, ...]) -> str:
    rows: list[Any] = [
        None
        if p is None
        else [p.applicability, p.message, [[e.start[0], e.start[1], e.end[0], e.end[1], e.content] for e in p.edits]]
        for p in proposals
    ]
    return json.dumps(rows, ensure_ascii=False)


def _decode(text: str, n: int) -> tuple[Proposal | None, ...] | None:
    try:
        rows = json.loads(text)
    except ValueError:
        return None
    if not isinstance(rows, list) or len(rows) != n:
        return None
    out: list[Proposal | None] = []
    for row in rows:
        if row is None:
            out.append(None)
            continue
        if not (isinstance(row, list) and len(row) == 3 and row[0] in ("safe", "unsafe") and isinstance(row[1], str)):
            return None
        edits = []
        if not isinstance(row[2], list):
            return None
        for e in row[2]:
            if not (
                isinstance(e, list)
                and len(e) == 5
                and all(type(v) is int and v >= 0 for v in e[:4])
                and isinstance(e[4], str)
            ):
                return None
            edits.append(RawEdit((e[0], e[1]), (e[2], e[3]), e[4]))
        out.append(Proposal(row[0], row[1], tuple(edits)))
    return tuple(out)


class ProposalCache:
    def __init__(self, directory: Path | None) -> None:
        self.directory = directory / LAYOUT if directory is not None else None

    def _path(self, k: str) -> Path | None:
        return self.directory / k[:2] / f"{k}.json" if self.directory is not None else None

    def get(self, k: str, n: int) -> tuple[Proposal | None, ...] | None:
        path = self._path(k)
        secret = user_key() if path is not None else None
        if path is None or secret is None:
            return None
        payload = read_signed(path, secret)  # committed, copied or edited: not believed
        if payload is None:
            return None
        try:
            return _decode(payload.decode("utf-8"), n)
        except UnicodeDecodeError:
            return None

    def put(self, k: str, proposals: tuple[Proposal | None, ...]) -> None:
        path = self._path(k)
        secret = user_key() if path is not None else None
        if path is None or secret is None:
            return
        write_signed(path, _encode(proposals).encode("utf-8", "surrogatepass"), secret)
