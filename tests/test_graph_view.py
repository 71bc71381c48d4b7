"""Views of the project graph and the evidence subgraph of a finding, on graphs built by hand."""

from __future__ import annotations

from mldebt.graph.facade import ProjectGraph, Site
from mldebt.graph.view import EvidenceIndex, collapse_files, fit, focus, select, to_mermaid
from mldebt.model import Confidence, Finding, Location, Severity


def _graph() -> ProjectGraph:
    g = ProjectGraph()
    g.add_node("function:train.py::<module>", "function", "train.py::<module>")
    g.add_node("function:score.py::<module>", "function", "score.py::<module>")
    g.add_node("model:train.py::<module>::m", "model", "`m` in train.py")
    g.add_node("model:score.py::<module>::m", "model", "`m` in score.py")
    g.add_node("artifact:feat.csv", "artifact", "feat.csv")
    g.add_node("artifact:m.pkl", "artifact", "m.pkl")
    g.add_node("config:p.yaml::data.feat", "config", "p.yaml: data.feat")
    g.add_node("config:pyproject.toml::project.name", "config", "pyproject.toml: project.name")
    g.add_node("artifact:pyproject.toml", "artifact", "pyproject.toml")
    g.add_node("module:train.py", "module", "train.py")
    read = Site("train.py", 3, 5)
    g.add_edge("artifact:feat.csv", "function:train.py::<module>", "reads", read)
    g.add_edge("config:p.yaml::data.feat", "function:train.py::<module>", "configures", read)
    g.add_edge("artifact:feat.csv", "model:train.py::<module>::m", "trains-on", Site("train.py", 4, 1))
    g.add_edge("model:train.py::<module>::m", "artifact:m.pkl", "saves", Site("train.py", 5, 1))
    g.add_edge("artifact:m.pkl", "model:score.py::<module>::m", "loads", Site("score.py", 2, 5))
    g.add_edge("model:score.py::<module>::m", "artifact:feat.csv", "predicts-into", Site("score.py", 3, 1))
    g.add_edge("function:score.py::<module>", "artifact:feat.csv", "writes", Site("score.py", 3, 1))
    g.add_edge(
        "artifact:pyproject.toml", "config:pyproject.toml::project.name", "defines", Site("pyproject.toml", 2, 1)
    )
    g.add_edge("module:train.py", "function:train.py::<module>", "contains")
    return g


def test_evidence_of_a_loop_marks_the_loop() -> None:
    index = EvidenceIndex(_graph())
    steps = [Site("train.py", 5, 1), Site("score.py", 2, 5), Site("score.py", 3, 1), Site("train.py", 4, 1)]
    flow = index.flow(Site("train.py", 4, 1), steps)
    # at score.py:3:1 the model's predictions and the script's write share a line: the model edge wins
    assert [(e.source, e.kind, e.target, e.on_path) for e in flow] == [
        ("artifact:feat.csv", "trains-on", "model:train.py::<module>::m", True),
        ("artifact:m.pkl", "loads", "model:score.py::<module>::m", True),
        ("model:score.py::<module>::m", "predicts-into", "artifact:feat.csv", True),
        ("model:train.py::<module>::m", "saves", "artifact:m.pkl", True),
    ]


def test_evidence_prefers_the_read_to_the_config_on_its_line_and_needs_steps() -> None:
    index = EvidenceIndex(_graph())
    flow = index.flow(Site("train.py", 3, 5), [Site("train.py", 3, 5)])
    assert [(e.source, e.kind) for e in flow] == [("artifact:feat.csv", "reads")]
    assert index.flow(Site("train.py", 3, 5), []) == ()


def test_explicit_edges_use_the_scripts_top_level_code() -> None:
    index = EvidenceIndex(_graph())
    flow = index.flow(Site("train.py", 1, 1), [], [("module:train.py", "artifact:m.pkl", "writes")])
    assert [(e.source, e.target, e.on_path) for e in flow] == [("function:train.py::<module>", "artifact:m.pkl", True)]


def test_default_view_is_the_flow_without_metadata() -> None:
    view = select(_graph())
    ids = {n.id for n in view.nodes}
    assert "config:pyproject.toml::project.name" not in ids and "module:train.py" not in ids
    assert "config:p.yaml::data.feat" in ids
    assert {e.kind for e in view.edges} == {
        "reads",
        "configures",
        "trains-on",
        "saves",
        "loads",
        "predicts-into",
        "writes",
    }
    everything = select(_graph(), everything=True)
    assert {"config:pyproject.toml::project.name", "module:train.py"} <= {n.id for n in everything.nodes}


def test_focus_draws_only_the_findings_subgraph_and_highlights_it() -> None:
    g = _graph()
    flow = EvidenceIndex(g).flow(
        Site("train.py", 4, 1), [Site("train.py", 5, 1), Site("score.py", 2, 5), Site("score.py", 3, 1)]
    )
    finding = Finding(
        "MLD301",
        "feedback-loop",
        "feedback-loop",
        Severity.WARNING,
        Confidence.HIGH,
        "loop",
        Location("train.py", 4, 1, 4, 2),
        flow=flow,
    )
    view = focus(g, [finding])
    assert {n.id for n in view.nodes} == {
        "artifact:feat.csv",
        "artifact:m.pkl",
        "model:train.py::<module>::m",
        "model:score.py::<module>::m",
    }
    assert all(n.highlight for n in view.nodes) and all(e.highlight for e in view.edges)
    whole = select(g, findings=[finding])
    assert {n.id for n in whole.nodes if n.highlight} == {n.id for n in view.nodes}
    assert not next(e for e in whole.edges if e.kind == "reads").highlight


def test_collapse_and_fit() -> None:
    view = select(_graph())
    files = collapse_files(view)
    assert {n.id for n in files.nodes} == {
        "module:train.py",
        "module:score.py",
        "module:p.yaml",
        "artifact:feat.csv",
        "artifact:m.pkl",
    }
    cut = fit(view, 3)
    assert len(cut.edges) == 3 and cut.warnings and "cut to the first 3 edges" in cut.warnings[0]
    assert fit(view, 0) is view and fit(view, 100) is view
    small = fit(view, 100, max_chars=200, render=to_mermaid)
    assert len(to_mermaid(small)) <= 200 and small.warnings
