#!/usr/bin/env python3
"""Cost of leakage summaries on their worst shape: a script of N statements whose helpers each
call the previous helper (every summary replays its callee's) and are each called, then split.

    python bench/leak_chain.py            # 2k, 4k, 8k, 16k statements
    python bench/leak_chain.py 1000 2000  # other sizes

Prints the CPU seconds of parsing each script (facts, detectors, summaries) and the ratio to the
previous size: linear cost doubles, the target is at most 2.3x per doubling.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from mldebt.parse.python import python_facts


def script(n: int) -> str:
    k = n // 8  # each helper is 3 statements, each call site 3 more (and a blank line)
    lines = [
        "import pandas as pd",
        "from sklearn.model_selection import train_test_split",
        "from sklearn.preprocessing import StandardScaler",
        "",
    ]
    for i in range(k):
        inner = f"h{i - 1}(X)" if i else "StandardScaler().fit_transform(X)"
        lines += [f"def h{i}(X):", "    X = X.fillna(X.mean())", f"    return {inner}", ""]
    for i in range(k):
        lines += [f"d{i} = pd.read_csv('part_{i}.csv')", f"Z{i} = h{i}(d{i})", f"a{i}, b{i} = train_test_split(Z{i})"]
    return "\n".join(lines) + "\n"


def main(sizes: list[int]) -> None:
    last = 0.0
    for n in sizes:
        text = script(n)
        t0 = time.process_time()
        python_facts("chain.py", text, "chain")
        spent = time.process_time() - t0
        ratio = f"  {spent / last:.2f}x" if last else ""
        print(f"{n:>6} statements  {spent:6.2f} s CPU{ratio}")
        last = spent


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [2000, 4000, 8000, 16000])
