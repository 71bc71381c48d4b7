"""Which YAML/JSON/TOML files are configuration: only those become config nodes, and only their
parse errors are reported."""

from __future__ import annotations

from pathlib import Path

from helpers import scan

from mldebt.api import build_project, settings_for


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


PROJECT = {
    "train.py": (
        "import json\nimport yaml\n\n"
        "with open('settings/model.yaml') as f:\n    cfg = yaml.safe_load(f)\n"
        "with open('hp.json') as f:\n    hp = json.load(f)\n"
        "print(cfg['lr'], hp['depth'])\n"
    ),
    "settings/model.yaml": "lr: 0.1\n",  # read by code
    "hp.json": '{"depth": 3}\n',  # read by code
    "params.yaml": "train:\n  epochs: 3\n",  # conventional name
    "conf/data/local.yaml": "path: data/x.csv\n",  # conventional directory
    "results/run_01.json": '{"auc": 0.91, "per_class": {"a": 0.9, "b": 0.8}}\n',  # a result dump
    "results/run_02.json": '{"auc": 0.93}\n',
    "k8s/configs/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n",
    "pyproject.toml": '[project]\nname = "x"\nversion = "1"\n',
    "chart/templates/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n  x: [\n",
    "results/broken.json": '{"auc": ',
    "config/broken.yaml": "a: [1, 2\n",  # named as configuration: its error stays
}


def test_only_configuration_files_become_config_nodes(tmp_path: Path) -> None:
    _write(tmp_path, PROJECT)
    built, errors = build_project([str(tmp_path)], settings_for(tmp_path, {"no-cache": True, "jobs": 1}), root=tmp_path)
    configs = sorted({n.split("::", 1)[0].removeprefix("config:") for n in built.graph.nodes("config")})
    assert configs == ["conf/data/local.yaml", "hp.json", "params.yaml", "settings/model.yaml"]
    assert sorted(built.project.config_files) == configs
    assert sorted(e.path for e in errors) == ["config/broken.yaml"]


def test_unread_result_dumps_are_not_errors_in_the_report(tmp_path: Path) -> None:
    _write(tmp_path, PROJECT)
    report = scan(tmp_path)
    assert [(e.path, e.message.split(":")[0]) for e in report.errors] == [("config/broken.yaml", "invalid YAML")]


def test_a_broken_file_that_code_reads_as_config_is_an_error(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "serve.py": "import yaml\n\nwith open('deploy/values.yaml') as f:\n    v = yaml.safe_load(f)\nprint(v)\n",
            "deploy/values.yaml": "replicas: [1\n",
        },
    )
    report = scan(tmp_path)
    assert [e.path for e in report.errors] == ["deploy/values.yaml"]
