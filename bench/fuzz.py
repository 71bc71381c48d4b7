"""The long fuzz run: scan mutated fixture projects and generated Python for a while.

    python bench/fuzz.py --minutes 10 [--seed 1] [--out /tmp/mldebt-fuzz]

Each input is a fixture project with one file mutated (byte flips, insertions, deletions, hostile
bytes, dropped/duplicated/swapped lines) or a Python file generated from the grammar by
hypothesmith (one input in four). Each is scanned end to end in this process (`jobs = 1`, no
cache) under a time limit; the invariants are those of tests/fuzzing.py (no internal error,
valid UTF-8 in every format, JSON and SARIF parse, no control character in text output).

Prints the number of inputs tried, crashes (an exception or a broken invariant) and hangs (an
input that took longer than --timeout seconds); every failing input is saved under --out with
the error. Exit 1 when anything failed.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import hypothesmith
from fuzzing import ROOT, check_project, fixture_files, make_project, mutated
from hypothesis.errors import NonInteractiveExampleWarning


class Hang(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise Hang


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--timeout", type=int, default=60, help="seconds one input may take")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "mldebt-fuzz")
    args = parser.parse_args()

    warnings.simplefilter("ignore", NonInteractiveExampleWarning)
    rng = random.Random(args.seed)
    files = fixture_files()
    mutations = mutated(files)
    grammar = hypothesmith.from_grammar()
    args.out.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGALRM, _alarm)

    tried = crashes = hangs = findings = errors = 0
    slowest = (0.0, "")
    started = time.monotonic()
    stop = started + args.minutes * 60
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "p"
        while time.monotonic() < stop:
            if rng.random() < 0.25:
                source = grammar.example()
                label = "generated.py"
                if work.exists():
                    shutil.rmtree(work)
                work.mkdir()
                (work / "pyproject.toml").write_text("")
                (work / "generated.py").write_text(source, encoding="utf-8", errors="surrogateescape")
            else:
                original, data = mutations.example()
                label = original.relative_to(ROOT).as_posix()
                make_project(work, original, data)
            tried += 1
            t0 = time.monotonic()
            signal.alarm(args.timeout)
            try:
                outcome = check_project(work)
                findings += outcome.findings
                errors += outcome.errors
            except Hang:
                hangs += 1
                _save(args.out, f"hang-{tried}", work, label, f"took more than {args.timeout} s")
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt):
                    raise
                crashes += 1
                _save(args.out, f"crash-{tried}", work, label, traceback.format_exc())
            finally:
                signal.alarm(0)
            took = time.monotonic() - t0
            if took > slowest[0]:
                slowest = (took, label)
    summary = {
        "minutes": round((time.monotonic() - started) / 60, 2),
        "inputs": tried,
        "crashes": crashes,
        "hangs": hangs,
        "findings": findings,
        "file_errors": errors,
        "slowest_s": round(slowest[0], 2),
        "slowest_input": slowest[1],
        "saved_to": str(args.out),
    }
    print(json.dumps(summary, indent=2))
    return 1 if crashes or hangs else 0


def _save(out: Path, name: str, project: Path, label: str, error: str) -> None:
    target = out / name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(project, target / "project")
    (target / "error.txt").write_text(f"{label}\n\n{error}", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
