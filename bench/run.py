#!/usr/bin/env python3
"""Benchmark mldebt on a source tree: a cold scan (empty cache) and a warm scan (same cache).

    python bench/run.py PATH [--root DIR] [--jobs N] [--runs K] [--json] [--show-errors N]

Every scan runs in a fresh child process, so its peak memory is its own: the child reports
`getrusage(RUSAGE_SELF).ru_maxrss` (the analysing process) and `getrusage(RUSAGE_CHILDREN)`
(the largest of its parsing workers, which `ProcessPoolExecutor` has joined by then). Each of the
K runs gets a fresh temporary cache directory, passed through the API as
`settings_for(root, {"cache-dir": tmp, "jobs": n})`; it is deleted afterwards. Timings are the
wall time of `mldebt.api.analyze()` inside the child ("scan") and of the whole child process
including interpreter start-up and imports ("process"). With K > 1 the median is printed.

The script uses the `mldebt` it can import, falling back to `../src` next to this file.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


def _child_env() -> dict[str, str]:
    """The environment for a scan: `../src` on PYTHONPATH unless mldebt is installed."""
    env = dict(os.environ)
    try:
        import mldebt  # noqa: F401
    except ImportError:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    return env


def _maxrss_mib(who: int) -> float:
    import resource

    rss = resource.getrusage(who).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


# ---------------------------------------------------------------------------------------------
# Child side: one scan, result as JSON on stdout.


def _worker(path: str, root: str, cache_dir: str, jobs: int | None) -> None:
    import resource

    from mldebt.api import analyze, settings_for
    from mldebt.report import render

    overrides: dict[str, object] = {"cache-dir": cache_dir}
    if jobs is not None:
        overrides["jobs"] = jobs
    settings = settings_for(Path(root), overrides)
    started = time.perf_counter()
    report = analyze([path], settings, root=root)
    wall = time.perf_counter() - started
    doc = json.loads(render(report, "json"))  # the summary as the JSON report states it
    out = {
        "wall_s": wall,
        **doc["summary"],
        "cached_files": report.summary.cached_files,
        "error_list": doc["errors"],
        "rss_self_mib": _maxrss_mib(resource.RUSAGE_SELF),
        "rss_workers_mib": _maxrss_mib(resource.RUSAGE_CHILDREN),
    }
    json.dump(out, sys.stdout)


# ---------------------------------------------------------------------------------------------
# Parent side


def _scan(path: str, root: str, cache_dir: str, jobs: int | None) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--_worker", path, "--root", root, "--cache-dir", cache_dir]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_child_env())
    process_wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"bench: scan failed with exit code {proc.returncode}")
    result = json.loads(proc.stdout)
    result["process_s"] = process_wall
    return result


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _report(runs: list[tuple[dict, dict]], args: argparse.Namespace) -> dict:
    cold = [c for c, _ in runs]
    warm = [w for _, w in runs]
    first = cold[0]
    lines = first["lines"]
    cold_s = _median([c["wall_s"] for c in cold])
    warm_s = _median([w["wall_s"] for w in warm])
    return {
        "path": args.path,
        "root": args.root,
        "jobs": args.jobs if args.jobs is not None else os.cpu_count(),
        "runs": len(runs),
        "python": sys.version.split()[0],
        "files": first["files"],
        "lines": lines,
        "cold_s": cold_s,
        "warm_s": warm_s,
        "cold_s_all": [c["wall_s"] for c in cold],
        "warm_s_all": [w["wall_s"] for w in warm],
        "cold_process_s": _median([c["process_s"] for c in cold]),
        "warm_process_s": _median([w["process_s"] for w in warm]),
        "cold_lines_per_s": lines / cold_s if cold_s else None,
        "warm_lines_per_s": lines / warm_s if warm_s else None,
        "cold_rss_mib": max(c["rss_self_mib"] for c in cold),
        "cold_worker_rss_mib": max(c["rss_workers_mib"] for c in cold),
        "warm_rss_mib": max(w["rss_self_mib"] for w in warm),
        "warm_worker_rss_mib": max(w["rss_workers_mib"] for w in warm),
        "warm_cached_files": warm[0]["cached_files"],
        "io_sites": first["io_sites"],
        "resolved_io_sites": first["resolved_io_sites"],
        "resolution_rate": first["resolution_rate"],
        "by_resolution": first["by_resolution"],
        "artifacts": first["artifacts"],
        "findings": first["findings"],
        "by_rule": first["by_rule"],
        "errors": first["errors"],
        "error_list": first["error_list"],
        "warm_matches_cold": all(
            (w["findings"], w["by_rule"], w["io_sites"], w["errors"])
            == (c["findings"], c["by_rule"], c["io_sites"], c["errors"])
            for c, w in runs
        ),
    }


def _print(r: dict, show_errors: int) -> None:
    def row(label: str, value: object) -> None:
        print(f"  {label:<22} {value}")

    print(f"mldebt bench: {r['path']} (root {r['root']}, jobs {r['jobs']}, runs {r['runs']}, Python {r['python']})")
    row("files", r["files"])
    row("lines", f"{r['lines']:,}")
    row(
        "cold scan", f"{r['cold_s']:.2f} s  ({r['cold_lines_per_s']:,.0f} lines/s; process {r['cold_process_s']:.2f} s)"
    )
    row(
        "warm scan",
        f"{r['warm_s']:.2f} s  ({r['warm_lines_per_s']:,.0f} lines/s; process {r['warm_process_s']:.2f} s;"
        f" {r['warm_cached_files']} cache hits, all file kinds)",
    )
    if r["runs"] > 1:
        row("cold runs", ", ".join(f"{v:.2f}" for v in r["cold_s_all"]))
        row("warm runs", ", ".join(f"{v:.2f}" for v in r["warm_s_all"]))
    row(
        "peak RSS cold",
        f"{r['cold_rss_mib']:.0f} MiB main, {r['cold_worker_rss_mib']:.0f} MiB largest child (parse worker or git)",
    )
    row(
        "peak RSS warm",
        f"{r['warm_rss_mib']:.0f} MiB main, {r['warm_worker_rss_mib']:.0f} MiB largest child (parse worker or git)",
    )
    rate = r["resolution_rate"]
    row("I/O sites", f"{r['io_sites']} ({r['resolved_io_sites']} resolved, {rate:.1%})")
    row("by resolution", ", ".join(f"{k} {v}" for k, v in sorted(r["by_resolution"].items())) or "-")
    row("artifacts", r["artifacts"])
    row("findings", r["findings"])
    for rule, n in sorted(r["by_rule"].items()):
        row(f"  {rule}", n)
    row("errors", r["errors"])
    for e in r["error_list"][:show_errors]:
        print(f"    {e['path']}: {e['message']}")
    if len(r["error_list"]) > show_errors > 0:
        print(f"    ... {len(r['error_list']) - show_errors} more")
    if not r["warm_matches_cold"]:
        print("  WARNING: the warm scan's results differ from the cold scan's")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="the tree to scan")
    parser.add_argument("--root", default=None, help="project root (default: PATH)")
    parser.add_argument("--jobs", "-j", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--runs", "-k", type=int, default=1, help="cold+warm pairs to run; the median is shown")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--show-errors", type=int, default=20, metavar="N", help="list up to N file errors")
    parser.add_argument("--_worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cache-dir", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args._worker:
        if str(SRC) not in sys.path:
            try:
                import mldebt  # noqa: F401
            except ImportError:
                sys.path.insert(0, str(SRC))
        _worker(args.path, args.root, args.cache_dir, args.jobs)
        return 0

    if args.runs < 1 or (args.jobs is not None and args.jobs < 1):
        parser.error("--runs and --jobs must be at least 1")
    if not os.path.exists(args.path):
        parser.error(f"no such path: {args.path}")
    args.path = os.path.abspath(args.path)
    args.root = (
        os.path.abspath(args.root)
        if args.root
        else (args.path if os.path.isdir(args.path) else os.path.dirname(args.path))
    )

    runs = []
    for _ in range(args.runs):
        cache_dir = tempfile.mkdtemp(prefix="mldebt-bench-cache-")
        try:
            cold = _scan(args.path, args.root, cache_dir, args.jobs)
            warm = _scan(args.path, args.root, cache_dir, args.jobs)
        finally:
            shutil.rmtree(cache_dir, ignore_errors=True)
        runs.append((cold, warm))
    result = _report(runs, args)
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
    else:
        _print(result, args.show_errors)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `| head`: the reader went away
        sys.stderr.close()
        sys.exit(0)
