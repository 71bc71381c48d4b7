"""Declarations across files: Hydra config trees, Kedro conf and pipelines, DVC, sweeps, CI.

Facts come from inline snippets through the real parse functions; the graph and MLD201 run on
them (no file system).
"""

from __future__ import annotations

import textwrap

from mldebt.graph.build import Built, build
from mldebt.model import Resolution
from mldebt.parse.configs import config_facts, hydra_tree, kedro_conf_kind, launcher_facts
from mldebt.parse.facts import ConfigDef, FileFacts
from mldebt.parse.python import python_facts
from mldebt.rules.mld201_undeclared_data_dependency import UndeclaredDataDependency


def py(rel: str, src: str) -> FileFacts:
    return python_facts(rel, textwrap.dedent(src), rel.removesuffix(".py").replace("/", "."))


def cfg(rel: str, text: str) -> FileFacts:
    return config_facts(rel, textwrap.dedent(text))


def mld201(facts: list[FileFacts]) -> list[tuple[str, int, str]]:
    built: Built = build(facts)
    return sorted((h.site.path, h.site.line, h.message) for h in UndeclaredDataDependency().check(built))


def reads(built: Built, path: str) -> list[tuple[str, Resolution]]:
    return [(r.artifact, r.how) for s in built.io_sites if s.path == path for r in s.resolved]


# --------------------------------------------------------------------------- Hydra trees

HYDRA = [
    cfg(
        "conf/config.yaml",
        """\
        defaults:
          - model: resnet
          - db@backup: mysql
          - _self_
        data:
          root: data/raw
          train: ${data.root}/train.csv
          test: ${.root}/test.csv
          cache: ${oc.env:CACHE}/c.csv
        """,
    ),
    cfg("conf/model/resnet.yaml", "depth: 50\n"),
    cfg("conf/model/vgg.yaml", "depth: 16\nwidth: 4\n"),
    cfg("conf/db/mysql.yaml", "# a database\n# @package _group_\nhost: localhost\n"),
    cfg("conf/db/pg.yaml", "port: 5432\n"),
    cfg("conf/extra/global.yaml", "# @package _global_\nseed: 7\n"),
]


def _configs(facts: list[FileFacts]) -> dict[str, tuple[ConfigDef, ...]]:
    return {f.path: f.config_defs for f in facts if f.kind == "config"}


def test_hydra_package_directive_is_a_definition_of_its_own_source() -> None:
    defs = HYDRA[3].config_defs
    assert [(d.source, d.key, d.value.text, d.span.line) for d in defs] == [
        ("yaml", ("host",), "localhost", 3),
        ("directive", ("@package",), "_group_", 2),
    ]


def test_hydra_tree_groups_packages_and_alternatives() -> None:
    tree = hydra_tree("conf/config.yaml", _configs(HYDRA))
    assert tree is not None
    assert tree.root == "conf"
    assert tree.files == (
        "conf/config.yaml",
        "conf/db/mysql.yaml",
        "conf/db/pg.yaml",
        "conf/model/resnet.yaml",
        "conf/model/vgg.yaml",
    )
    assert dict(tree.groups) == {"db": ("mysql", "pg"), "model": ("resnet", "vgg")}
    depth = tree.defs[("model", "depth")]
    assert [(t.file, t.d.value.text, t.selected) for t in depth] == [
        ("conf/model/resnet.yaml", "50", True),  # picked by the defaults list
        ("conf/model/vgg.yaml", "16", False),  # `model=vgg` on the command line
    ]
    assert tree.lookup(("model", "width")) is not None  # defined by an option only
    assert tree.lookup(("backup", "host")) is not None  # `db@backup`: the entry's package wins
    assert tree.lookup(("backup", "port")) is not None
    assert tree.lookup(("extra", "seed")) is None  # a group no defaults list names is not in the tree


def test_hydra_interpolations_resolved_within_the_tree() -> None:
    tree = hydra_tree("conf/config.yaml", _configs(HYDRA))
    assert tree is not None
    value = {k: t.d.value.text for k, ts in tree.defs.items() for t in ts[:1]}
    assert value[("data", "train")] == "data/raw/train.csv"
    assert value[("data", "test")] == "data/raw/test.csv"  # relative `${.root}`
    assert value[("data", "cache")] == "${oc.env:CACHE}/c.csv"  # resolvers stay as written


def test_hydra_self_order_and_global_package() -> None:
    configs = _configs(
        [
            cfg("c/main.yaml", "defaults:\n  - _self_\n  - trainer: fast\n  - exp: big\nlr: 0.1\n"),
            cfg("c/trainer/fast.yaml", "epochs: 1\n"),
            cfg("c/exp/big.yaml", "# @package _global_\nlr: 0.5\ntrainer:\n  epochs: 100\n"),
        ]
    )
    tree = hydra_tree("c/main.yaml", configs)
    assert tree is not None
    # `_self_` first: the experiment, merged last at the root, overrides both
    assert [(t.file, t.d.value.text) for t in tree.defs[("lr",)]] == [("c/exp/big.yaml", "0.5"), ("c/main.yaml", "0.1")]
    assert tree.defs[("trainer", "epochs")][0].d.value.text == "100"


def test_hydra_tree_gives_up_on_templates_and_cycles() -> None:
    configs = _configs(
        [
            cfg("c/main.yaml", "defaults:\n  - model: ${oc.env:MODEL}\n  - base\n"),
            cfg("c/base.yaml", "defaults:\n  - main\nseed: 1\n"),  # includes the primary again
            cfg("c/model/a.yaml", "depth: 1\n"),
        ]
    )
    tree = hydra_tree("c/main.yaml", configs)
    assert tree is not None
    assert [t.selected for t in tree.defs[("model", "depth")]] == [False]  # an option, none picked
    assert tree.lookup(("seed",)) is not None
    assert hydra_tree("c/model/a.yaml", configs) is None  # no defaults list: not a tree


def test_hydra_script_resolves_keys_of_group_files() -> None:
    script = py(
        "train.py",
        """
        import hydra
        import pandas as pd

        @hydra.main(config_path="conf", config_name="config", version_base=None)
        def main(cfg):
            train = pd.read_csv(cfg.data.train)
            extra = pd.read_csv(cfg.extra_path)
        """,
    )
    tree = [
        cfg("conf/config.yaml", "defaults:\n  - data: local\n  - _self_\n"),
        cfg("conf/data/local.yaml", "root: data\ntrain: ${data.root}/train.csv\n"),
        cfg("conf/data/cloud.yaml", "train: data/cloud.csv\n"),
    ]
    built = build([script, *tree])
    assert reads(built, "train.py") == [("data/train.csv", Resolution.CONFIG)]
    assert built.project.hydra_primaries["train.py"] == {"conf/config.yaml"}


def test_mld201_hydra_tree_declares_for_its_script() -> None:
    script = py(
        "train.py",
        """
        import hydra
        import pandas as pd

        @hydra.main(config_path="conf", config_name="config", version_base=None)
        def main(cfg):
            a = pd.read_csv(cfg.data.train)
            b = pd.read_csv("data/cloud.csv")
            c = pd.read_csv("data/labels.csv")
        """,
    )
    tree = [
        cfg("conf/config.yaml", "defaults:\n  - data: local\n  - _self_\n"),
        cfg("conf/data/local.yaml", "train: data/train.csv\n"),
        cfg("conf/data/cloud.yaml", "train: data/cloud.csv\n"),  # an option: declared all the same
    ]
    hits = mld201([script, *tree])
    assert [(p, line) for p, line, _ in hits] == [("train.py", 9)]
    assert "`conf/data/" in hits[0][2]


# --------------------------------------------------------------------------- Kedro


def test_kedro_conf_kinds() -> None:
    assert kedro_conf_kind("conf/base/catalog.yml") == "catalog"
    assert kedro_conf_kind("conf/base/catalog_01_raw.yml") == "catalog"
    assert kedro_conf_kind("conf/local/catalog/raw.yml") == "catalog"
    assert kedro_conf_kind("conf/base/pipelines/ds/catalog.yml") == "catalog"
    assert kedro_conf_kind("conf/base/parameters_data_science.yml") == "parameters"
    assert kedro_conf_kind("conf/base/parameters/model.yml") == "parameters"
    assert kedro_conf_kind("conf/base/logging.yml") is None
    assert kedro_conf_kind("conf/catalog.yml") is None  # not in an environment
    assert kedro_conf_kind("configs/base/catalog.yml") is None
    assert kedro_conf_kind("conf/base/catalog.py") is None


def test_kedro_catalog_declares_and_split_catalogs_count() -> None:
    notebook_like = py(
        "explore.py",
        """
        import pandas as pd
        companies = pd.read_csv("data/01_raw/companies.csv")
        reviews = pd.read_csv("data/01_raw/reviews_2024.csv")
        shuttles = pd.read_excel("data/01_raw/shuttles.xlsx")
        """,
    )
    catalog = [
        cfg(
            "conf/base/catalog_01_raw.yml",
            "companies:\n  type: pandas.CSVDataset\n  filepath: data/01_raw/companies.csv\n",
        ),
        cfg(
            "conf/base/catalog/factories.yml",
            '"{name}_reviews":\n  type: pandas.CSVDataset\n  filepath: data/01_raw/{name}.csv\n',
        ),
    ]
    hits = mld201([notebook_like, *catalog])
    # companies: listed; reviews_2024: a dataset factory's pattern; shuttles: listed nowhere
    assert [(p, line) for p, line, _ in hits] == [("explore.py", 5)]
    assert "the project declares its data in `conf/base/catalog" in hits[0][2]


def test_kedro_nodes_declare_a_pipeline_of_their_functions() -> None:
    pipeline = py(
        "src/spaceflights/pipelines/ds/pipeline.py",
        """
        from kedro.pipeline import Pipeline, node, pipeline
        from .nodes import split_data, train_model

        def create_pipeline(**kwargs) -> Pipeline:
            return pipeline([
                node(func=split_data, inputs=["table", "params:model_options"], outputs=["X", "y"]),
                node(train_model, "X", "regressor"),
            ])
        """,
    )
    nodes = py(
        "src/spaceflights/pipelines/ds/nodes.py",
        "def split_data(t, p):\n    return t\n\ndef train_model(x):\n    return x\n",
    )
    plain = py("src/spaceflights/other.py", "def f():\n    return 1\n")
    built = build([pipeline, nodes, plain])
    facts = built.project.files["src/spaceflights/pipelines/ds/pipeline.py"]
    assert facts.declares_pipeline
    assert facts.mentions == ("src/spaceflights/pipelines/ds/nodes.py",)
    assert not built.project.files["src/spaceflights/other.py"].declares_pipeline


# --------------------------------------------------------------------------- DVC


def test_dvc_foreach_wdir_params_files_and_top_level_sections() -> None:
    facts = cfg(
        "dvc.yaml",
        """\
        stages:
          prepare:
            foreach:
              - us
              - uk
            do:
              cmd: python src/prepare.py data/${item}.csv --out data/prepared/${item}
              deps:
                - data/${item}.csv
              outs:
                - data/prepared/${item}:
                    cache: false
          train:
            wdir: src
            cmd: python train.py ../data/prepared
            params:
              - lr
              - ../conf/train.yaml:
                - epochs
            outs:
              - ../model.pkl
          sweep:
            foreach: ${models}
            do:
              cmd: python src/fit.py ${item}
              outs:
                - models/${item}.pkl
        metrics:
          - eval/metrics.json
        artifacts:
          clf:
            path: model.pkl
        """,
    )
    declared = [(d.key, d.value.text) for d in facts.config_defs if d.source == "declared"]
    assert declared == [
        (("deps", "prepare@us", "0"), "data/us.csv"),
        (("outs", "prepare@us", "0"), "data/prepared/us"),
        (("deps", "prepare@uk", "0"), "data/uk.csv"),
        (("outs", "prepare@uk", "0"), "data/prepared/uk"),
        (("outs", "train", "0"), "model.pkl"),  # relative to the wdir
        (("params", "train", "0"), "src/params.yaml"),
        (("params", "train", "1"), "conf/train.yaml"),
        (("outs", "sweep", "0"), "models/${item}.pkl"),  # items elsewhere: kept as a template
        (("metrics", "", "0"), "eval/metrics.json"),
        (("artifacts", "clf", "0"), "model.pkl"),
    ]
    assert facts.mentions == ("src/fit.py", "src/prepare.py", "src/train.py")
    argv = [(d.key, d.value.text) for d in facts.config_defs if d.source == "argv"]
    assert argv == [
        (("src/prepare.py", "1"), "data/us.csv"),
        (("src/prepare.py", "1"), "data/uk.csv"),
        (("src/train.py", "1"), "data/prepared"),  # `../data/prepared` from `src/`
    ]


def test_dvc_matrix_expands() -> None:
    facts = cfg(
        "dvc.yaml",
        "stages:\n  fit:\n    matrix:\n      model: [a, b]\n    cmd: python fit.py --model ${item.model}\n"
        "    outs:\n      - models/${item.model}.pkl\n",
    )
    assert [d.value.text for d in facts.config_defs if d.source == "declared"] == ["models/a.pkl", "models/b.pkl"]
    assert [d.value.text for d in facts.config_defs if d.source == "cli"] == ["a", "b"]


def test_dvc_files_declare_their_outs_and_lock_files_nothing() -> None:
    facts = launcher_facts("data/raw.csv.dvc", "outs:\n- md5: abc\n  size: 3\n  path: raw.csv\n")
    assert [(d.source, d.value.text, d.span.line) for d in facts.config_defs] == [("declared", "data/raw.csv", 4)]
    assert launcher_facts("data/x.dvc", "outs: [\n").config_defs == ()  # broken: declares nothing, no crash
    assert config_facts("dvc.lock", "stages:\n  a:\n    outs:\n    - path: x.csv\n").config_defs == ()


def test_mld201_dvc_outs_and_templates_declare() -> None:
    script = py(
        "train.py",
        """
        import pandas as pd
        raw = pd.read_csv("data/raw.csv")
        fr = pd.read_csv("data/prepared/fr.csv")
        other = pd.read_csv("data/other.csv")
        """,
    )
    dvc = cfg(
        "dvc.yaml",
        "stages:\n  prep:\n    foreach: ${countries}\n    do:\n      cmd: python prep.py ${item}\n"
        "      outs:\n        - data/prepared/${item}.csv\n  train:\n    cmd: python train.py\n    outs:\n      - model.pkl\n",
    )
    raw = launcher_facts("data/raw.csv.dvc", "outs:\n- md5: abc\n  path: raw.csv\n")
    hits = mld201([script, dvc, raw])
    assert [(p, line) for p, line, _ in hits] == [("train.py", 5)]


# --------------------------------------------------------------------------- sweeps and CI


def test_wandb_sweep_is_a_launcher_of_its_program() -> None:
    facts = cfg(
        "sweeps/lr.yaml",
        """\
        program: train.py
        method: bayes
        metric:
          name: val_loss
          goal: minimize
        parameters:
          lr:
            values: [0.1, 0.01]
          data-path:
            value: data/train.csv
          dropout:
            min: 0.0
            max: 0.5
        """,
    )
    assert facts.kind == "launcher" and facts.mentions == ("train.py",) and not facts.declares_pipeline
    assert [(d.source, d.key, d.value.kind, d.value.text, d.span.line) for d in facts.config_defs] == [
        ("cli", ("lr",), "num", "0.1", 8),
        ("cli", ("lr",), "num", "0.01", 8),
        ("cli", ("data_path",), "str", "data/train.csv", 10),
        ("cli", ("dropout",), "unknown", "sweep", 12),
    ]


def test_wandb_sweep_command_forms() -> None:
    hydra = cfg(
        "sweep.yaml",
        "program: src/train.py\nmethod: grid\ncommand:\n  - ${env}\n  - python\n  - ${program}\n  - --config\n"
        "  - conf/base.yaml\n  - ${args_no_hyphens}\nparameters:\n  model.lr:\n    values: [1]\n",
    )
    assert hydra.mentions == ("src/train.py",)
    assert [(d.key, d.value.text) for d in hydra.config_defs] == [
        (("config",), "conf/base.yaml"),
        (("model", "lr"), "1"),
    ]
    json_args = cfg(
        "sweep.yaml",
        "program: t.py\nmethod: grid\ncommand: [python, t.py, '${args_json}']\nparameters:\n  a:\n    value: 1\n",
    )
    assert json_args.config_defs == ()  # the values go in one JSON argument, not as flags
    not_a_sweep = cfg("conf/app.yaml", "program: train.py\nparameters:\n  lr: 0.1\n")
    assert not_a_sweep.kind == "config"


def test_wandb_sweep_flag_resolves_an_argparse_path() -> None:
    script = py(
        "train.py",
        """
        import argparse
        import pandas as pd
        parser = argparse.ArgumentParser()
        parser.add_argument("--data-path")
        args = parser.parse_args()
        df = pd.read_csv(args.data_path)
        """,
    )
    sweep = cfg("sweep.yaml", "program: train.py\nmethod: grid\nparameters:\n  data_path:\n    value: data/train.csv\n")
    assert reads(build([script, sweep]), "train.py") == [("data/train.csv", Resolution.CONFIG)]


def test_gitlab_ci_is_a_launcher() -> None:
    facts = cfg(
        ".gitlab-ci.yml",
        """\
        train:
          script:
            - pip install -r requirements.txt
            - python src/train.py --epochs 3
            - python src/evaluate.py
        """,
    )
    assert facts.kind == "launcher" and facts.declares_pipeline
    assert facts.mentions == ("src/evaluate.py", "src/train.py")
    assert [(d.key, d.value.text) for d in facts.config_defs] == [(("epochs",), "3")]


def test_github_workflow_run_blocks() -> None:
    facts = cfg(
        ".github/workflows/train.yml",
        """\
        jobs:
          train:
            steps:
              - run: |
                  python scripts/prepare.py data/raw.csv \\
                    --out data/clean.csv
                  python -m pkg.train --lr ${{ matrix.lr }}
        """,
    )
    assert facts.kind == "launcher"
    assert facts.mentions == ("pkg/train.py", "scripts/prepare.py")
    assert [(d.source, d.key, d.value.kind, d.value.text) for d in facts.config_defs] == [
        ("cli", ("out",), "str", "data/clean.csv"),
        ("argv", ("scripts/prepare.py", "1"), "str", "data/raw.csv"),
        ("cli", ("lr",), "unknown", "${{ matrix.lr }}"),
    ]
