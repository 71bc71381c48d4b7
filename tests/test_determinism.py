"""Same input, same output: the graph and the report must not depend on PYTHONHASHSEED.

Lineage tokens are sets, so anything that walks them in iteration order and keeps state across
the walk (a memo, the first site of an edge) can make the output depend on string hashing. Each
run here is a fresh interpreter with its own PYTHONHASHSEED, on a project whose lineage has a
cycle through helper functions in two modules (the shape found on microsoft/recommenders).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

# a retry helper calls back into the function that called it, with the two frames swapped: the
# lineage of `primary` reaches `secondary` and back
PROJECT = {
    "pipeline/__init__.py": "",
    "pipeline/io.py": """
        import pandas as pd


        def load_table(path):
            return pd.read_csv(path)
        """,
    "pipeline/features.py": """
        import pandas as pd

        from pipeline.retry import swap_roles


        def combine(primary, secondary, attempt=0):
            merged = pd.concat([primary, secondary], axis=1)
            merged.to_parquet("data/interim/combined.parquet")
            secondary.to_parquet("data/interim/side_snapshot.parquet")
            primary.to_parquet("data/interim/primary_snapshot.parquet")
            if merged.empty and attempt < 1:
                return swap_roles(primary, secondary, attempt + 1)
            return merged
        """,
    "pipeline/retry.py": """
        from pipeline import features


        def swap_roles(primary, secondary, attempt):
            return features.combine(secondary, primary, attempt)
        """,
    "prepare.py": """
        import pandas as pd

        from pipeline.features import combine
        from pipeline.io import load_table

        ratings = load_table("data/raw/ratings.csv")
        users = pd.read_csv("data/raw/users.csv")
        table = combine(ratings, users)
        table.to_csv("data/processed/train.csv")
        """,
    "train.py": """
        import pandas as pd
        from sklearn.linear_model import LogisticRegression

        from pipeline.features import combine

        clicks = pd.read_csv("data/raw/clicks.csv")
        table = combine(pd.read_csv("data/processed/train.csv"), clicks)
        model = LogisticRegression(random_state=0)
        model.fit(table.drop(columns=["label"]), table["label"])
        """,
}

# one interpreter per seed: the graph as `mldebt graph --format json` writes it, and the JSON report
_RUN = """
import sys
from pathlib import Path
from mldebt.api import analyze, build_project, settings_for
from mldebt.graph.export import export
from mldebt.report import render
root = Path(sys.argv[1])
settings = settings_for(root, {"no-cache": True, "jobs": 1, "select": ["ALL"]})
built, _ = build_project([str(root)], settings, root=root)
sys.stdout.write(export(built.graph, "json"))
sys.stdout.write("\\f")
sys.stdout.write(render(analyze([str(root)], settings, root=root), "json"))
"""

SEEDS = ("0", "1", "2", "3", "4")


def _runs(root: Path) -> dict[str, tuple[str, str]]:
    procs = {
        seed: subprocess.Popen(
            [sys.executable, "-c", _RUN, str(root)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            stdout=subprocess.PIPE,
            text=True,
        )
        for seed in SEEDS
    }
    out = {}
    for seed, proc in procs.items():
        stdout, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"PYTHONHASHSEED={seed}: exit {proc.returncode}"
        graph, _, report = stdout.partition("\f")
        out[seed] = (graph, report)
    return out


def test_graph_and_report_are_byte_identical_across_hash_seeds(tmp_path: Path) -> None:
    for rel, src in PROJECT.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(textwrap.dedent(src).lstrip(), encoding="utf-8")
    runs = _runs(tmp_path)
    first_graph, first_report = runs[SEEDS[0]]
    for seed, (graph, report) in runs.items():
        assert graph == first_graph, f"graph differs with PYTHONHASHSEED={seed}"
        assert report == first_report, f"report differs with PYTHONHASHSEED={seed}"
    derives = {(e["source"], e["target"]) for e in json.loads(first_graph)["edges"] if e["kind"] == "derives"}
    # the cycle through swap_roles carries each raw table into every snapshot, whichever
    # parameter's lineage is expanded first
    raw = ("artifact:data/raw/ratings.csv", "artifact:data/raw/users.csv")
    interim = [
        "artifact:data/interim/combined.parquet",
        "artifact:data/interim/primary_snapshot.parquet",
        "artifact:data/interim/side_snapshot.parquet",
    ]
    assert {(r, t) for r in raw for t in interim} <= derives
    assert (raw[0], "artifact:data/processed/train.csv") in derives
    assert (raw[1], "artifact:data/processed/train.csv") in derives
