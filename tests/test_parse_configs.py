"""Tests for mldebt.parse.configs: config files and launchers -> FileFacts."""

from __future__ import annotations

import os
import subprocess

import pytest

from mldebt.parse.configs import MAX_DEFS, config_facts, launcher_facts
from mldebt.parse.errors import FileSkipped
from mldebt.parse.facts import ConfigDef, FileFacts, Span, Value


def defs(facts: FileFacts) -> list[tuple[str, tuple[str, ...], str, str, int]]:
    """(source, key, value kind, value text, line) of every ConfigDef."""
    return [(d.source, d.key, d.value.kind, d.value.text, d.span.line) for d in facts.config_defs]


# --------------------------------------------------------------------------- YAML


def test_yaml_nested_with_lists() -> None:
    text = (
        "model:\n"  # 1
        "  name: resnet\n"  # 2
        "  layers: [64, 128]\n"  # 3
        "train:\n"  # 4
        "  lr: 0.001\n"  # 5
        "  wd: 1e-4\n"  # 6
        "  amp: true\n"  # 7
        "  notes: ~\n"  # 8
        "  tag: '5'\n"  # 9
        "  schedule:\n"  # 10
        "    - step: 5\n"  # 11
        "      gamma: 0.5\n"  # 12
        "    - plain\n"  # 13
    )
    facts = config_facts("conf/train.yaml", text)
    assert (facts.path, facts.kind, facts.module, facts.lines) == ("conf/train.yaml", "config", "", 13)
    assert not facts.declares_pipeline and facts.mentions == ()
    assert defs(facts) == [
        ("yaml", ("model", "name"), "str", "resnet", 2),
        ("yaml", ("model", "layers", "0"), "num", "64", 3),
        ("yaml", ("model", "layers", "1"), "num", "128", 3),
        ("yaml", ("train", "lr"), "num", "0.001", 5),
        ("yaml", ("train", "wd"), "num", "0.0001", 6),
        ("yaml", ("train", "amp"), "bool", "true", 7),
        ("yaml", ("train", "notes"), "unknown", "null", 8),
        ("yaml", ("train", "tag"), "str", "5", 9),
        ("yaml", ("train", "schedule", "0", "step"), "num", "5", 11),
        ("yaml", ("train", "schedule", "0", "gamma"), "num", "0.5", 12),
        ("yaml", ("train", "schedule", "1"), "str", "plain", 13),
    ]
    assert facts.config_defs[0].span == Span(2, 9, 2, 15)
    assert facts.config_defs[2].span == Span(3, 16, 3, 19)


def test_yaml_multi_document_and_merge_keys() -> None:
    text = "seed: 1\n---\nbase: &b\n  lr: 0.1\n  bs: 32\nexp:\n  <<: *b\n  lr: 0.2\n---\n"
    assert defs(config_facts("c.yml", text)) == [
        ("yaml", ("seed",), "num", "1", 1),
        ("yaml", ("base", "lr"), "num", "0.1", 4),
        ("yaml", ("base", "bs"), "num", "32", 5),
        ("yaml", ("exp", "bs"), "num", "32", 5),  # merged from the anchor, at the anchor's line
        ("yaml", ("exp", "lr"), "num", "0.2", 8),  # own key overrides the merged one
    ]


def test_yaml_python_tags_are_not_constructed(monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[object] = []

    def spy(*args: object, **kwargs: object) -> int:
        called.append(args)
        return 0

    monkeypatch.setattr(os, "system", spy)
    monkeypatch.setattr(subprocess, "Popen", spy)
    text = "cmd: !!python/object/apply:os.system [\"echo pwned\"]\nfn: !!python/name:os.system run\nn: !!int '7'\n"
    assert defs(config_facts("evil.yaml", text)) == [
        ("yaml", ("cmd", "0"), "str", "echo pwned", 1),
        ("yaml", ("fn",), "str", "run", 2),
        ("yaml", ("n",), "num", "7", 3),
    ]
    assert called == []


def test_yaml_recursive_alias_and_templated_value() -> None:
    text = "a: &x\n  - 1\n  - *x\nb: {{ var }}\n"
    assert defs(config_facts("c.yaml", text)) == [
        ("yaml", ("a", "0"), "num", "1", 2),
        ("yaml", ("b",), "unknown", "{{ var }}", 4),
    ]


@pytest.mark.parametrize(
    ("rel", "text", "message"),
    [
        ("a.yaml", "a: 1\nb: [1, 2\nc: 3\n", "invalid YAML: expected ',' or ']', but got ':' (line 3)"),
        (
            "a.yaml",
            "a: 1\n{% if x %}\nb: 2\n",
            "invalid YAML: found character '%' that cannot start any token (line 2)",
        ),
        ("a.json", '{\n  "a": 1,\n  "b": }\n', "invalid JSON: Expecting value (line 3)"),
        ("a.toml", "a = 1\n[t]\nb = \n", "invalid TOML: Invalid value (line 3)"),
        ("a.toml", "a = 1\n[t\n", "invalid TOML: Expected ']' at the end of a table declaration (line 2)"),
    ],
)
def test_broken_configs_are_skipped_with_line(rel: str, text: str, message: str) -> None:
    with pytest.raises(FileSkipped) as info:
        config_facts(rel, text)
    assert str(info.value) == message


def test_deeply_nested_yaml_is_skipped() -> None:
    with pytest.raises(FileSkipped, match="invalid YAML"):
        config_facts("deep.yaml", "[" * 50_000)


def test_huge_config_is_capped() -> None:
    text = "{" + ", ".join(f'"k{i}": {i}' for i in range(MAX_DEFS + 500)) + "}"
    got = config_facts("big.json", text).config_defs
    assert len(got) == MAX_DEFS
    assert got[0].key == ("k0",) and got[-1].key == (f"k{MAX_DEFS - 1}",)


# --------------------------------------------------------------------------- JSON / TOML


def test_json_nested() -> None:
    text = '{\n  "model": {"depth": 3, "dropout": 0.5},\n  "tags": ["a", true, null],\n  "lr": -1e-3\n}\n'
    facts = config_facts("params.json", text)
    assert defs(facts) == [
        ("json", ("model", "depth"), "num", "3", 2),
        ("json", ("model", "dropout"), "num", "0.5", 2),
        ("json", ("tags", "0"), "str", "a", 3),
        ("json", ("tags", "1"), "bool", "true", 3),
        ("json", ("tags", "2"), "unknown", "null", 3),
        ("json", ("lr",), "num", "-0.001", 4),
    ]
    assert facts.config_defs[0].span == Span(2, 22, 2, 23)
    assert facts.config_defs[2].span == Span(3, 12, 3, 15)  # the quoted string


def test_toml_tables_and_arrays_of_tables() -> None:
    text = (
        'title = "exp"\n'  # 1
        "[train]\n"  # 2
        "lr = 0.01  # comment\n"  # 3
        "sizes = [1, 2]\n"  # 4
        "opt.name = 'adam'\n"  # 5
        "[[stage]]\n"  # 6
        'name = "prep"\n'  # 7
        "[stage.io]\n"  # 8
        "fast = true\n"  # 9
        "[[stage]]\n"  # 10
        'name = "fit"\n'  # 11
        "when = 2024-01-02\n"  # 12
    )
    facts = config_facts("pyproject.toml", text)
    assert defs(facts) == [
        ("toml", ("title",), "str", "exp", 1),
        ("toml", ("train", "lr"), "num", "0.01", 3),
        ("toml", ("train", "sizes", "0"), "num", "1", 4),  # array items: the array's line
        ("toml", ("train", "sizes", "1"), "num", "2", 4),
        ("toml", ("train", "opt", "name"), "str", "adam", 5),
        ("toml", ("stage", "0", "name"), "str", "prep", 7),
        ("toml", ("stage", "0", "io", "fast"), "bool", "true", 9),
        ("toml", ("stage", "1", "name"), "str", "fit", 11),
        ("toml", ("stage", "1", "when"), "str", "2024-01-02", 12),
    ]
    assert facts.config_defs[1].span == Span(3, 6, 3, 10)


# --------------------------------------------------------------------------- DVC


def test_dvc_yaml_two_stages() -> None:
    text = (
        "stages:\n"  # 1
        "  prepare:\n"  # 2
        "    cmd: python src/prepare.py --split 0.2\n"  # 3
        "    deps: [src/prepare.py]\n"  # 4
        "  train:\n"  # 5
        "    cmd:\n"  # 6
        "      - python -m pkg.train --epochs 3\n"  # 7
        "      - bash scripts/post.sh\n"  # 8
        "    outs: [model.pkl]\n"  # 9
    )
    facts = config_facts("dvc.yaml", text)
    assert facts.kind == "config" and facts.declares_pipeline
    assert facts.mentions == ("pkg/train.py", "scripts/post.sh", "src/prepare.py")
    assert defs(facts) == [
        ("yaml", ("stages", "prepare", "cmd"), "str", "python src/prepare.py --split 0.2", 3),
        ("yaml", ("stages", "prepare", "deps", "0"), "str", "src/prepare.py", 4),
        ("yaml", ("stages", "train", "cmd", "0"), "str", "python -m pkg.train --epochs 3", 7),
        ("yaml", ("stages", "train", "cmd", "1"), "str", "bash scripts/post.sh", 8),
        ("yaml", ("stages", "train", "outs", "0"), "str", "model.pkl", 9),
        ("cli", ("split",), "num", "0.2", 3),
        ("declared", ("deps", "prepare", "0"), "str", "src/prepare.py", 4),
        ("cli", ("epochs",), "num", "3", 7),
        ("declared", ("outs", "train", "0"), "str", "model.pkl", 9),
    ]


def test_dvc_metadata_files_declare_nothing() -> None:
    text = "outs:\n- md5: abc\n  path: data.csv\n"
    for rel in ("data.csv.dvc", "dvc.lock"):
        facts = config_facts(rel, text)
        assert facts.config_defs == () and facts.mentions == () and not facts.declares_pipeline
    stage = launcher_facts("train.dvc", "md5: abc\ncmd: python train.py --lr 0.2\ndeps:\n- path: src/x.py\n")
    assert stage.mentions == ("train.py",) and stage.declares_pipeline
    assert defs(stage) == [("cli", ("lr",), "num", "0.2", 2)]


# --------------------------------------------------------------------------- launchers


def test_makefile_continuations_and_flags() -> None:
    text = (
        "PYTHON := .venv/bin/python\n"  # 1
        ".PHONY: all train\n"  # 2
        "all: train  # python not_run.py\n"  # 3
        "prepare: src/prepare.py data/raw.csv\n"  # 4
        "\t@$(PYTHON) src/prepare.py --input $(DATA) \\\n"  # 5
        "\t    --out-dir data/prepared  # trailing\n"  # 6
        "train: prepare\n"  # 7
        "\tCUDA_VISIBLE_DEVICES=0 python3 -u -m pkg.train --lr 0.1 --epochs=5 --use-amp 2>&1 | tee log\n"  # 8
        "evaluate: ; python ./src/evaluate.py --threshold -0.5\n"  # 9
        "lint:\n"  # 10
        "\tpython -m ruff check . && python -m pytest -x\n"  # 11
    )
    facts = launcher_facts("Makefile", text)
    assert (facts.kind, facts.lines, facts.declares_pipeline) == ("launcher", 11, True)
    assert facts.mentions == ("pkg/train.py", "src/evaluate.py", "src/prepare.py")
    assert defs(facts) == [
        ("cli", ("input",), "unknown", "$(DATA)", 5),
        ("cli", ("out_dir",), "str", "data/prepared", 6),
        ("cli", ("lr",), "num", "0.1", 8),
        ("cli", ("epochs",), "num", "5", 8),
        ("cli", ("use_amp",), "bool", "true", 8),
        ("cli", ("threshold",), "num", "-0.5", 9),
    ]
    lr = facts.config_defs[2]
    assert lr == ConfigDef("cli", ("lr",), Value("num", "0.1"), Span(8, 49, 8, 57))
    assert facts.config_defs[1].span == Span(6, 6, 6, 29)  # on the continuation line


def test_makefile_without_scripts_declares_no_pipeline() -> None:
    facts = launcher_facts("Makefile", "install:\n\tpip install -e .\nlint:\n\tpython -m ruff check .\n")
    assert facts.mentions == () and not facts.declares_pipeline


def test_shell_script_continuations_flags_and_modules() -> None:
    text = (
        "#!/bin/bash\n"  # 1
        "# python commented_out.py\n"  # 2
        "cd src && python prepare.py \\\n"  # 3
        "   --seed 42 \\\n"  # 4
        "   --split=0.2\n"  # 5
        "python3 -m pkg.models.train --lr 1e-3 --opt 'adam w' --dry-run model.layers=3 > out.log\n"  # 6
        "./scripts/eval.sh\n"  # 7
        "echo 'python fake.py'; python -c 'import x'\n"  # 8
    )
    facts = launcher_facts("scripts/run_all.sh", text)
    assert facts.declares_pipeline
    assert facts.mentions == ("pkg/models/train.py", "prepare.py", "scripts/eval.sh")
    assert defs(facts) == [
        ("cli", ("seed",), "num", "42", 4),
        ("cli", ("split",), "num", "0.2", 5),
        ("cli", ("lr",), "num", "0.001", 6),
        ("cli", ("opt",), "str", "adam w", 6),
        ("cli", ("dry_run",), "bool", "true", 6),
        ("cli", ("model", "layers"), "num", "3", 6),  # Hydra override
    ]


def test_shell_script_running_one_script_is_not_a_pipeline() -> None:
    facts = launcher_facts("run.sh", "export X=1\nnohup python ./train.py --lr $LR &\n")
    assert facts.mentions == ("train.py",) and not facts.declares_pipeline
    assert defs(facts) == [("cli", ("lr",), "unknown", "$LR", 2)]


def test_launcher_commands_and_runners() -> None:
    text = (
        "torchrun --nproc_per_node 4 dist/train.py --bs 64\n"
        "python -m torch.distributed.launch --nproc_per_node=2 ddp.py\n"
        "accelerate launch --config_file cfg.yaml acc.py\n"
        "uv run tools/clean.py\n"
        "bash scripts/report.sh --fast\n"
        "jupyter nbconvert --to notebook --execute notebooks/eda.ipynb\n"
        "papermill nb/in.ipynb nb/out.ipynb -p alpha 0.6\n"
        "python $(ROOT)/src/x.py; python /abs/y.py; python ../up.py\n"
    )
    facts = launcher_facts("run.sh", text)
    assert facts.mentions == (
        "acc.py",
        "ddp.py",
        "dist/train.py",
        "nb/in.ipynb",
        "notebooks/eda.ipynb",
        "scripts/report.sh",
        "src/x.py",
        "tools/clean.py",
    )
    assert defs(facts) == [("cli", ("bs",), "num", "64", 1), ("cli", ("alpha",), "num", "0.6", 7)]


def test_github_workflow_is_a_launcher() -> None:
    text = (
        "on: [push]\n"
        "jobs:\n"
        "  train:\n"
        "    steps:\n"
        "      - uses: actions/setup-python@v5\n"
        "        with:\n"
        '          python-version: "3.11"\n'
        "      - run: pip install -r requirements.txt\n"
        "      - run: |\n"
        "          python src/train.py --epochs 1\n"
        "          python -m src.evaluate\n"
        '      - run: "./scripts/deploy.sh"\n'
    )
    for facts in (launcher_facts(".github/workflows/ci.yml", text), config_facts(".github/workflows/ci.yml", text)):
        assert facts.kind == "launcher" and facts.declares_pipeline
        assert facts.mentions == ("scripts/deploy.sh", "src/evaluate.py", "src/train.py")
        assert defs(facts) == [("cli", ("epochs",), "num", "1", 10)]


def test_snakefile() -> None:
    text = (
        "rule prepare:\n"
        '    input: "data/raw.csv"\n'
        '    shell: "python scripts/prepare.py {input} {output} --seed 1"\n'
        "rule plot:\n"
        "    script:\n"
        '        "scripts/plot.py"\n'
        "rule nb:\n"
        '    notebook: "notebooks/eda.ipynb"\n'
    )
    facts = launcher_facts("workflow/Snakefile", text)
    assert facts.declares_pipeline
    assert facts.mentions == ("notebooks/eda.ipynb", "scripts/plot.py", "scripts/prepare.py")
    assert defs(facts) == [("cli", ("seed",), "num", "1", 3)]
