"""Graph phase: cross-file resolution on facts, and graph rules on graphs built by hand."""

from __future__ import annotations

import textwrap

from mldebt.graph.build import Built, build
from mldebt.graph.facade import ProjectGraph, Site
from mldebt.graph.project import Project
from mldebt.model import Confidence, Resolution
from mldebt.parse.configs import config_facts
from mldebt.parse.python import python_facts
from mldebt.rules.mld101_entangled_model_inputs import EntangledModelInputs
from mldebt.rules.mld301_feedback_loop import FeedbackLoop


def py(rel: str, src: str):
    module = rel.removesuffix(".py").replace("/", ".")
    return python_facts(rel, textwrap.dedent(src), module)


PROJECT = [
    py("pkg/__init__.py", ""),
    py("pkg/paths.py", 'import os\nDATA = "data"\nTRAIN = os.path.join(DATA, "train.csv")\n'),
    py(
        "pkg/io.py",
        """
        import pandas as pd
        def load(path, sep=","):
            return pd.read_csv(path, sep=sep)
        def save(df, path="out/default.csv"):
            df.to_csv(path)
        """,
    ),
    py(
        "train.py",
        """
        import argparse
        import pandas as pd
        import yaml
        from pkg.paths import TRAIN, DATA
        from pkg.io import load, save

        cfg = yaml.safe_load(open("conf/config.yaml"))
        parser = argparse.ArgumentParser()
        parser.add_argument("--extra", default="data/extra.csv")
        args = parser.parse_args()

        a = pd.read_csv(TRAIN)
        b = pd.read_csv(f"{DATA}/b.csv")
        c = pd.read_csv(cfg["data"]["test"])
        d = pd.read_csv(args.extra)
        e = load("data/e.csv")
        f = load(cfg["data"]["test"])
        save(a)
        """,
    ),
    config_facts("conf/config.yaml", "data:\n  test: data/test.csv\n"),
]


def resolutions(built: Built, path: str) -> list[tuple[int, str, str]]:
    return sorted(
        (s.fact.span.line, r.artifact, str(r.how)) for s in built.io_sites if s.path == path for r in s.resolved
    )


def test_resolution_across_files_config_argparse_and_parameters() -> None:
    built = build(PROJECT)
    assert resolutions(built, "train.py") == [
        (13, "data/train.csv", "imported"),
        (14, "data/b.csv", "imported"),
        (15, "data/test.csv", "config"),
        (16, "data/extra.csv", "config"),
    ]
    # the helper's own read resolves to what every caller passes; its write to the default
    assert resolutions(built, "pkg/io.py") == [
        (4, "data/e.csv", "parameter"),
        (4, "data/test.csv", "parameter"),
        (6, "out/default.csv", "parameter"),
    ]
    assert built.resolution_counts == {"imported": 2, "config": 2, "parameter": 2}


def test_parameter_lineage_is_bound_per_call_site() -> None:
    facts = [
        *PROJECT[:3],
        py(
            "fit.py",
            """
            from sklearn.linear_model import LinearRegression
            from pkg.io import load
            x = load("data/x.csv")
            m = LinearRegression()
            m.fit(x, x.y)
            """,
        ),
        py(
            "other.py",
            """
            from pkg.io import load
            y = load("data/other.csv")
            """,
        ),
    ]
    built = build(facts)
    sources = [e.source for e in built.graph.in_edges("model:fit.py::<module>::m", ["trains-on"])]
    assert sources == ["artifact:data/x.csv"]  # not data/other.csv, which only other.py passes


def test_project_finds_modules_by_suffix_near_the_importer() -> None:
    project = Project([py("scripts/utils.py", "X = 'a.csv'\n"), py("lib/utils.py", "X = 'b.csv'\n")])
    found = project.find_module("utils", near="scripts/train.py")
    assert found is not None and found.path == "scripts/utils.py"


# ----------------------------------------------------------------- rules on hand-built graphs


def hand_built() -> Built:
    built = Built(ProjectGraph(), Project([]))
    return built


def test_feedback_loop_on_a_hand_built_graph() -> None:
    built = hand_built()
    g = built.graph
    g.add_node("model:train.py::<module>::m", "model", "`m` in train.py", Site("train.py", 5, 1))
    g.add_node("model:serve.py::<module>::m", "model", "`m` in serve.py", Site("serve.py", 3, 1))
    for name in ("events.csv", "m.pkl"):
        g.add_node(f"artifact:{name}", "artifact", name)
    fit = Site("train.py", 6, 1, 6, 20)
    g.add_edge("artifact:events.csv", "model:train.py::<module>::m", "trains-on", fit, resolution="exact")
    g.add_edge("model:train.py::<module>::m", "artifact:m.pkl", "saves", Site("train.py", 7, 1), resolution="exact")
    g.add_edge("artifact:m.pkl", "model:serve.py::<module>::m", "loads", Site("serve.py", 3, 5), resolution="exact")
    g.add_edge(
        "model:serve.py::<module>::m",
        "artifact:events.csv",
        "predicts-into",
        Site("serve.py", 9, 1),
        resolution="config",
    )
    hits = list(FeedbackLoop().check(built))
    assert len(hits) == 1
    hit = hits[0]
    assert hit.site == fit
    assert hit.confidence is Confidence.MEDIUM  # one step resolved through config
    assert [(s.path, s.line) for s in hit.related] == [
        ("train.py", 7),
        ("serve.py", 3),
        ("serve.py", 9),
        ("train.py", 6),
    ]
    assert "`m` in train.py is trained on data that its own outputs flow back into" in hit.message


def test_checkpoint_resume_is_not_a_feedback_loop() -> None:
    built = hand_built()
    g = built.graph
    g.add_node("model:t.py::f::m", "model", "`m`", Site("t.py", 1, 1))
    g.add_node("artifact:ckpt.pt", "artifact", "ckpt.pt")
    g.add_node("artifact:data.csv", "artifact", "data.csv")
    g.add_edge("artifact:data.csv", "model:t.py::f::m", "trains-on", Site("t.py", 4, 1))
    g.add_edge("model:t.py::f::m", "artifact:ckpt.pt", "saves", Site("t.py", 5, 1))
    g.add_edge("artifact:ckpt.pt", "model:t.py::f::m", "loads", Site("t.py", 2, 1))
    assert list(FeedbackLoop().check(built)) == []


def test_cycles_of_rings_without_networkx_are_those_networkx_finds() -> None:
    """A component that is one ring (a model saved and loaded back) is answered without
    NetworkX; on random graphs of rings, chords, self-loops and long rings the cycles are the
    ones NetworkX enumerates."""
    import random

    import networkx as nx

    rng = random.Random(7)
    for _ in range(300):
        g = ProjectGraph()
        n = rng.randint(2, 16)
        names = [f"{'model' if rng.random() < 0.4 else 'artifact'}:{rng.random():.6f}" for _ in range(n)]
        for name in names:
            g.add_node(name, name.split(":")[0], name)
        ref = nx.DiGraph()
        rings = rng.randint(1, 3)
        for _ in range(rings):  # a ring over a random subset, sometimes with a chord or a self-loop
            members = rng.sample(names, rng.randint(2, n))
            for a, b in zip(members, members[1:] + members[:1], strict=True):
                g.add_edge(a, b, rng.choice(["saves", "loads", "derives"]))
                ref.add_edge(a, b)
            if rng.random() < 0.3:
                a, b = rng.choice(members), rng.choice(members)
                g.add_edge(a, b, "feeds")
                ref.add_edge(a, b)
        expected: list[list[str]] = []
        comps = [c for c in nx.strongly_connected_components(ref) if len(c) >= 2]
        for comp in sorted(comps, key=lambda c: sorted(c)[0]):
            if any(x.startswith("model:") for x in comp):
                for cycle in nx.simple_cycles(ref.subgraph(comp), length_bound=12):
                    if any(x.startswith("model:") for x in cycle):
                        i = cycle.index(min(cycle))
                        expected.append(cycle[i:] + cycle[:i])
        got = g.cycles(["saves", "loads", "derives", "feeds"], "model", limit=10_000)
        assert sorted(got) == sorted(expected)


def test_entanglement_counts_distinct_sources_on_a_hand_built_graph() -> None:
    built = hand_built()
    g = built.graph
    g.add_node("model:t.py::<module>::m", "model", "`m` in t.py", Site("t.py", 9, 1))
    fit = Site("t.py", 10, 1, 10, 30)
    for i, name in enumerate(["a.csv", "b.csv", "c.csv", "d/*.csv"]):
        g.add_node(f"artifact:{name}", "artifact", name, pattern="*" in name)
        g.add_edge(f"artifact:{name}", "model:t.py::<module>::m", "trains-on", fit, read_at=f"t.py:{i + 1}:5")
    assert list(EntangledModelInputs({"max-sources": 5}).check(built)) == []
    hits = list(EntangledModelInputs({"max-sources": 4}).check(built))  # the glob counts once
    assert [(h.site, [(s.line, s.note) for s in h.related]) for h in hits] == [
        (fit, [(1, "reads `a.csv`"), (2, "reads `b.csv`"), (3, "reads `c.csv`"), (4, "reads `d/*.csv`")])
    ]


def test_resolution_enum_strength_order() -> None:
    from mldebt.graph.project import weakest

    assert weakest(Resolution.EXACT, Resolution.CONFIG) is Resolution.CONFIG
    assert weakest(Resolution.PATTERN, Resolution.PARAMETER) is Resolution.PATTERN


def test_values_returned_by_project_functions_resolve() -> None:
    facts = [
        py(
            "cli.py",
            """
            import argparse
            import yaml

            def get_args():
                p = argparse.ArgumentParser()
                p.add_argument("--train", default="data/train.csv")
                return p.parse_args()

            def load_config(path="conf/c.yaml"):
                with open(path) as f:
                    return yaml.safe_load(f)
            """,
        ),
        py(
            "train.py",
            """
            import pandas as pd
            from cli import get_args, load_config

            args = get_args()
            cfg = load_config()
            a = pd.read_csv(args.train)
            b = pd.read_csv(cfg["data"]["test"])
            c = pd.read_csv(load_config().data.test)
            """,
        ),
        config_facts("conf/c.yaml", "data:\n  test: data/test.csv\n"),
    ]
    built = build(facts)
    assert resolutions(built, "train.py") == [
        (7, "data/train.csv", "config"),
        (8, "data/test.csv", "config"),
        (9, "data/test.csv", "config"),
    ]


def test_sys_argv_resolves_through_the_launchers_that_run_the_script() -> None:
    facts = [
        py(
            "src/prepare.py",
            """
            import sys
            import pandas as pd
            raw = pd.read_csv(sys.argv[1])
            raw.to_parquet(sys.argv[2])
            """,
        ),
        config_facts(
            "dvc.yaml",
            "stages:\n  prepare:\n    cmd: python src/prepare.py --seed 3 data/raw.csv data/clean.parquet\n",
        ),
    ]
    built = build(facts)
    assert resolutions(built, "src/prepare.py") == [
        (4, "data/raw.csv", "config"),
        (5, "data/clean.parquet", "config"),
    ]
