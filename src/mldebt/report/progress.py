"""A progress bar on stderr for long scans: files parsed of the total, cache hits, the phase.

It appears only when stderr is a terminal, and only once a scan has run for `DELAY` seconds,
so quick (warm, pre-commit) runs print nothing; it is cleared when the scan ends.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

DELAY = 1.0  # seconds before the bar shows

_PHASES = {"parse": "parsing", "graph": "building the graph", "rules": "running the rules"}


class ScanProgress:
    """An `mldebt.api.Progress` that draws with rich once the scan has taken `delay` seconds."""

    def __init__(self, stream: TextIO | None = None, *, delay: float = DELAY) -> None:
        self._console = Console(file=stream or sys.stderr, stderr=stream is None)
        self._progress = Progress(
            TextColumn("[bold]{task.description:<18}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files  [dim]{task.fields[cached]} from cache"),
            TimeElapsedColumn(),
            console=self._console,
            transient=True,
        )
        self._task: TaskID = self._progress.add_task(_PHASES["parse"], total=None, cached=0)
        self._lock = threading.Lock()
        self._shown = False
        self._closed = False
        self._started = time.monotonic()
        self._timer = threading.Timer(delay, self._show)
        self._timer.daemon = True

    def __enter__(self) -> ScanProgress:
        self._timer.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._timer.cancel()
        with self._lock:
            self._closed = True
            if self._shown:
                self._progress.stop()

    def _show(self) -> None:
        with self._lock:
            if not self._closed and not self._shown:
                self._shown = True
                self._progress.start()

    def phase(self, name: str, total: int | None = None) -> None:
        if total is not None:
            self._progress.update(self._task, total=total, completed=0)
        self._progress.update(self._task, description=_PHASES.get(name, name))

    def advance(self, files: int, cached: int) -> None:
        fields = self._progress.tasks[0].fields
        self._progress.update(self._task, advance=files, cached=int(fields.get("cached", 0)) + cached)


def wanted(quiet: bool, stream: TextIO | None = None) -> bool:
    """Whether to draw progress: not asked to be quiet, and stderr is a terminal."""
    stream = stream or sys.stderr
    try:
        return not quiet and stream.isatty()
    except (AttributeError, ValueError):
        return False
