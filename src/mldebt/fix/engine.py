"""Proposing, checking and writing fixes.

`propose` turns findings into `Fix`es (LibCST parses only the files that have a fixable
finding, in worker processes). `fix_project` applies them to a fixed point: each round applies
the fixes whose edits do not overlap, re-analyses the project with the new contents (nothing is
written yet), and keeps a file's changes only if the fixed findings are gone and no finding
appeared; otherwise that round's fixes in the file are dropped and reported. `write` replaces
files atomically and refuses a file whose bytes changed since it was read.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from mldebt.fix import notebook as nbfix
from mldebt.fix.cache import ProposalCache
from mldebt.fix.worker import Unit, run_units
from mldebt.model import Edit, FileError, Finding, Fix, Report

MAX_ROUNDS = 4
FIXABLE = frozenset(
    {"MLD404", "MLD702", "MLD703", "MLD811", "MLD813", "MLD816", "MLD817", "MLD818", "MLD826", "MLD827", "MLD828"}
)
_BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class Applied:
    path: str
    rule: str
    line: int
    cell: int | None
    message: str  # the fix's message


@dataclass(frozen=True, slots=True)
class Dropped:
    path: str
    rule: str
    line: int
    cell: int | None
    reason: str


@dataclass
class FixRun:
    report: Report  # the findings that remain, on the fixed contents
    original: dict[str, bytes] = field(default_factory=dict)  # as read before fixing
    changed: dict[str, bytes] = field(default_factory=dict)  # new contents of changed files
    applied: list[Applied] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)


# ------------------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class _Doc:
    """A file as text: the code units the fixer sees, and how to put edited units back."""

    path: str
    raw: str
    bom: bool
    notebook: bool
    cells: tuple[tuple[str, str], ...] = ()  # notebooks: (cell_type, source) of every cell

    def unit_text(self, cell: int | None) -> str:
        if not self.notebook:
            return self.raw
        if cell is None or not 1 <= cell <= len(self.cells):
            return ""
        return self.cells[cell - 1][1]

    def context(self) -> str:
        if not self.notebook:
            return self.raw
        from mldebt.parse.notebook import _neutralise

        return "\n".join("\n".join(_neutralise(src.splitlines())) for kind, src in self.cells if kind == "code")

    def encode(self, units: Mapping[int | None, str]) -> bytes:
        if not self.notebook:
            text = units.get(None, self.raw)
            return ((_BOM if self.bom else "") + text).encode("utf-8")
        new = {cell - 1: text for cell, text in units.items() if cell is not None}
        return ((_BOM if self.bom else "") + nbfix.replace_sources(self.raw, new)).encode("utf-8")


def _read_doc(path: str, data: bytes) -> _Doc | str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8: not fixed"
    bom = text.startswith(_BOM)
    if bom:
        text = text[1:]
    if path.endswith(".ipynb"):
        try:  # the raw layout is checked when a cell is written back (`replace_sources`)
            cells = tuple(nbfix.cell_sources(text))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return f"notebook not fixed: {exc}"
        return _Doc(path, text, bom, True, cells)
    return _Doc(path, text, bom, False)


def _parse_text(text: str) -> str:
    """A notebook cell as the analysis parsed it: magics become `pass` lines of the same number."""
    from mldebt.parse.notebook import _neutralise

    return "\n".join(_neutralise(text.split("\n")))


def _cp_column(line: str, byte_column: int) -> int:
    """0-based code-point column of a 1-based UTF-8 byte column (positions come from `ast`)."""
    if line.isascii():
        return byte_column - 1
    return len(line.encode("utf-8")[: max(byte_column - 1, 0)].decode("utf-8", errors="ignore"))


# ------------------------------------------------------------------------------------ proposing


Reader = Callable[[str], bytes | None]


def propose(
    findings: Sequence[Finding],
    read: Reader,
    *,
    jobs: int = 1,
    docs: dict[str, _Doc | str] | None = None,
    cache_dir: Path | None = None,
) -> dict[int, Fix]:
    """Fixes for `findings` (by index), from the files' contents as `read` returns them."""
    docs = {} if docs is None else docs
    groups: dict[tuple[str, int | None], list[int]] = {}
    for i, f in enumerate(findings):
        if f.rule in FIXABLE:
            groups.setdefault((f.location.path, f.location.cell), []).append(i)
    units: list[Unit] = []
    keys: list[tuple[str, int | None, list[int]]] = []
    contexts: dict[str, str] = {}
    for (path, cell), indices in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        if path not in docs:
            data = read(path)
            docs[path] = _read_doc(path, data) if data is not None else "cannot read"
        doc = docs[path]
        if isinstance(doc, str):
            continue
        original = doc.unit_text(cell)
        text = _parse_text(original) if doc.notebook else original
        lines = text.split("\n")
        targets = []
        for i in indices:
            loc = findings[i].location
            if not (1 <= loc.line <= len(lines) and 1 <= loc.end_line <= len(lines)):
                continue
            start = (loc.line - 1, _cp_column(lines[loc.line - 1], loc.column))
            end = (loc.end_line - 1, _cp_column(lines[loc.end_line - 1], loc.end_column))
            related = tuple(
                r.line - 1
                for r in findings[i].related
                if r.path == path and r.cell == cell and 1 <= r.line <= len(lines)
            )
            targets.append((findings[i].rule, start, end, findings[i].message, related))
        kept = [i for i in indices if 1 <= findings[i].location.line <= len(lines)]
        if not targets:
            continue
        if path not in contexts:
            contexts[path] = doc.context()
        units.append(Unit(text, contexts[path], tuple(targets)))
        keys.append((path, cell, kept))
    out: dict[int, Fix] = {}
    for (path, cell, indices), (proposals, _error) in zip(
        keys, run_units(units, jobs, ProposalCache(cache_dir)), strict=True
    ):
        doc = docs[path]
        assert not isinstance(doc, str)
        original_lines = doc.unit_text(cell).split("\n")
        parsed_lines = _parse_text(doc.unit_text(cell)).split("\n") if doc.notebook else original_lines
        for i, proposal in zip(indices, proposals, strict=True):
            if proposal is None:
                continue
            edits = tuple(
                Edit(e.start[0] + 1, e.start[1] + 1, e.end[0] + 1, e.end[1] + 1, e.content, cell)
                for e in proposal.edits
            )
            touched = {ln for e in edits for ln in range(e.line - 1, e.end_line)}
            if any(
                ln >= len(original_lines) or original_lines[ln] != parsed_lines[ln]
                for ln in touched
                if ln < len(parsed_lines)
            ):
                continue  # a magic line: the cell's text is not what was parsed there
            out[i] = Fix(proposal.applicability, proposal.message, edits)
    return out


def disk_reader(root: Path) -> Reader:
    def read(path: str) -> bytes | None:
        try:
            return (root / path).read_bytes()
        except OSError:
            return None

    return read


def attach(report: Report, root: Path, *, jobs: int = 1, cache_dir: Path | None = None) -> Report:
    """`report` with a `fix` on every finding that has one (for the report formats)."""
    if not any(f.rule in FIXABLE for f in report.findings):
        return report
    try:
        fixes = propose(report.findings, disk_reader(root), jobs=jobs, cache_dir=cache_dir)
    except Exception:  # a fixer's bug must not cost the report: the findings go out without fixes
        return report
    if not fixes:
        return report
    findings = tuple(replace(f, fix=fixes.get(i)) for i, f in enumerate(report.findings))
    return replace(report, findings=findings)


# ------------------------------------------------------------------------------------- applying


def _offsets(text: str) -> list[int]:
    starts = [0]
    for i, c in enumerate(text):
        if c == "\n":
            starts.append(i + 1)
    return starts


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    starts = _offsets(text)

    def offset(line: int, col: int) -> int:
        return starts[line - 1] + col - 1

    out = text
    for e in sorted(edits, key=lambda e: (e.line, e.column, e.end_line, e.end_column), reverse=True):
        a, b = offset(e.line, e.column), offset(e.end_line, e.end_column)
        out = out[:a] + e.content + out[b:]
    return out


def placed(text: str, edits: Sequence[Edit]) -> list[tuple[int, int, int, int]]:
    """Where each edit's new text stands once all are applied: 1-based (line, column, end_line, end_column)."""
    starts = _offsets(text)
    spans = [(starts[e.line - 1] + e.column - 1, starts[e.end_line - 1] + e.end_column - 1) for e in edits]
    new = apply_edits(text, edits)
    new_starts = _offsets(new)

    def position(offset: int) -> tuple[int, int]:
        line = max(i for i in range(len(new_starts)) if new_starts[i] <= offset) if offset else 0
        return line + 1, offset - new_starts[line] + 1

    out = []
    for (a, _b), e in zip(spans, edits, strict=True):
        shift = sum(
            len(o.content) - (ob - oa) for (oa, ob), o in zip(spans, edits, strict=True) if ob <= a and o is not e
        )
        start = a + shift
        (sl, sc), (el, ec) = position(start), position(start + len(e.content))
        out.append((sl, sc, el, ec))
    return out


def _overlaps(a: Edit, b: Edit) -> bool:
    a0, a1 = (a.line, a.column), (a.end_line, a.end_column)
    b0, b1 = (b.line, b.column), (b.end_line, b.end_column)
    if a0 == b0:
        return True
    return a0 < b1 and b0 < a1


def _select(candidates: Sequence[tuple[int, Fix]]) -> list[tuple[int, Fix]]:
    """Fixes whose edits overlap no fix taken before them (the rest waits for the next round)."""
    taken: list[tuple[int, Fix]] = []
    edits: list[Edit] = []
    for i, fix in candidates:
        if any(_overlaps(e, t) for e in fix.edits for t in edits if e.cell == t.cell):
            continue
        taken.append((i, fix))
        edits.extend(fix.edits)
    return taken


def fix_project(
    analyse: Callable[[Mapping[str, bytes]], Report],
    root: Path,
    *,
    unsafe: bool,
    jobs: int = 1,
    rounds: int = MAX_ROUNDS,
    first: Report | None = None,
    cache_dir: Path | None = None,
) -> FixRun:
    """Fix what `analyse` (a function of an overlay of new contents) finds, to a fixed point.

    `first` is the report on the files as they are, if the caller has it already.
    """
    report = first if first is not None else analyse({})
    run = FixRun(report)
    read_disk = disk_reader(root)
    banned: set[tuple[str, str, str]] = set()  # (path, rule, fingerprint) whose fix was dropped

    def read(path: str) -> bytes | None:
        if path in run.changed:
            return run.changed[path]
        data = read_disk(path)
        if data is not None:
            run.original.setdefault(path, data)
        return data

    for _ in range(rounds):
        fixes = propose(report.findings, read, jobs=jobs, cache_dir=cache_dir)
        allowed = {
            i: fx
            for i, fx in fixes.items()
            if (unsafe or fx.applicability == "safe")
            and (report.findings[i].location.path, report.findings[i].rule, report.findings[i].fingerprint)
            not in banned
        }
        if not allowed:
            break
        by_path: dict[str, list[tuple[int, Fix]]] = {}
        for i, fx in sorted(allowed.items()):
            by_path.setdefault(report.findings[i].location.path, []).append((i, fx))
        new_contents: dict[str, bytes] = {}
        taken_by_path: dict[str, list[tuple[int, Fix]]] = {}
        spots: dict[str, list[_Spot]] = {}
        for path, cands in by_path.items():
            taken = _select(cands)
            data = read(path)
            doc = _read_doc(path, data) if data is not None else "cannot read"
            if isinstance(doc, str):
                continue
            units: dict[int | None, list[Edit]] = {}
            for _i, fx in taken:
                for e in fx.edits:
                    units.setdefault(e.cell, []).append(e)
            try:
                new = doc.encode({cell: apply_edits(doc.unit_text(cell), edits) for cell, edits in units.items()})
            except (ValueError, KeyError, IndexError) as exc:
                run.errors.append(FileError(path, f"fix not written: {exc}"))
                for i, _fx in taken:
                    f = report.findings[i]
                    banned.add((path, f.rule, f.fingerprint))
                continue
            if new != data:
                new_contents[path] = new
                taken_by_path[path] = taken
                spots[path] = _spots(doc, report, taken)
        if not new_contents:
            break
        accepted = dict(new_contents)
        after = analyse({**run.changed, **accepted})
        for _attempt in range(len(new_contents)):
            failed = _verify(report, after, {p: taken_by_path[p] for p in accepted}, spots)
            if not failed:
                break
            for path, (reason, culprit) in failed.items():
                for i, _fx in taken_by_path[path]:
                    f = report.findings[i]
                    if culprit is None or f.rule == culprit:
                        banned.add((path, f.rule, f.fingerprint))
                        run.dropped.append(Dropped(path, f.rule, f.location.line, f.location.cell, reason))
                    # the file's other fixes are not applied this round, and are proposed again next round
                del accepted[path]
            after = analyse({**run.changed, **accepted})
        else:
            accepted = {}
            after = analyse(dict(run.changed))
        for path, new in accepted.items():
            run.changed[path] = new
            for i, fx in taken_by_path[path]:
                f = report.findings[i]
                run.applied.append(Applied(path, f.rule, f.location.line, f.location.cell, fx.message))
        report = after
        if not accepted:
            break
    run.report = report
    for path, data in list(run.changed.items()):
        if run.original.get(path) == data:
            del run.changed[path]
    return run


@dataclass(frozen=True, slots=True)
class _Spot:
    """Where a fix's edits stand after it is applied (1-based, in its cell for notebooks)."""

    rule: str
    cell: int | None
    line: int  # the line the fixed finding starts on, after the edits
    ranges: tuple[tuple[int, int, int, int], ...]


def _spots(doc: _Doc, report: Report, taken: Sequence[tuple[int, Fix]]) -> list[_Spot]:
    by_cell: dict[int | None, list[tuple[int, Edit]]] = {}
    for i, fx in taken:
        for e in fx.edits:
            by_cell.setdefault(e.cell, []).append((i, e))
    out: list[_Spot] = []
    for cell, items in by_cell.items():
        ranges = placed(doc.unit_text(cell), [e for _, e in items])
        for i, _fx in taken:
            mine = tuple(r for (j, _e), r in zip(items, ranges, strict=True) if j == i)
            if mine:
                out.append(_Spot(report.findings[i].rule, cell, mine[0][0], mine))
    return out


def _inside(f: Finding, r: tuple[int, int, int, int]) -> bool:
    loc = f.location
    return ((loc.line, loc.column) < (r[2], r[3]) and (r[0], r[1]) < (loc.end_line, loc.end_column)) or (
        loc.line,
        loc.column,
    ) == (r[0], r[1])


def _unmasked(after: Report, path: str, rule: str, spots: Sequence[_Spot]) -> int:
    """Findings of `rule` on the line of a fix that lie outside its edits: reported once per line
    before (the fixed one hid them), not made by the fix."""
    n = 0
    for f in after.findings:
        if f.location.path != path or f.rule != rule:
            continue
        mine = [s for s in spots if s.rule == rule and s.cell == f.location.cell and s.line == f.location.line]
        if mine and not any(_inside(f, r) for s in mine for r in s.ranges):
            n += 1
    return n


def _verify(
    before: Report,
    after: Report,
    taken: Mapping[str, list[tuple[int, Fix]]],
    spots: Mapping[str, list[_Spot]],
) -> dict[str, tuple[str, str | None]]:
    """Changed files whose fixes fail, with the reason and the rule to blame (None: all of them).

    A fixed finding must be gone: its file's count for the rule drops by the number fixed. No
    finding may appear: no (file, rule) count rises. Findings of a fixed rule that were hidden
    behind the fixed one (once per line) and lie outside the edits do not count as new.
    """
    count_before = Counter((f.location.path, f.rule) for f in before.findings)
    count_after = Counter((f.location.path, f.rule) for f in after.findings)
    fixed = Counter((path, before.findings[i].rule) for path, items in taken.items() for i, _ in items)
    failed: dict[str, tuple[str, str | None]] = {}
    for (path, rule), n in sorted(fixed.items()):
        unmasked = _unmasked(after, path, rule, spots.get(path, []))
        if count_after[(path, rule)] > count_before[(path, rule)] - n + unmasked:
            failed.setdefault(path, (f"the {rule} finding is still reported after the fix", rule))
    for (path, rule), n in sorted(count_after.items()):
        allowed = count_before[(path, rule)] - fixed.get((path, rule), 0)
        if fixed.get((path, rule)):
            allowed += _unmasked(after, path, rule, spots.get(path, []))
        if n > allowed and path not in failed:
            if path in taken:
                failed[path] = (f"the fix would introduce a new {rule} finding", None)
            else:  # a finding appeared in a file no fix touched: blame every changed file
                for p in taken:
                    failed.setdefault(p, (f"the fix would introduce a new {rule} finding in {path}", None))
    new_errors = {e.path for e in after.errors} - {e.path for e in before.errors}
    for path in sorted(new_errors & set(taken)):
        failed.setdefault(path, ("the fixed file no longer parses", None))
    return failed


# -------------------------------------------------------------------------------------- output


def diff(run_original: Mapping[str, bytes], changed: Mapping[str, bytes]) -> str:
    import difflib  # only `--diff` needs it

    out: list[str] = []
    for path in sorted(changed):
        old = run_original.get(path, b"").decode("utf-8", errors="replace")
        new = changed[path].decode("utf-8", errors="replace")
        for line in difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=f"a/{path}", tofile=f"b/{path}"
        ):
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def write(root: Path, original: Mapping[str, bytes], changed: Mapping[str, bytes]) -> list[FileError]:
    """Replace each changed file atomically; a file changed on disk since it was read is left alone."""
    errors: list[FileError] = []
    for path in sorted(changed):
        target = root / path
        try:
            current = target.read_bytes()
        except OSError as exc:
            errors.append(FileError(path, f"fix not written: cannot read the file again: {exc.strerror or exc}"))
            continue
        if current != original.get(path):
            errors.append(FileError(path, "fix not written: the file changed since it was analysed"))
            continue
        try:
            mode = target.stat().st_mode & 0o7777
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".mldebt-fix", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(changed[path])
                    fh.flush()
                    os.fsync(fh.fileno())
                os.chmod(tmp, mode)
                os.replace(tmp, target)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError as exc:
            errors.append(FileError(path, f"fix not written: {exc.strerror or exc}"))
    return errors
