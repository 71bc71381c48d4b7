#!/usr/bin/env python3
"""Write a long, ML-shaped Python script or notebook: for checking that cost grows linearly.

    python bench/gen_script.py N OUT.py          # N statements at module level
    python bench/gen_script.py N OUT.ipynb       # the same, as a notebook of 20-statement cells

The statements repeat a few blocks of ordinary training-script code (reads, pandas chains,
splits, fits, predictions, writes, helpers, loops, argparse options, configuration reads), each
block numbered so names, paths and keys differ. The output depends only on N.
"""

from __future__ import annotations

import json
import sys

BLOCKS = [
    ['df_{i} = pd.read_csv(f"data/part_{i}.csv")'],
    ["df_{i} = df_{i}.dropna().reset_index(drop=True)", 'df_{i}["ratio_{i}"] = df_{i}["a"] / (df_{i}["b"] + 1)'],
    ["X_{i} = df_{i}.drop(columns=['y'])", "y_{i} = df_{i}['y']"],
    ["X_tr_{i}, X_te_{i}, y_tr_{i}, y_te_{i} = train_test_split(X_{i}, y_{i}, test_size=0.2, random_state={i})"],
    [
        "scaler_{i} = StandardScaler()",
        "X_tr_{i} = scaler_{i}.fit_transform(X_tr_{i})",
        "X_te_{i} = scaler_{i}.transform(X_te_{i})",
    ],
    [
        "model_{i} = RandomForestClassifier(n_estimators=100, max_depth=cfg['depth_{i}'])",
        "model_{i}.fit(X_tr_{i}, y_tr_{i})",
    ],
    ["pred_{i} = model_{i}.predict_proba(X_te_{i})[:, 1]", "score_{i} = roc_auc_score(y_te_{i}, pred_{i})"],
    [
        "out_{i} = pd.DataFrame({{'pred': pred_{i}}})",
        'out_{i}.to_csv(os.path.join(OUT_DIR, "pred_{i}.csv"), index=False)',
    ],
    ["joblib.dump(model_{i}, f'models/model_{i}.pkl')"],
    [
        "def feature_{i}(frame, col='a'):",
        "    values = frame[col].fillna(0)",
        "    if values.mean() > {i}:",
        "        return values * 2",
        "    return values",
    ],
    ["for k_{i} in range(3):", "    df_{i}[f'lag_{{k_{i}}}'] = df_{i}['a'].shift(k_{i})"],
    ["parser.add_argument('--opt-{i}', type=float, default=0.{i})"],
    ["total_{i} = sum(x * 2 for x in range({i} % 7))", "print('step', {i}, total_{i})"],
]

HEADER = [
    "import os",
    "import argparse",
    "import joblib",
    "import yaml",
    "import pandas as pd",
    "from sklearn.ensemble import RandomForestClassifier",
    "from sklearn.metrics import roc_auc_score",
    "from sklearn.model_selection import train_test_split",
    "from sklearn.preprocessing import StandardScaler",
    "OUT_DIR = 'outputs'",
    "parser = argparse.ArgumentParser()",
    "cfg = yaml.safe_load(open('params.yaml'))",
]


def statements(n: int) -> list[list[str]]:
    """At least `n` top-level statements (each a list of source lines)."""
    out: list[list[str]] = [[line] for line in HEADER]
    i = 0
    while len(out) < n:
        block = BLOCKS[i % len(BLOCKS)]
        first = block[0]
        if first.startswith(("def ", "for ")):
            out.append([line.format(i=i) for line in block])
        else:
            out.extend([line.format(i=i)] for line in block)
        i += 1
    return out[:n]


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[0].isdigit():
        sys.stderr.write(__doc__ or "")
        return 2
    n, out = int(argv[0]), argv[1]
    stmts = statements(n)
    if out.endswith(".ipynb"):
        cells = []
        for start in range(0, len(stmts), 20):
            lines = [line for stmt in stmts[start : start + 20] for line in stmt]
            source = [line + "\n" for line in lines]
            cells.append(
                {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": source}
            )
        doc = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        text = json.dumps(doc, indent=1)
    else:
        text = "\n".join(line for stmt in stmts for line in stmt) + "\n"
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
