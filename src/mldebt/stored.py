"""The last report of a run, kept in the cache directory: a run where nothing changed is a lookup.

A warm run over an unchanged tree would decode every file's facts, rebuild each project's graph
and rerun every rule to print the same report. Instead `mldebt.workspace.run` stores the report
under a key covering everything it depends on: the facts cache version, mldebt's own source and
rule docs, each project's root and settings (those that change findings: not `jobs`,
`no-cache`, `output-format` nor `fail-on`), the discovery errors and, for each discovered file,
its project, path, kind, module and content key (or why it was not read). When the key matches,
the stored report is the answer; else the run goes on and replaces the entry.

One entry per run slot (report root, paths given, run settings) at
`DIR/results-v1/<slot>.json`, so the directory does not grow with each edit. Entries are
authenticated like facts entries (`mldebt.parse.cache`): a first line with the HMAC-SHA256, by
the user's key, of the JSON that follows. A committed or copied entry does not verify and is a
miss: a stored report could otherwise hide or inject findings. The JSON is decoded by hand,
class by class, every value's type checked; anything unexpected is a miss.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from mldebt.config import Settings
from mldebt.model import (
    Confidence,
    FileError,
    Finding,
    FlowEdge,
    Location,
    Related,
    Report,
    RuleInfo,
    Severity,
    Summary,
    SuppressionRecord,
)
from mldebt.parse.cache import read_signed, write_signed

__all__ = ["LAYOUT", "installation", "load", "run_key", "save", "settings_text", "slot"]

LAYOUT = "results-v1"
_T = TypeVar("_T")
_installation: list[str] = []


def installation() -> str:
    """mldebt's own source and rule docs, the facts cache version and the Python running it: a
    changed rule, detector or doc never serves a stale report, even between two builds with the
    same version number."""
    if _installation:
        return _installation[0]
    from mldebt.catalog import docs_dir
    from mldebt.parse.cache import CACHE_VERSION

    digest = hashlib.sha256(f"{CACHE_VERSION}\0{sys.version}".encode())  # `ast` changes with Python
    package = Path(__file__).resolve().parent
    paths = sorted(package.rglob("*.py"))
    try:
        paths += sorted(docs_dir().glob("MLD*.md"))
    except OSError:
        pass
    for path in paths:
        digest.update(path.as_posix().encode("utf-8", "surrogateescape") + b"\0")
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"?")
    _installation.append(digest.hexdigest())
    return _installation[0]


def settings_text(settings: Settings) -> str:
    """The settings that can change a report: not how it is printed, how many workers, nor
    which severity fails the run."""
    return repr(replace(settings, jobs=None, no_cache=False, output_format="text", fail_on="warning"))


def _digest(parts: Sequence[str]) -> str:
    h = hashlib.sha256()
    for text in parts:
        part = text.encode("utf-8", "surrogateescape")
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def slot(root: Path, paths: Sequence[str], settings: Settings) -> str:
    """Where a run's entry lives: one per (report root, paths given, run settings)."""
    return _digest([LAYOUT, root.as_posix(), *paths, "\0", settings_text(settings)])


def run_key(slot_key: str, rows: Sequence[str]) -> str:
    """Everything the report depends on; `rows` describe projects, files and discovery errors."""
    return _digest([installation(), slot_key, *rows])


# ---------------------------------------------------------------------------------------------
# Codec: one function per class, every value's type checked; any surprise raises _Bad.


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


def _bool(v: object) -> bool:
    if type(v) is not bool:
        raise _Bad("expected a boolean")
    return v


def _opt_int(v: object) -> int | None:
    return None if v is None else _int(v)


def _list(v: object, n: int | None = None) -> list[object]:
    if type(v) is not list or (n is not None and len(v) != n):
        raise _Bad("expected a list")
    return v


def _tuple(v: object, item: Callable[[object], _T]) -> tuple[_T, ...]:
    return tuple(item(x) for x in _list(v))


def _location(v: object) -> Location:
    p, line, col, end_line, end_col, cell, raw = _list(v, 7)
    return Location(_str(p), _int(line), _int(col), _int(end_line), _int(end_col), _opt_int(cell), _opt_int(raw))


def _related(v: object) -> Related:
    p, line, col, message, cell, raw = _list(v, 6)
    return Related(_str(p), _int(line), _int(col), _str(message), _opt_int(cell), _opt_int(raw))


def _flow(v: object) -> FlowEdge:
    source, target, kind, source_label, target_label, on_path = _list(v, 6)
    return FlowEdge(_str(source), _str(target), _str(kind), _str(source_label), _str(target_label), _bool(on_path))


def _finding(v: object) -> Finding:
    rule, name, category, severity, confidence, message, location, related, fingerprint, flow = _list(v, 10)
    return Finding(
        _str(rule),
        _str(name),
        _str(category),
        Severity(_str(severity)),
        Confidence(_str(confidence)),
        _str(message),
        _location(location),
        _tuple(related, _related),
        _str(fingerprint),
        _tuple(flow, _flow),
    )


def _error(v: object) -> FileError:
    path, message, partial = _list(v, 3)
    if type(partial) is not bool:
        raise _Bad("expected a bool")
    return FileError(_str(path), _str(message), partial)


def _pair(v: object) -> tuple[str, int]:
    name, count = _list(v, 2)
    return _str(name), _int(count)


def _summary(v: object) -> Summary:
    (files, lines, findings, errors, artifacts, io_sites, resolved, by_resolution, by_rule, cached, suppressed, below,
     in_baseline) = _list(v, 13)  # fmt: skip
    return Summary(
        files=_int(files),
        lines=_int(lines),
        findings=_int(findings),
        errors=_int(errors),
        artifacts=_int(artifacts),
        io_sites=_int(io_sites),
        resolved_io_sites=_int(resolved),
        by_resolution=_tuple(by_resolution, _pair),
        by_rule=_tuple(by_rule, _pair),
        cached_files=_int(cached),
        suppressed=_int(suppressed),
        below_confidence=_int(below),
        in_baseline=_int(in_baseline),
    )


def _rule(v: object) -> RuleInfo:
    id_, name, category, severity, confidence, status, summary, doc, default = _list(v, 9)
    return RuleInfo(
        _str(id_),
        _str(name),
        _str(category),
        Severity(_str(severity)),
        Confidence(_str(confidence)),
        _str(status),
        _str(summary),
        _str(doc),
        _bool(default),
    )


def _record(v: object) -> SuppressionRecord:
    path, line, codes, reason, status, suppressed, cell = _list(v, 7)
    return SuppressionRecord(
        _str(path), _int(line), _tuple(codes, _str), _str(reason), _str(status), _int(suppressed), _opt_int(cell)
    )


def _report(v: object) -> Report:
    version, root, findings, errors, summary, rules, records = _list(v, 7)
    return Report(
        _str(version),
        _str(root),
        _tuple(findings, _finding),
        _tuple(errors, _error),
        _summary(summary),
        _tuple(rules, _rule),
        _tuple(records, _record),
    )


def _encode(report: Report) -> list[object]:
    def loc(x: Location) -> list[object]:
        return [x.path, x.line, x.column, x.end_line, x.end_column, x.cell, x.raw_line]

    def rel(x: Related) -> list[object]:
        return [x.path, x.line, x.column, x.message, x.cell, x.raw_line]

    def flow(x: FlowEdge) -> list[object]:
        return [x.source, x.target, x.kind, x.source_label, x.target_label, x.on_path]

    s = report.summary
    return [
        report.version,
        report.root,
        [
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
                [flow(e) for e in f.flow],
            ]
            for f in report.findings
        ],
        [[e.path, e.message, e.partial] for e in report.errors],
        [
            s.files,
            s.lines,
            s.findings,
            s.errors,
            s.artifacts,
            s.io_sites,
            s.resolved_io_sites,
            [list(p) for p in s.by_resolution],
            [list(p) for p in s.by_rule],
            s.cached_files,
            s.suppressed,
            s.below_confidence,
            s.in_baseline,
        ],
        [
            [r.id, r.name, r.category, r.severity.value, r.confidence.value, r.status, r.summary, r.doc, r.default]
            for r in report.rules
        ],
        [[r.path, r.line, list(r.codes), r.reason, r.status, r.suppressed, r.cell] for r in report.suppressions],
    ]


# ---------------------------------------------------------------------------------------------


def _entry(cache_dir: Path, slot_key: str) -> Path:
    return cache_dir / LAYOUT / f"{slot_key}.json"


def load(cache_dir: Path, slot_key: str, key: str, secret: bytes) -> Report | None:
    """The stored report when its MAC verifies and its key is `key`; None for any miss."""
    payload = read_signed(_entry(cache_dir, slot_key), secret)
    if payload is None:
        return None
    try:
        raw = json.loads(payload)
        if type(raw) is not dict or set(raw) != {"layout", "key", "report"}:
            return None
        if raw["layout"] != LAYOUT or raw["key"] != key:
            return None
        return _report(raw["report"])
    except Exception:  # missing, unreadable, malformed: a miss
        return None


def save(cache_dir: Path, slot_key: str, key: str, secret: bytes, report: Report) -> None:
    """Store atomically, inside a cache directory mldebt made; a cache that cannot be written is
    simply not used. Findings carrying a fix (attached after analysis) are never stored."""
    if any(f.fix is not None for f in report.findings):
        return
    entry = _entry(cache_dir, slot_key)
    payload = json.dumps(
        {"layout": LAYOUT, "key": key, "report": _encode(report)}, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8", "surrogateescape")
    if not (cache_dir / "CACHEDIR.TAG").is_file() or cache_dir.is_symlink():
        return  # only inside a cache directory mldebt made, never through a planted link
    write_signed(entry, payload, secret)
