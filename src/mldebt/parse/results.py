"""The last report, kept beside the facts cache: a scan where nothing changed is a lookup.

A warm scan of an unchanged project would decode every file's facts, rebuild the graph and
rerun every rule to print the same findings. Instead, the report (findings, errors, summary)
is stored under a key that covers everything it depends on: the cache version, mldebt's own
source and rule docs, the settings that change findings, the root, the discovery errors and,
for each discovered file, its path, kind, module and content key (or why it was not read).
If any of these differs the scan runs as usual and the entry is replaced.

One entry per (root, paths, settings) at `DIR/results-v1/<slot>.json`, so the directory does
not grow with each edit. Like the facts, entries are JSON, decoded by an allow-list of model
classes with every value's type checked; anything unexpected is a miss.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from mldebt.catalog import docs_dir
from mldebt.config import Settings
from mldebt.model import Confidence, FileError, Finding, Location, Related, Severity, Summary
from mldebt.parse.cache import CACHE_VERSION

LAYOUT = "results-v1"


@dataclasses.dataclass(frozen=True, slots=True)
class Stored:
    findings: tuple[Finding, ...]
    errors: tuple[FileError, ...]
    summary: Summary


@lru_cache(maxsize=1)
def _installation() -> str:
    """mldebt's own source and rule docs: a changed rule or doc never serves a stale report."""
    digest = hashlib.sha256(CACHE_VERSION.encode())
    package = Path(__file__).resolve().parents[1]
    paths = sorted(package.rglob("*.py"))
    try:
        paths += sorted(docs_dir().glob("MLD*.md"))
    except OSError:
        pass
    for path in paths:
        digest.update(path.as_posix().encode("utf-8", "surrogateescape"))
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"?")
    return digest.hexdigest()


def _settings_text(settings: Settings) -> str:
    """The settings that can change a report (not how it is printed, nor how many workers)."""
    relevant = dataclasses.replace(settings, jobs=None, output_format="text", no_cache=False)
    return repr(relevant)


def slot(root: Path, paths: Sequence[str], settings: Settings) -> str:
    h = hashlib.sha256()
    for text in (root.as_posix(), "\0".join(paths), _settings_text(settings)):
        part = text.encode("utf-8", "surrogateescape")
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def project_key(slot_key: str, rows: Sequence[tuple[str, ...]]) -> str:
    """`rows`: per discovered file (path, kind, module, content key or error), and errors."""
    h = hashlib.sha256()
    for text in (_installation(), slot_key):
        h.update(text.encode())
    for row in rows:
        for text in row:
            part = text.encode("utf-8", "surrogateescape")
            h.update(len(part).to_bytes(8, "big"))
            h.update(part)
        h.update(b"\n")
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# Codec: explicit, one function per class, every value's type checked.


class _Bad(ValueError):
    pass


def _str(v: object) -> str:
    if type(v) is not str:
        raise _Bad("expected a string")
    return v


def _int(v: object) -> int:
    if type(v) is not int:
        raise _Bad("expected an integer")
    return v


def _opt_int(v: object) -> int | None:
    return None if v is None else _int(v)


def _list(v: object, n: int | None = None) -> list[object]:
    if type(v) is not list or (n is not None and len(v) != n):
        raise _Bad("expected a list")
    return v


def _location(v: object) -> Location:
    p, line, col, end_line, end_col, cell, raw = _list(v, 7)
    return Location(_str(p), _int(line), _int(col), _int(end_line), _int(end_col), _opt_int(cell), _opt_int(raw))


def _related(v: object) -> Related:
    p, line, col, message, cell, raw = _list(v, 6)
    return Related(_str(p), _int(line), _int(col), _str(message), _opt_int(cell), _opt_int(raw))


def _finding(v: object) -> Finding:
    rule, name, category, severity, confidence, message, location, related, fingerprint = _list(v, 9)
    return Finding(
        _str(rule),
        _str(name),
        _str(category),
        Severity(_str(severity)),
        Confidence(_str(confidence)),
        _str(message),
        _location(location),
        tuple(_related(r) for r in _list(related)),
        _str(fingerprint),
    )


def _pairs(v: object) -> tuple[tuple[str, int], ...]:
    out = []
    for item in _list(v):
        name, count = _list(item, 2)
        out.append((_str(name), _int(count)))
    return tuple(out)


def _summary(v: object) -> Summary:
    files, lines, findings, errors, artifacts, io_sites, resolved, by_resolution, by_rule = _list(v, 9)
    return Summary(
        files=_int(files),
        lines=_int(lines),
        findings=_int(findings),
        errors=_int(errors),
        artifacts=_int(artifacts),
        io_sites=_int(io_sites),
        resolved_io_sites=_int(resolved),
        by_resolution=_pairs(by_resolution),
        by_rule=_pairs(by_rule),
    )


def encode(stored: Stored) -> object:
    def loc(x: Location) -> list[object]:
        return [x.path, x.line, x.column, x.end_line, x.end_column, x.cell, x.raw_line]

    def rel(x: Related) -> list[object]:
        return [x.path, x.line, x.column, x.message, x.cell, x.raw_line]

    s = stored.summary
    return {
        "findings": [
            [
                f.rule,
                f.name,
                f.category,
                f.severity.value,
                f.confidence.value,
                f.message,
                loc(f.location),
                [rel(r) for r in f.related],
                f.fingerprint,
            ]
            for f in stored.findings
        ],
        "errors": [[e.path, e.message] for e in stored.errors],
        "summary": [
            s.files,
            s.lines,
            s.findings,
            s.errors,
            s.artifacts,
            s.io_sites,
            s.resolved_io_sites,
            [list(p) for p in s.by_resolution],
            [list(p) for p in s.by_rule],
        ],
    }


def decode(obj: object) -> Stored:
    if type(obj) is not dict:
        raise _Bad("expected an object")
    errors = []
    for item in _list(obj.get("errors")):
        path, message = _list(item, 2)
        errors.append(FileError(_str(path), _str(message)))
    return Stored(
        findings=tuple(_finding(f) for f in _list(obj.get("findings"))),
        errors=tuple(errors),
        summary=_summary(obj.get("summary")),
    )


# ---------------------------------------------------------------------------------------------


def _entry(cache_dir: Path, slot_key: str) -> Path:
    return cache_dir / LAYOUT / f"{slot_key}.json"


def load(cache_dir: Path, slot_key: str, key: str) -> Stored | None:
    """The stored report when its key is `key`; None for a miss (absent, stale, malformed)."""
    try:
        raw = json.loads(_entry(cache_dir, slot_key).read_bytes())
        if type(raw) is not dict or raw.get("key") != key:
            return None
        return decode(raw.get("report"))
    except Exception:  # missing, unreadable, tampered: a miss
        return None


def save(cache_dir: Path, slot_key: str, key: str, stored: Stored) -> None:
    """Store atomically; a cache that cannot be written is simply not used."""
    entry = _entry(cache_dir, slot_key)
    payload = json.dumps({"key": key, "report": encode(stored)}, separators=(",", ":"), ensure_ascii=False)
    tmp = None
    try:
        if not (cache_dir / "CACHEDIR.TAG").is_file() or entry.parent.is_symlink():
            return  # only inside a cache directory mldebt made, never through a planted link
        entry.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(payload)
        os.replace(tmp, entry)
        tmp = None
    except (OSError, ValueError):
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
