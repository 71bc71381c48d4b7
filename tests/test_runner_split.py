"""A project too small for a pool is parsed by this process and a forked child (`runner._run_split`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from mldebt.config import Settings
from mldebt.discover import SourceFile, classify
from mldebt.model import FileError
from mldebt.parse import runner
from mldebt.parse.facts import FileFacts
from mldebt.parse.runner import FileSkipped, collect_facts

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin", reason="no fork here")

PARENT = os.getpid()
HERE: list[str] = []  # files this process parsed


def extract(source: SourceFile, data: bytes, module: str) -> FileFacts:
    HERE.append(source.rel)
    text = data.decode()
    if os.getpid() != PARENT:
        print("child output", flush=True)  # must never reach the terminal
        os.write(2, b"child stderr\n")
    if "SKIP" in text:
        raise FileSkipped("cannot parse: invalid syntax at line 1")
    if "BOOM" in text:
        raise ValueError("bad thing")
    return FileFacts(path=source.rel, kind=source.kind, module=module, lines=text.count("\n"), mentions=(text[:9],))


def make(root: Path, count: int, special: dict[str, str] | None = None) -> list[SourceFile]:
    out = []
    for i in range(count):
        rel = f"pkg/m{i:02d}.py"
        text = (special or {}).get(rel, f"value_{i} = 1\n" * (i + 1))
        (root / "pkg").mkdir(exist_ok=True)
        (root / rel).write_text(text)
        kind = classify(rel)
        assert kind is not None
        out.append(SourceFile(root / rel, rel, kind))
    return out


@pytest.fixture(autouse=True)
def _split_small_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """These files are a few bytes each, standing for a small project worth a second core."""
    monkeypatch.setattr(runner, "MIN_SPLIT_BYTES", 0)
    monkeypatch.setattr(runner, "PARENT_HEAD_START", 0)
    HERE.clear()


def collect(root: Path, files: list[SourceFile], **options: object) -> runner.Collected:
    return collect_facts(files, Settings(**options), extract, root=root)  # type: ignore[arg-type]


def children() -> set[int] | None:
    """This process's children, zombies included (Linux `/proc`), or None where unknown."""
    tasks = Path("/proc/self/task")
    if not tasks.is_dir():
        return None
    out: set[int] = set()
    for task in tasks.iterdir():
        try:
            out.update(int(pid) for pid in (task / "children").read_text().split())
        except OSError:
            return None
    return out


def no_child_left(before: set[int] | None) -> bool:
    """No child made since `before` (taken at the test's start) is left, running or a zombie: a
    child another test left behind does not count."""
    now = children()
    if before is not None and now is not None:
        return now <= before
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_halves_by_bytes_largest_first_each_in_order() -> None:
    def task(size: int) -> tuple[SourceFile, bytes, str]:
        return SourceFile(Path("x.py"), "x.py", "python"), b"x" * size, ""

    sizes = [10, 50, 40, 30, 20]
    assert runner._halves([task(n) for n in sizes]) == ([0, 1, 4], [2, 3])  # 50+20+10 against 40+30


def test_split_gives_the_facts_and_errors_of_one_process(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    before = children()
    special = {"pkg/m02.py": "SKIP\n", "pkg/m05.py": "BOOM\n"}
    files = make(tmp_path, 8, special)
    alone = collect(tmp_path, files, jobs=1, no_cache=True)
    assert [f.rel for f in files] == HERE
    HERE.clear()
    split = collect(tmp_path, files, jobs=2, no_cache=True)
    tasks = [(f, f.path.read_bytes(), runner._module_for(f)) for f in files]
    mine, theirs = runner._halves(tasks)
    assert theirs and [files[i].rel for i in mine] == HERE  # the rest was parsed by the child
    assert split == alone
    assert split.errors == (
        FileError("pkg/m02.py", "cannot parse: invalid syntax at line 1"),
        FileError("pkg/m05.py", "internal error while analysing this file: ValueError: bad thing"),
    )
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")  # the child printed to /dev/null
    assert no_child_left(before)


def test_the_child_stores_its_facts_in_the_cache(tmp_path: Path) -> None:
    files = make(tmp_path, 6)
    cold = collect(tmp_path, files, jobs=2)
    entries = list((tmp_path / ".mldebt_cache").rglob("*.json"))
    assert len(entries) == 6
    HERE.clear()
    warm = collect(tmp_path, files, jobs=2)
    assert HERE == [] and warm.cached == 6 and warm.facts == cold.facts


def test_a_child_that_dies_costs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = children()
    files = make(tmp_path, 6)
    expected = collect(tmp_path, files, jobs=1, no_cache=True)

    def dies(*args: object) -> None:
        os._exit(1)

    monkeypatch.setattr(runner, "_split_child", dies)
    HERE.clear()
    assert collect(tmp_path, files, jobs=2, no_cache=True) == expected
    assert sorted(HERE) == [f.rel for f in files]  # all parsed here after all
    assert no_child_left(before)


def test_a_child_that_sends_garbage_costs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = children()
    files = make(tmp_path, 6)
    expected = collect(tmp_path, files, jobs=1, no_cache=True)

    def garbage(extract: object, tasks: list[object], read_fd: int, write_fd: int, *rest: object) -> None:
        os.write(write_fd, b"\n".join([b"F[1,2"] * len(tasks)))
        os._exit(0)

    monkeypatch.setattr(runner, "_split_child", garbage)
    HERE.clear()
    assert collect(tmp_path, files, jobs=2, no_cache=True) == expected
    assert no_child_left(before)


def test_no_fork_with_one_job_little_source_or_no_fork(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = make(tmp_path, 6)
    collect(tmp_path, files, jobs=1, no_cache=True)
    assert len(HERE) == 6
    monkeypatch.setattr(runner, "MIN_SPLIT_BYTES", sum(f.path.stat().st_size for f in files) + 1)
    HERE.clear()
    collect(tmp_path, files, jobs=2, no_cache=True)
    assert len(HERE) == 6
    monkeypatch.setattr(runner, "MIN_SPLIT_BYTES", 0)
    monkeypatch.delattr(os, "fork")
    HERE.clear()
    collect(tmp_path, files, jobs=2, no_cache=True)
    assert len(HERE) == 6


def test_meanwhile_runs_once_split_or_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = make(tmp_path, 6)
    ran: list[int] = []
    for jobs in (1, 2):
        collect_facts(
            files,
            Settings(jobs=jobs, no_cache=True),
            extract,
            root=tmp_path,
            meanwhile=lambda jobs=jobs: ran.append(jobs),
        )
    assert ran == [1, 2]


def test_the_report_is_the_same_split_or_not(monkeypatch: pytest.MonkeyPatch) -> None:
    from mldebt.api import analyze
    from mldebt.report import render

    root = Path(__file__).resolve().parent.parent / "fixtures" / "MLD801-preprocessing-leakage" / "positive"
    forks: list[int] = []
    real = runner._run_split

    def counted(*args: object, **kwargs: object) -> object:
        forks.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "_run_split", counted)
    reports = [analyze([str(root)], root=root, overrides={"jobs": jobs, "no-cache": True}) for jobs in (1, 2)]
    assert forks == [1]
    assert reports[0].findings  # the control: there is something to compare
    for fmt in ("json", "sarif", "text"):
        assert render(reports[0], fmt) == render(reports[1], fmt)


def zombie(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return any(line.startswith("State:") and "Z" in line.split()[1] for line in status.splitlines())


def test_a_child_whose_parent_is_killed_exits(tmp_path: Path) -> None:
    import signal
    import subprocess
    import textwrap
    import time

    make(tmp_path, 4)
    pid_file = tmp_path / "child.pid"
    script = textwrap.dedent(
        f"""
        import os, time
        from pathlib import Path
        from mldebt.config import Settings
        from mldebt.discover import SourceFile
        from mldebt.parse import runner
        from mldebt.parse.facts import FileFacts
        runner.MIN_SPLIT_BYTES = 0
        PARENT = os.getpid()

        def extract(source, data, module):
            if os.getpid() != PARENT:
                Path({str(pid_file)!r}).write_text(str(os.getpid()))
                time.sleep(60)  # a file that takes forever
            return FileFacts(path=source.rel, kind=source.kind, module=module, lines=1)

        root = Path({str(tmp_path)!r})
        files = [SourceFile(p, p.relative_to(root).as_posix(), "python") for p in sorted(root.glob("pkg/*.py"))]
        runner.collect_facts(files, Settings(jobs=2, no_cache=True), extract, root=root)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 30
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline and parent.poll() is None
            time.sleep(0.05)
        child = int(pid_file.read_text())
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                break
            if zombie(child):  # exited, not yet reaped by whoever adopted it
                break
            time.sleep(0.1)
        else:
            os.kill(child, signal.SIGKILL)
            pytest.fail("the child outlived its parent")
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
