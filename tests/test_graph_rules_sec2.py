"""Sculley §2 graph rules (MLD102-104) and MLD301's two-model loops, on graphs built by hand.

The graph alone makes each case: model, artifact and function nodes with the edges the builder
would add. Model events (which fits learn, where predictions are made) come from facts, so the
few facts a rule reads are built here too, without parsing any code.
"""

from __future__ import annotations

from mldebt.graph.build import Built, IOSite
from mldebt.graph.facade import ProjectGraph, Site
from mldebt.graph.project import Project, Resolved, Via
from mldebt.model import Confidence, Resolution
from mldebt.parse.facts import IO, FileFacts, Function, ModelEvent, Span, Value
from mldebt.rules.mld102_correction_cascade import CorrectionCascade
from mldebt.rules.mld103_undeclared_consumer import UndeclaredConsumer
from mldebt.rules.mld104_shared_feature_builder import SharedFeatureBuilder
from mldebt.rules.mld301_feedback_loop import FeedbackLoop


def span(line: int, col: int = 1) -> Span:
    return Span(line, col, line, col + 10)


def at(path: str, line: int, col: int = 1) -> Site:
    return Site(path, line, col, line, col + 10)


def fit(var: str, line: int, api: str = "fit", lineage: frozenset[str] = frozenset()) -> ModelEvent:
    return ModelEvent("fit", var, var.split("::")[0], span(line), api, lineage)


def predict(var: str, line: int, col: int = 1) -> ModelEvent:
    return ModelEvent("predict", var, var.split("::")[0], span(line, col), "predict")


def facts(path: str, *events: ModelEvent, io: tuple[IO, ...] = ()) -> FileFacts:
    fns = (Function("<module>", (), (), span(1), frozenset(), is_entry=True),)
    return FileFacts(
        path, "python", path.removesuffix(".py").replace("/", "."), 30, functions=fns, io=io, models=events
    )


def graph_with(*files: FileFacts) -> Built:
    built = Built(ProjectGraph(), Project(files))
    g = built.graph
    for f in files:
        for ev in f.models:
            node = f"model:{f.path}::{ev.var}"
            g.add_node(node, "model", f"`{ev.var.rpartition('::')[2]}` in {f.path}", at(f.path, ev.span.line))
    return built


def artifact(built: Built, name: str) -> str:
    return built.graph.add_node(f"artifact:{name}", "artifact", name, pattern="*" in name)


# ----------------------------------------------------------------- MLD102


def test_residual_fit_in_memory_is_a_cascade_with_the_predict_as_evidence() -> None:
    built = graph_with(
        facts(
            "train.py",
            fit("<module>::base", 8),
            predict("<module>::base", 9, 12),
            fit("<module>::stage2", 11, lineage=frozenset({"io:0", "pred:<module>::base"})),
        )
    )
    built.graph.add_edge(
        "model:train.py::<module>::base",
        "model:train.py::<module>::stage2",
        "feeds",
        at("train.py", 11),
        carries="predictions",
    )
    hits = list(CorrectionCascade().check(built))
    assert [(h.site.line, [(s.path, s.line, s.column) for s in h.related]) for h in hits] == [
        (11, [("train.py", 9, 12)])
    ]
    assert "`stage2` in train.py is fit on predictions of `base` (line 9 `base.predict`)" in hits[0].message
    assert hits[0].confidence is Confidence.MEDIUM


def test_an_object_handed_over_is_no_cascade() -> None:
    built = graph_with(facts("train.py", fit("<module>::base", 8), fit("train::model", 20)))
    built.graph.add_edge(
        "model:train.py::<module>::base", "model:train.py::train::model", "feeds", at("train.py", 20), carries="object"
    )
    assert list(CorrectionCascade().check(built)) == []


def test_cascade_through_a_scores_file_names_write_and_read() -> None:
    built = graph_with(
        facts("score.py", fit("<module>::base", 5), predict("<module>::base", 8, 14)),
        facts("stage2.py", fit("<module>::meta", 9)),
    )
    g = built.graph
    scores = artifact(built, "data/scores.csv")
    g.add_edge("model:score.py::<module>::base", scores, "predicts-into", at("score.py", 9), resolution="exact")
    g.add_edge(
        scores,
        "model:stage2.py::<module>::meta",
        "trains-on",
        at("stage2.py", 9),
        read_at="stage2.py:6:10",
        resolution="exact",
    )
    hits = list(CorrectionCascade().check(built))
    assert len(hits) == 1
    assert [(s.path, s.line) for s in hits[0].related] == [("score.py", 8), ("score.py", 9), ("stage2.py", 6)]
    assert "read from `data/scores.csv` written at score.py:9" in hits[0].message


def test_a_glob_step_lowers_confidence() -> None:
    built = graph_with(
        facts("score.py", fit("<module>::base", 5), predict("<module>::base", 8)),
        facts("stage2.py", fit("<module>::meta", 9)),
    )
    g = built.graph
    exact, glob = artifact(built, "data/scores_01.csv"), artifact(built, "data/scores_*.csv")
    g.add_edge("model:score.py::<module>::base", exact, "predicts-into", at("score.py", 9), resolution="exact")
    g.add_edge(exact, glob, "matches", at("stage2.py", 6))
    g.add_edge(glob, "model:stage2.py::<module>::meta", "trains-on", at("stage2.py", 9), read_at="stage2.py:6:1")
    hits = list(CorrectionCascade().check(built))
    assert [h.confidence for h in hits] == [Confidence.LOW]


def test_a_cycle_is_left_to_mld301_and_reported_once_there() -> None:
    """A's predictions -> a.csv -> B's fit; B's predictions -> b.csv -> A's fit: one MLD301 finding."""
    built = graph_with(
        facts("a.py", fit("<module>::a", 5), predict("<module>::a", 6)),
        facts("b.py", fit("<module>::b", 5), predict("<module>::b", 6)),
    )
    g = built.graph
    a_out, b_out = artifact(built, "data/a.csv"), artifact(built, "data/b.csv")
    g.add_edge("model:a.py::<module>::a", a_out, "predicts-into", at("a.py", 7), resolution="exact")
    g.add_edge(a_out, "model:b.py::<module>::b", "trains-on", at("b.py", 5), read_at="b.py:3:1", resolution="exact")
    g.add_edge("model:b.py::<module>::b", b_out, "predicts-into", at("b.py", 7), resolution="exact")
    g.add_edge(b_out, "model:a.py::<module>::a", "trains-on", at("a.py", 5), read_at="a.py:3:1", resolution="exact")
    assert list(CorrectionCascade().check(built)) == []
    loops = list(FeedbackLoop().check(built))
    assert len(loops) == 1
    assert "2 models are trained in the loop" in loops[0].message
    # the whole cycle, starting after the reported fit (b's) and ending at it
    assert [(s.path, s.line) for s in loops[0].related] == [("b.py", 7), ("a.py", 5), ("a.py", 7), ("b.py", 5)]


def test_mld301_reports_a_two_model_loop_once_despite_a_derives_shortcut() -> None:
    built = graph_with(
        facts("a.py", fit("<module>::a", 5), predict("<module>::a", 6)),
        facts("b.py", fit("<module>::b", 5), predict("<module>::b", 6)),
    )
    g = built.graph
    a_out, b_out = artifact(built, "data/a.csv"), artifact(built, "data/b.csv")
    g.add_edge("model:a.py::<module>::a", a_out, "predicts-into", at("a.py", 7))
    g.add_edge(a_out, "model:b.py::<module>::b", "trains-on", at("b.py", 5))
    g.add_edge("model:b.py::<module>::b", b_out, "predicts-into", at("b.py", 7))
    g.add_edge(b_out, "model:a.py::<module>::a", "trains-on", at("a.py", 5))
    g.add_edge(b_out, a_out, "derives", at("a.py", 7))  # a.py writes a.csv from the frame it read
    assert len(list(FeedbackLoop().check(built))) == 1


def test_self_training_through_a_saved_copy_is_no_cascade() -> None:
    built = graph_with(
        facts("train.py", fit("<module>::model", 5)),
        facts("score.py", predict("<module>::model", 6)),
        facts("retrain.py", fit("<module>::model", 9)),
    )
    g = built.graph
    pkl, scores = artifact(built, "m.pkl"), artifact(built, "scores.csv")
    g.add_edge("model:train.py::<module>::model", pkl, "saves", at("train.py", 6))
    g.add_edge(pkl, "model:score.py::<module>::model", "loads", at("score.py", 4))
    g.add_edge(pkl, "model:retrain.py::<module>::model", "loads", at("retrain.py", 4))
    g.add_edge("model:score.py::<module>::model", scores, "predicts-into", at("score.py", 7))
    g.add_edge(scores, "model:retrain.py::<module>::model", "trains-on", at("retrain.py", 9))
    assert list(CorrectionCascade().check(built)) == []


def test_outputs_of_a_model_never_fit_in_the_project_are_features() -> None:
    built = graph_with(
        facts(
            "train.py",
            predict("<module>::encoder", 6),
            fit("<module>::clf", 9, lineage=frozenset({"pred:<module>::encoder"})),
        )
    )
    built.graph.add_edge(
        "model:train.py::<module>::encoder",
        "model:train.py::<module>::clf",
        "feeds",
        at("train.py", 9),
        carries="predictions",
    )
    assert list(CorrectionCascade().check(built)) == []


def test_a_scaler_fit_on_predictions_is_no_cascade() -> None:
    built = graph_with(
        facts(
            "t.py", fit("<module>::base", 3), predict("<module>::base", 4), fit("<module>::scaler", 5, "fit_transform")
        )
    )
    built.graph.add_edge(
        "model:t.py::<module>::base", "model:t.py::<module>::scaler", "feeds", at("t.py", 5), carries="predictions"
    )
    assert list(CorrectionCascade().check(built)) == []


# ----------------------------------------------------------------- MLD103


def io_site(path: str, index: int, op: str, artifact_name: str, how: Resolution, via: tuple[Via, ...] = ()) -> IOSite:
    fact = IO(
        op,
        "data",
        "pandas.read_csv" if op == "read" else "*.to_csv",
        Value("str", artifact_name),
        "<module>",
        span(index + 3),
    )
    return IOSite(path, index, fact, (Resolved(artifact_name, how, via),))


def consumer_graph(reader_how: Resolution, reader_via: tuple[Via, ...] = (), writer_via: tuple[Via, ...] = ()) -> Built:
    built = graph_with(facts("score.py", predict("<module>::model", 7)))
    scores = artifact(built, "data/scores.csv")
    write = io_site(
        "score.py", 1, "write", "data/scores.csv", Resolution.IMPORTED if writer_via else Resolution.EXACT, writer_via
    )
    read = io_site("report.py", 0, "read", "data/scores.csv", reader_how, reader_via)
    built.io_sites.extend([write, read])
    built.graph.add_edge("model:score.py::<module>::model", scores, "predicts-into", write.site, resolution="exact")
    return built


def test_a_raw_read_of_predictions_by_another_script_is_an_undeclared_consumer() -> None:
    hits = list(UndeclaredConsumer().check(consumer_graph(Resolution.EXACT)))
    assert [(h.site.path, h.site.line) for h in hits] == [("report.py", 3)]
    assert [(s.path, s.line) for s in hits[0].related] == [("score.py", 7), ("score.py", 4)]
    assert "`report.py` reads `data/scores.csv`, the predictions of `model` written at score.py:4" in hits[0].message
    assert hits[0].confidence is Confidence.MEDIUM


def test_the_same_imported_constant_on_both_sides_declares_the_dependency() -> None:
    const = (Via("constant", "paths.py", 0, "SCORES"),)
    assert list(UndeclaredConsumer().check(consumer_graph(Resolution.IMPORTED, const, const))) == []


def test_a_reader_bypassing_the_writers_constant_is_named() -> None:
    const = (Via("constant", "paths.py", 0, "SCORES"),)
    hits = list(UndeclaredConsumer().check(consumer_graph(Resolution.EXACT, (), const)))
    assert (
        len(hits) == 1
        and "bypassing the declaration the writer uses (the constant `SCORES` of `paths.py`)" in hits[0].message
    )


def test_a_config_key_read_is_declared() -> None:
    key = (Via("config-key", "conf/params.yaml", 2, "outputs.scores"),)
    assert list(UndeclaredConsumer().check(consumer_graph(Resolution.CONFIG, key))) == []


def test_a_pipeline_file_running_both_scripts_declares_the_dependency() -> None:
    built = consumer_graph(Resolution.EXACT)
    dvc = FileFacts("dvc.yaml", "launcher", "", 5, mentions=("score.py", "report.py"), declares_pipeline=True)
    built.project = Project([*built.project.files.values(), dvc])
    assert list(UndeclaredConsumer().check(built)) == []


def test_a_saved_model_with_a_raw_path_on_both_sides_is_reported_only_on_request() -> None:
    built = graph_with(facts("train.py", fit("<module>::model", 5)))
    pkl = artifact(built, "models/m.pkl")
    write = io_site("train.py", 1, "write", "models/m.pkl", Resolution.EXACT)
    read = io_site("serve.py", 0, "read", "models/m.pkl", Resolution.EXACT)
    built.io_sites.extend([write, read])
    built.graph.add_edge("model:train.py::<module>::model", pkl, "saves", write.site)
    assert list(UndeclaredConsumer().check(built)) == []
    hits = list(UndeclaredConsumer({"all-model-files": True}).check(built))
    assert [(h.site.path, h.confidence) for h in hits] == [("serve.py", Confidence.LOW)]


# ----------------------------------------------------------------- MLD104


def feature_table_graph(models: int, files: int) -> Built:
    paths = [f"train_{i % files}.py" for i in range(models)]
    by_path: dict[str, list[ModelEvent]] = {}
    for i, p in enumerate(paths):
        by_path.setdefault(p, []).append(fit(f"<module>::m{i}", 5 + i))
    built = graph_with(*[facts(p, *events) for p, events in by_path.items()])
    g = built.graph
    raw, table = artifact(built, "data/raw.csv"), artifact(built, "data/features.parquet")
    g.add_edge(raw, table, "derives", at("build.py", 9))
    for i, p in enumerate(paths):
        g.add_edge(table, f"model:{p}::<module>::m{i}", "trains-on", at(p, 5 + i))
    return built


def test_a_feature_table_feeding_three_models_in_two_files() -> None:
    hits = list(SharedFeatureBuilder().check(feature_table_graph(3, 2)))
    assert [(h.site.path, h.site.line, len(h.related)) for h in hits] == [("build.py", 9, 3)]
    assert "the feature table `data/features.parquet` feeds 3 models" in hits[0].message


def test_models_compared_in_one_file_or_too_few_are_not_reported() -> None:
    assert list(SharedFeatureBuilder().check(feature_table_graph(3, 1))) == []
    assert list(SharedFeatureBuilder().check(feature_table_graph(2, 2))) == []
    assert len(list(SharedFeatureBuilder({"min-models": 2}).check(feature_table_graph(2, 2)))) == 1


def test_raw_input_data_is_no_feature_builder() -> None:
    built = feature_table_graph(4, 4)
    g = built.graph
    raw_only = Built(ProjectGraph(), built.project)
    for n in g.nodes():
        raw_only.graph.add_node(n, g.kind(n), g.label(n), g.site(n))
    for e in g.edges(["trains-on"]):
        raw_only.graph.add_edge(e.source, e.target, e.kind, e.sites[0])
    assert list(SharedFeatureBuilder().check(raw_only)) == []


def test_copies_of_one_model_count_once() -> None:
    built = feature_table_graph(3, 3)
    g = built.graph
    pkl = artifact(built, "m.pkl")
    g.add_edge("model:train_0.py::<module>::m0", pkl, "saves", at("train_0.py", 9))
    g.add_edge(pkl, "model:train_1.py::<module>::m1", "loads", at("train_1.py", 2))
    assert list(SharedFeatureBuilder().check(built)) == []
