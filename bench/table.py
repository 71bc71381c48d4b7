#!/usr/bin/env python3
"""Print mldebt's speed and memory figures against their targets, one row per figure.

    python bench/table.py [--transformers DIR] [--recommenders DIR] [--jobs N] [--only NAMES]

Every figure is a whole `python -m mldebt check ...` process (interpreter start-up, imports,
scan, JSON report), timed by wall clock; CPU seconds (user + system, the process and its
workers) are printed beside it, since on a shared machine they say more than the wall clock.
Peak RSS is the largest resident set of any process of the scan (`wait4`).

- `--transformers DIR`: the source of transformers 4.46.3 as published on PyPI
  (`pip download --no-deps transformers==4.46.3 -d /tmp/tf && unzip -q /tmp/tf/*.whl -d /tmp/tf/src`);
  cold (empty cache), nothing changed, one file changed, peak RSS.
- `--recommenders DIR`: a checkout of microsoft/recommenders; cold and nothing changed, and
  cold with `--jobs 1` against `--jobs 2` (`--jobs 2` must never be slower).
- always: a generated 10-file project, cold and nothing changed, and a generated script and
  notebook of 2k, 4k, 8k and 16k statements (`bench/gen_script.py`): the cost of each doubling.

Corpora are copied to a temporary directory first: the cache, and the file the "one file
changed" row edits, never touch your tree. `--only` picks rows by group name: transformers,
recommenders, jobs, small, linear.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
sys.path.insert(0, str(HERE))

from gen_script import statements  # noqa: E402


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # as installed: with bytecode caches (a run that compiles every module measures the compiler)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        import mldebt  # noqa: F401
    except ImportError:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    return env


class Run:
    def __init__(self, wall: float, cpu: float, rss_mib: float, findings: int | None) -> None:
        self.wall, self.cpu, self.rss_mib, self.findings = wall, cpu, rss_mib, findings


def check(target: Path, root: Path, *extra: str) -> Run:
    """One `mldebt check` process: wall time, CPU time and peak RSS of it and its workers."""
    fd, out_name = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    cmd = [sys.executable, "-m", "mldebt", "check", str(target), "--root", str(root), "--exit-zero"]
    cmd += ["--output-format", "json", "-o", out_name, *extra]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd)} failed ({proc.returncode}):\n{stderr}")
    try:
        findings = len(json.loads(Path(out_name).read_text(encoding="utf-8"))["findings"])
    finally:
        os.unlink(out_name)
    rss = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 2**20
    return Run(wall, usage.ru_utime + usage.ru_stime, rss, findings)


ROWS: list[tuple[str, str, str]] = []


def row(what: str, target: str, measured: str) -> None:
    ROWS.append((what, target, measured))
    print(f"{what:<44} {target:>10}   {measured}", flush=True)


def fmt(run: Run) -> str:
    return f"{run.wall:6.2f} s  (cpu {run.cpu:.2f} s, peak {run.rss_mib:.0f} MiB, {run.findings} findings)"


def copy_tree(src: Path, into: Path) -> Path:
    dest = into / src.name
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".git", ".mldebt_cache", "__pycache__"), symlinks=True)
    return dest


def pick_file(root: Path) -> Path:
    """A deterministic, ordinary module to edit: the median-sized Python file."""
    files = sorted(root.rglob("*.py"), key=lambda p: (p.stat().st_size, p.as_posix()))
    return files[len(files) // 2]


def corpus(name: str, src: Path, jobs: int, work: Path, targets: dict[str, str]) -> None:
    root = copy_tree(src, work)
    jobs_flag = ["--jobs", str(jobs)]
    cold = check(root, root, *jobs_flag)
    row(f"{name}, cold", targets["cold"], fmt(cold))
    warm = check(root, root, *jobs_flag)
    row(f"{name}, nothing changed", targets["warm"], fmt(warm))
    if warm.findings != cold.findings:
        row(f"{name}, WARNING", "", f"warm findings {warm.findings} != cold {cold.findings}")
    peak = max(cold.rss_mib, warm.rss_mib)
    if "changed" in targets:
        edited = pick_file(root)
        with edited.open("a", encoding="utf-8") as fh:
            fh.write("\nbench_edit = 1\n")
        changed = check(root, root, *jobs_flag)
        row(f"{name}, one file changed", targets["changed"], fmt(changed) + f"  [{edited.relative_to(root)}]")
        peak = max(peak, changed.rss_mib)
    if "rss" in targets:
        row(f"{name}, peak RSS", targets["rss"], f"{peak:.0f} MiB (largest process of the runs above)")


def jobs_compare(src: Path, work: Path) -> None:
    root = copy_tree(src, work / "jobs")
    one = check(root, root, "--no-cache", "--jobs", "1")
    two = check(root, root, "--no-cache", "--jobs", "2")
    row(f"{src.name}, cold --jobs 1", "", fmt(one))
    row(f"{src.name}, cold --jobs 2", "<= jobs 1", fmt(two))


SMALL_SETTINGS = 'from pathlib import Path\nDATA = Path("data")\nMODELS = Path("models")\nSEED = 42\n'


def small_project(work: Path) -> None:
    """Ten files in the shape of a small ML project: settings, loaders, features, training."""
    root = work / "small"
    (root / "proj").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'small'\n", encoding="utf-8")
    (root / "params.yaml").write_text("depth: 4\nlr: 0.1\n", encoding="utf-8")
    (root / "proj" / "__init__.py").write_text("", encoding="utf-8")
    (root / "proj" / "settings.py").write_text(SMALL_SETTINGS, encoding="utf-8")
    for k in range(7):
        body = "\n".join(line for stmt in statements(60 + 10 * k) for line in stmt)
        head = "from proj.settings import DATA, MODELS, SEED\n"
        (root / "proj" / f"step_{k}.py").write_text(head + body + "\n", encoding="utf-8")
    check(root, root)  # warm the OS file cache and .pyc files; not a scan that counts
    shutil.rmtree(root / ".mldebt_cache", ignore_errors=True)
    run = check(root, root)
    row("10-file project, whole process, cold", "<= 0.3 s", fmt(run))
    warm = check(root, root)  # the pre-commit hook's case: the stored report
    row("10-file project, nothing changed", "<= 0.3 s", fmt(warm))


def linear(work: Path) -> None:
    for suffix in (".py", ".ipynb"):
        previous: Run | None = None
        for n in (2000, 4000, 8000, 16000):
            path = work / f"script_{n}{suffix}"
            subprocess.run([sys.executable, str(HERE / "gen_script.py"), str(n), str(path)], check=True)
            run = check(path, work, "--no-cache", "--jobs", "1")
            ratio = f"  x{run.cpu / previous.cpu:.2f} cpu, x{run.wall / previous.wall:.2f} wall" if previous else ""
            row(f"{n} statements ({suffix})", "<= 2.3x" if previous else "", fmt(run) + ratio)
            previous = run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transformers", type=Path, help="transformers 4.46.3 source (the wheel, unpacked)")
    parser.add_argument("--recommenders", type=Path, help="a microsoft/recommenders checkout")
    parser.add_argument("--jobs", "-j", type=int, default=2, help="worker processes for the corpus rows (2)")
    parser.add_argument("--only", default="", help="comma-separated groups to run")
    args = parser.parse_args(argv)
    only = {x.strip() for x in args.only.split(",") if x.strip()}

    def wanted(group: str) -> bool:
        return not only or group in only

    print(f"mldebt bench: Python {sys.version.split()[0]}, {os.cpu_count()} cores, --jobs {args.jobs}")
    print(f"{'what':<44} {'target':>10}   measured")
    with tempfile.TemporaryDirectory(prefix="mldebt-bench-") as tmp:
        work = Path(tmp)
        if args.transformers and wanted("transformers"):
            corpus(
                "transformers",
                args.transformers,
                args.jobs,
                work,
                {"cold": "<= 60 s", "warm": "<= 2 s", "changed": "<= 4 s", "rss": "<= 1 GiB"},
            )
        if args.recommenders and wanted("recommenders"):
            corpus("recommenders", args.recommenders, args.jobs, work, {"cold": "<= 5 s", "warm": "<= 0.4 s"})
        if args.recommenders and wanted("jobs"):
            jobs_compare(args.recommenders, work)
        if wanted("small"):
            small_project(work)
        if wanted("linear"):
            linear(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
