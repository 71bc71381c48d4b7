"""Runs the extractor over discovered files: read, screen, cache lookup, parallel extraction.

Owns the per-file error policy. A file that cannot be analysed becomes a `FileError` and the run
goes on: too large, binary, holding a NUL byte, undecodable, rejected by the extractor
(`FileSkipped`), an exception inside the extractor, more memory than a worker may use, or a
worker process killed while parsing it. Parts of a file left out (a notebook cell) are errors
too. Facts come back in input order; errors sorted.

Workers are bounded and never outlive the scan: at most one per CPU, each under an address-space
limit (`WORKER_MEMORY`, so a pathological file raises MemoryError in its worker instead of
exhausting the machine), each exiting as soon as its parent is gone; an interrupt (Ctrl-C,
SIGTERM) in the parent terminates them before it propagates.
"""

from __future__ import annotations

import gc
import io
import json
import math
import os
import signal
import sys
import threading
import time
import tokenize
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from mldebt.config import Settings
from mldebt.discover import SourceFile, module_name
from mldebt.model import FileError
from mldebt.parse.cache import Cache
from mldebt.parse.errors import FileSkipped  # re-exported: extractors raise it, we catch it
from mldebt.parse.facts import FileFacts

if TYPE_CHECKING:  # imported when a pool is started: 20 ms, a tenth of a small project's run
    from concurrent.futures import Future, ProcessPoolExecutor

__all__ = ["Collected", "Extract", "FileSkipped", "Screened", "cache_for", "collect_facts", "screen_files"]

Extract = Callable[[SourceFile, bytes, str], FileFacts]
Progress = Callable[[int, int], None]  # (files done since the last call, of which from the cache)

MIN_POOL_FILES = 8  # below this many files to parse, a pool costs more than it saves
MIN_POOL_BYTES = 64 << 10  # nor below this much source (about 0.2 CPU s of parsing): see bench/README.md
MIN_SPLIT_BYTES = 16 << 10  # below the pool, a forked child parses part of this much source or more (`_run_split`)
PARENT_HEAD_START = 4 << 10  # bytes of parsing the parent's other work is worth (decoding what the child sends)
OVERLAP_CACHED = 64  # with this many cached files to decode, new files are parsed meanwhile (`_parse_early`)
MAX_BATCH = 32  # files per task: few enough to balance load, enough to amortise IPC
BINARY_PROBE = 8192
CRASHED = "the parser died on this file (its worker process was killed: a crash or out of memory)"
WORKER_MEMORY = 4 << 30  # bytes of address space per worker process
ISOLATE_BYTES = 1 << 20  # a file this large is parsed in a worker (under WORKER_MEMORY), never in-process
OUT_OF_MEMORY = f"needs more memory than a worker may use ({WORKER_MEMORY >> 20} MiB), not analysed"


@dataclass(frozen=True, slots=True)
class Collected:
    facts: tuple[FileFacts, ...]  # in input order
    errors: tuple[FileError, ...]  # sorted by path
    cached: int  # files whose facts came from the cache


# ---------------------------------------------------------------------------------------------
# Worker side: module-level, so it works with the spawn and forkserver start methods.

_Task = tuple[SourceFile, bytes, str]
_Outcome = tuple[bool, "FileFacts | str"]  # (True, facts) or (False, error message)


def _init_worker() -> None:
    gc.enable()  # the parent pauses it for its run (`workspace.run`); a worker frees its files' trees
    # Ctrl-C is the parent's to handle; workers would only print tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _limit_memory(WORKER_MEMORY)
    parent = os.getppid()
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True, name="mldebt-orphan-watch").start()


def _limit_memory(limit: int) -> None:
    try:
        import resource
    except ImportError:  # not on POSIX
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (OSError, ValueError):
        pass


def _exit_with_parent(parent: int) -> None:
    """A worker whose parent died (SIGKILL, a crash) exits instead of parsing on for nobody."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)


def _extract_one(extract: Extract, task: _Task) -> _Outcome:
    source, data, module = task
    # no cyclic collection while one file is analysed: each pass would walk that file's whole
    # tree and index again (a 16k-statement notebook: 6.4 s with it, 5.2 s without); the
    # collector runs between files, when the file's objects are garbage
    collecting = gc.isenabled()
    gc.disable()
    try:
        with warnings.catch_warnings():  # SyntaxWarnings about the analysed code would reach the terminal
            warnings.simplefilter("ignore")
            result = extract(source, data, module)
    except FileSkipped as exc:
        return False, str(exc)
    except MemoryError:
        return False, OUT_OF_MEMORY
    except RecursionError:
        return False, "nested too deeply to analyse"
    except (Exception, SystemExit) as exc:
        return False, f"internal error while analysing this file: {type(exc).__name__}: {exc}"
    finally:
        if collecting:
            gc.enable()
    if not isinstance(result, FileFacts):
        return False, f"internal error while analysing this file: extractor returned {type(result).__name__}"
    return True, result


def _extract_batch(extract: Extract, batch: list[_Task]) -> list[_Outcome]:
    return [_extract_one(extract, task) for task in batch]


def _extract_and_store(extract: Extract, batch: list[_Task], cache_dir: Path, keys: list[str]) -> list[_Outcome]:
    """A pool worker's batch, its facts written to the cache here: encoding them is a good
    share of a cold run, and in the parent it would not run in parallel."""
    outcomes = _extract_batch(extract, batch)
    cache = Cache(cache_dir)
    for key, (ok, value) in zip(keys, outcomes, strict=True):
        if ok:
            assert isinstance(value, FileFacts)
            cache.put(key, value)
    return outcomes


# ---------------------------------------------------------------------------------------------
# Parent side


NOTEBOOK_SIZE_FACTOR = 25  # a notebook's size is mostly outputs and images, not code


def _screen(source: SourceFile, max_size: int, replaced: bytes | None = None) -> bytes | str:
    """The file's bytes, or the message saying why it is not analysed."""
    if source.kind == "notebook":
        max_size *= NOTEBOOK_SIZE_FACTOR
    if replaced is not None:
        data, size = replaced, len(replaced)
    else:
        try:
            with source.path.open("rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                data = fh.read(max_size + 1) if size <= max_size else b""
                size = max(size, len(data))  # the file may have grown since
        except OSError as exc:
            return f"cannot read file: {exc.strerror or exc}"
    if size > max_size:
        return f"file is larger than the size limit ({size} bytes > {max_size}); raise max-file-size to analyse it"
    nul = data.find(b"\0", 0, None if source.kind == "python" else BINARY_PROBE)  # CPython refuses any
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        if nul < BINARY_PROBE:
            return f"binary file (a NUL byte on line {line}), not analysed"
        return f"contains a NUL byte (line {line}), not analysed"
    encoding = "utf-8"
    cookie_error = None
    if source.kind == "python":
        try:  # honours a PEP 263 coding cookie and a UTF-8 BOM
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:  # an unknown codec, or undecodable first lines
            cookie_error = f"bad encoding declaration: {exc.msg}"
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        name = "UTF-8" if encoding.startswith("utf-8") else encoding
        return f"not valid {name} (byte 0x{data[exc.start]:02x} at offset {exc.start})"
    return cookie_error or data


def _module_for(source: SourceFile) -> str:
    return module_name(source.rel) if source.kind in ("python", "notebook") else ""


def _workers(settings: Settings) -> int:
    cpus = os.cpu_count() or 1
    return max(1, min(settings.jobs, cpus) if settings.jobs is not None else cpus)  # never more than CPUs


def _run_in_process(extract: Extract, tasks: list[_Task], progress: Progress | None = None) -> list[_Outcome]:
    if progress is None:
        return _extract_batch(extract, tasks)
    outcomes = []
    for task in tasks:
        outcomes.append(_extract_one(extract, task))
        progress(1, 0)
    return outcomes


def _can_split(workers: int, tasks: Sequence[_Task]) -> bool:
    """Whether `_run_split` may run: a second CPU, enough source, and a `fork` that is safe
    without `exec` (POSIX; not macOS, where system frameworks may not survive one)."""
    return (
        workers >= 2
        and len(tasks) >= 2
        and sum(len(data) for _, data, _ in tasks) >= MIN_SPLIT_BYTES
        and hasattr(os, "fork")
        and sys.platform != "darwin"
    )


def _halves(tasks: Sequence[_Task]) -> tuple[list[int], list[int]]:
    """Task indices for the parent and for the child, about even by bytes (the parent's other
    work counted as `PARENT_HEAD_START` bytes), largest files first; each list in task order."""
    load = [PARENT_HEAD_START, 0]
    sides: tuple[list[int], list[int]] = ([], [])
    for i in sorted(range(len(tasks)), key=lambda i: (-len(tasks[i][1]), i)):
        side = 0 if load[0] <= load[1] else 1
        sides[side].append(i)
        load[side] += len(tasks[i][1])
    return sorted(sides[0]), sorted(sides[1])


def _run_split(
    extract: Extract,
    tasks: list[_Task],
    progress: Progress | None = None,
    store: tuple[Cache, list[str]] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> tuple[list[_Outcome], set[int]]:
    """Outcomes in task order, parsed by this process and a forked child at the same time:
    a project too small for a pool still has a second core. The child inherits the imported
    extractors, stores its facts in the cache (`store`: the cache and each task's key) and
    sends them back as the cache's JSON, a line for each file as it is done, through a pipe;
    it never prints and exits with `os._exit`. This process parses its own files, then runs
    `meanwhile`, then decodes the child's lines as they come and reaps it. A file whose line
    does not come whole (the child died, or `fork` failed) is parsed here: the same facts, so
    the report does not depend on the child. Also returns the tasks whose facts the child
    stored."""
    mine, theirs = _halves(tasks)
    _preload()  # imported once, before the fork: the child inherits the modules
    try:
        read_fd, write_fd = os.pipe()
    except OSError:
        return _unsplit(extract, tasks, progress, meanwhile)
    try:
        with warnings.catch_warnings():  # Python 3.12+ warns of a fork with threads running (a
            warnings.simplefilter("ignore", DeprecationWarning)  # progress bar's timer): the child uses none
            pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return _unsplit(extract, tasks, progress, meanwhile)
    if pid == 0:  # the child: never returns
        _split_child(extract, [tasks[i] for i in theirs], read_fd, write_fd, store, [*theirs])
    os.close(write_fd)
    outcomes: list[_Outcome | None] = [None] * len(tasks)
    stored: set[int] = set()
    try:
        for i in mine:
            outcomes[i] = _extract_one(extract, tasks[i])
            if progress is not None:
                progress(1, 0)
        if meanwhile is not None:
            meanwhile()
        # each file's line is decoded as it comes, while the child parses the next
        with os.fdopen(read_fd, "rb", buffering=0) as pipe:
            pending = b""
            n = 0
            while chunk := pipe.read(1 << 16):
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    outcome = _received(line) if n < len(theirs) else None
                    if outcome is not None:
                        outcomes[theirs[n]] = outcome
                        if store is not None and outcome[0]:
                            stored.add(theirs[n])
                    n += 1
        os.waitpid(pid, 0)
        pid = 0
    except BaseException:  # Ctrl-C, SIGTERM: the child must not outlive the scan
        if pid:
            _stop_child(pid)
        raise
    for i in theirs:
        if outcomes[i] is None:  # nothing whole from the child: parsed here
            outcomes[i] = _extract_one(extract, tasks[i])
    if progress is not None and theirs:
        progress(len(theirs), 0)
    assert all(o is not None for o in outcomes)
    return outcomes, stored  # type: ignore[return-value]


def _unsplit(
    extract: Extract, tasks: list[_Task], progress: Progress | None, meanwhile: Callable[[], object] | None
) -> tuple[list[_Outcome], set[int]]:
    outcomes = _run_in_process(extract, tasks, progress)
    if meanwhile is not None:
        meanwhile()
    return outcomes, set()


def _split_child(
    extract: Extract,
    tasks: list[_Task],
    read_fd: int,
    write_fd: int,
    store: tuple[Cache, list[str]] | None,
    indices: list[int],
) -> NoReturn:
    status = 1
    try:
        os.close(read_fd)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        parent = os.getppid()  # killed (SIGKILL, a crash), it leaves no child parsing for nobody
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True, name="mldebt-orphan-watch").start()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)  # nothing the child does may reach the terminal
        os.dup2(devnull, 2)
        sys.stdout = sys.stderr = open(devnull, "w", closefd=False)  # noqa: SIM115 - `os._exit` ends it
        from mldebt.parse.cache import encode_facts

        for task, index in zip(tasks, indices, strict=True):
            ok, value = _extract_one(extract, task)
            if ok:
                assert isinstance(value, FileFacts)
                if store is not None:
                    store[0].put(store[1][index], value)
                line = "F" + encode_facts(value)
            else:
                line = "E" + json.dumps(value)
            view = memoryview((line + "\n").encode("utf-8", "surrogatepass"))  # one line, one file
            while view:
                view = view[os.write(write_fd, view) :]
        status = 0
    except BaseException:  # the parent parses these files itself
        pass
    finally:
        os._exit(status)


def _received(line: bytes) -> _Outcome | None:
    """One file's outcome as the child sent it, or None when it cannot be read back."""
    from mldebt.parse.cache import CodecError, decode_facts

    try:
        text = line.decode("utf-8", "surrogatepass")
        if text.startswith("F"):
            return True, decode_facts(text[1:])
        message = json.loads(text[1:]) if text.startswith("E") else None
    except (UnicodeDecodeError, CodecError, ValueError):
        return None
    return (False, message) if isinstance(message, str) else None


def _stop_child(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        os.waitpid(pid, 0)
    except OSError:
        pass


def _preload() -> None:
    """Import the extractors in the parent before the pool forks: workers then share them
    instead of each importing them again (they are imported lazily, see extract.py)."""
    from mldebt.parse import configs, notebook, python, requirements  # noqa: F401
    from mldebt.parse.detectors import detectors

    detectors()


def _run_in_pool(
    extract: Extract,
    tasks: list[_Task],
    workers: int,
    store: tuple[Path, list[str]] | None = None,
    progress: Progress | None = None,
) -> tuple[list[_Outcome], set[int]]:
    """Outcomes in task order, and the tasks whose facts the workers stored in the cache
    (`store`: the cache directory and each task's key). A worker's death costs only the file
    that killed it."""
    return _Pooled(extract, tasks, workers, store).results(progress)


class _Pooled:
    """Files being parsed in a worker pool: submitted at construction, gathered by `results`,
    so the parent can do other work (decode cached facts) in between."""

    def __init__(
        self, extract: Extract, tasks: list[_Task], workers: int, store: tuple[Path, list[str]] | None
    ) -> None:
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        _preload()
        self.extract, self.tasks, self.store = extract, tasks, store
        self.size = size = max(1, min(MAX_BATCH, math.ceil(len(tasks) / (workers * 4))))
        self.starts = starts = list(range(0, len(tasks), size))
        self.pool = pool = ProcessPoolExecutor(max_workers=min(workers, len(starts)), initializer=_init_worker)
        self.futures: list[Future[list[_Outcome]] | None] = []
        try:
            for start in starts:
                try:
                    batch = tasks[start : start + size]
                    if store is None:
                        self.futures.append(pool.submit(_extract_batch, extract, batch))
                    else:
                        keys = store[1][start : start + size]
                        self.futures.append(pool.submit(_extract_and_store, extract, batch, store[0], keys))
                except BrokenProcessPool:  # a worker already died: the rest waits for isolation
                    self.futures.extend([None] * (len(starts) - len(self.futures)))
                    break
        except BaseException:  # Ctrl-C, SIGTERM: no worker may outlive the scan
            _terminate(pool)
            raise

    def cancel(self) -> None:
        _terminate(self.pool)

    def results(self, progress: Progress | None = None) -> tuple[list[_Outcome], set[int]]:
        from concurrent.futures.process import BrokenProcessPool

        tasks, size, store, pool = self.tasks, self.size, self.store, self.pool
        stored: set[int] = set()
        outcomes: list[_Outcome | None] = [None] * len(tasks)
        unfinished: list[int] = []
        try:
            for start, future in zip(self.starts, self.futures, strict=False):
                try:
                    if future is None:
                        raise BrokenProcessPool
                    outcomes[start : start + size] = future.result()
                    if progress is not None:
                        progress(len(tasks[start : start + size]), 0)
                    if store is not None:
                        stored.update(range(start, min(start + size, len(tasks))))
                except BrokenProcessPool:
                    unfinished.extend(range(start, min(start + size, len(tasks))))
        except BaseException:  # Ctrl-C, SIGTERM: no worker may outlive the scan
            _terminate(pool)
            raise
        pool.shutdown(wait=True)
        if unfinished:
            _isolate(self.extract, tasks, unfinished, outcomes)
        assert all(o is not None for o in outcomes)
        return outcomes, stored  # type: ignore[return-value]


def _isolate(extract: Extract, tasks: list[_Task], indices: list[int], outcomes: list[_Outcome | None]) -> None:
    """Re-run files one at a time in a single worker, replaced whenever a file kills it."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    pool: ProcessPoolExecutor | None = None
    try:
        for i in indices:
            if pool is None:
                pool = ProcessPoolExecutor(max_workers=1, initializer=_init_worker)
            try:
                outcomes[i] = pool.submit(_extract_one, extract, tasks[i]).result()
            except BrokenProcessPool:
                outcomes[i] = (False, CRASHED)
                pool.shutdown(wait=True)
                pool = None
    except BaseException:
        if pool is not None:
            _terminate(pool)
            pool = None
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: running tasks are not waited for (`shutdown` alone would)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        try:
            process.terminate()
        except (OSError, ValueError, AttributeError):
            pass
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        try:
            process.join(2)
            if process.is_alive():
                process.kill()
        except (OSError, ValueError, AttributeError, AssertionError):
            pass


@dataclass(frozen=True, slots=True)
class Screened:
    """A discovered file read and keyed, before any cache lookup or extraction."""

    source: SourceFile
    module: str
    data: bytes | str  # the bytes, or the message saying why the file is not analysed
    key: str  # the facts cache key of non-empty bytes; "" otherwise


def cache_for(settings: Settings, root: Path | None) -> Cache:
    """The facts cache `settings` ask for: `cache-dir` under `root`, or none with `no-cache`."""
    if settings.no_cache:
        return Cache(None)
    return Cache((root or Path.cwd()) / settings.cache_dir)


def screen_files(
    files: Sequence[SourceFile], settings: Settings, cache: Cache, overlay: Mapping[str, bytes] | None = None
) -> list[Screened]:
    """Each file read (or its `overlay` contents) and keyed."""
    out: list[Screened] = []
    for source in files:
        screened = _screen(source, settings.max_file_size, (overlay or {}).get(source.rel))
        module = _module_for(source)
        key = cache.key(screened, source.kind, module, source.rel) if isinstance(screened, bytes) and screened else ""
        out.append(Screened(source, module, screened, key))
    return out


def _parse_early(
    extract: Extract, screened: Sequence[Screened], cache: Cache, workers: int
) -> tuple[_Pooled | None, list[tuple[int, str]]]:
    """Files with no cache entry, sent to worker processes before the cached facts are decoded,
    when there is much to decode (a project with one file changed): the parse runs beside the
    decoding instead of after it. None when there is nothing to overlap or only one worker."""
    if workers < 2 or not cache.enabled:
        return None, []
    fresh = [
        (i, item)
        for i, item in enumerate(screened)
        if isinstance(item.data, bytes) and item.data and not cache.has(item.key)
    ]
    if not fresh or len(screened) - len(fresh) < OVERLAP_CACHED:
        return None, []
    tasks: list[_Task] = []
    for _, item in fresh:
        assert isinstance(item.data, bytes)
        tasks.append((item.source, item.data, item.module))
    slots = [(i, item.key) for i, item in fresh]
    assert cache.dir is not None
    try:
        return _Pooled(extract, tasks, workers, (cache.dir, [key for _, key in slots])), slots
    except (OSError, NotImplementedError, ImportError):  # no process support here: parsed after
        return None, []


def collect_facts(
    files: Sequence[SourceFile],
    settings: Settings,
    extract: Extract,
    *,
    root: Path | None = None,
    cache: Cache | None = None,
    progress: Progress | None = None,
    overlay: Mapping[str, bytes] | None = None,
    screened: Sequence[Screened] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> Collected:
    """Facts for `files`, from the cache or from `extract` run in worker processes.

    `extract(source, data, module)` must be a module-level function (it is pickled to the
    workers) and raises `FileSkipped` for input it refuses. `cache` defaults to
    `settings.cache_dir` under `root` (the current directory when None), or no cache with
    `settings.no_cache`. Empty files get empty facts without calling `extract`. `progress`, if
    given, hears of files as they are done (in batches, from the pool). `overlay` maps paths
    (relative to the root) to contents read instead of the files' (fixes are checked so).
    `screened`, when given, is `screen_files(files, ...)` already done. `meanwhile` is this
    process's other work (imports of later phases), run once its own files are parsed: while a
    forked child parses the rest (`_run_split`), or after the parse.
    """
    if cache is None:
        cache = cache_for(settings, root)
    if screened is None:
        screened = screen_files(files, settings, cache, overlay)

    results: list[FileFacts | None] = [None] * len(files)
    errors: list[FileError] = []
    tasks: list[_Task] = []
    task_slots: list[tuple[int, str]] = []  # (index in files, cache key)
    cached = 0
    workers = _workers(settings)
    early, early_slots = _parse_early(extract, screened, cache, workers)
    skip = {index for index, _ in early_slots}
    try:
        for index, item in enumerate(screened):
            source, module, data, key = item.source, item.module, item.data, item.key
            if isinstance(data, str):
                errors.append(FileError(source.rel, data))
                continue
            if not data:
                results[index] = FileFacts(path=source.rel, kind=source.kind, module=module, lines=0)
                continue
            if index in skip:
                continue
            hit = cache.get(key)
            if hit is not None and (hit.path, hit.kind, hit.module) == (source.rel, source.kind, module):
                results[index] = hit
                cached += 1
                continue
            tasks.append((source, data, module))
            task_slots.append((index, key))
    except BaseException:  # Ctrl-C, SIGTERM: no worker may outlive the scan
        if early is not None:
            early.cancel()
        raise

    if progress is not None:
        progress(len(files) - len(tasks) - len(early_slots), cached)
    outcomes: list[_Outcome] = []
    stored: set[int] = set()  # tasks whose facts a worker already put in the cache
    if tasks:
        few = workers == 1 or len(tasks) < MIN_POOL_FILES or sum(len(data) for _, data, _ in tasks) < MIN_POOL_BYTES
        if few and all(len(data) <= ISOLATE_BYTES for _, data, _ in tasks):
            if _can_split(workers, tasks):
                split_store = (cache, [key for _, key in task_slots]) if cache.dir is not None else None
                outcomes, stored = _run_split(extract, tasks, progress, split_store, meanwhile)
                meanwhile = None
            else:
                outcomes = _run_in_process(extract, tasks, progress)
        else:
            try:
                store = (cache.dir, [key for _, key in task_slots]) if cache.dir is not None else None
                outcomes, stored = _run_in_pool(extract, tasks, workers, store, progress)
            except (OSError, NotImplementedError, ImportError):  # no process support here
                outcomes = _run_in_process(extract, tasks, progress)
    del tasks
    if meanwhile is not None:
        meanwhile()
    if early is not None:
        early_outcomes, early_stored = early.results(progress)
        stored |= {len(task_slots) + i for i in early_stored}
        outcomes += early_outcomes
        task_slots += early_slots

    for task, ((index, key), (ok, value)) in enumerate(zip(task_slots, outcomes, strict=False)):
        if ok:
            assert isinstance(value, FileFacts)
            results[index] = value
            if task not in stored:
                cache.put(key, value)
        else:
            assert isinstance(value, str)
            errors.append(FileError(files[index].rel, value))

    errors.extend(FileError(f.path, problem, partial=True) for f in results if f is not None for problem in f.problems)
    return Collected(
        facts=tuple(f for f in results if f is not None),
        errors=tuple(sorted(errors)),
        cached=cached,
    )
