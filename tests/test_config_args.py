"""Configuration through `*args` / `**kwargs` (MLD501-MLD504): the summaries of a function's
`*args` and `**kwargs`, the `*i` and `**` passes, and the graph phase that binds what they carry
to the callee's parameters (graph/configflow.py)."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import actual, scan

from mldebt.graph.configflow import Link, Param
from mldebt.parse.detectors import run_detectors

PARAMS = "model:\n  hidden: 64\n  dropout: 0.1\ntrainer:\n  lr: 0.01\n  epochs: 10\n"
LOADER = "import yaml\n\n\ndef load_params(path='params.yaml'):\n    with open(path) as fh:\n        return yaml.safe_load(fh)\n"


def summary(code: str, rel: str = "pkg/factory.py") -> set[tuple[int, str, str, tuple[str, ...], str, tuple[str, ...]]]:
    _, found, _ = run_detectors(rel, rel[:-3].replace("/", "."), code, ast.parse(code))
    return {
        (u.span.line, u.file.text, u.op, u.key, u.default.text, u.default.keys) for u in found if u.source == "param"
    }


def project(tmp_path: Path, files: dict[str, str]) -> set[tuple[str, int, str]]:
    for rel, text in {"params.yaml": PARAMS, "pkg/__init__.py": "", "pkg/config.py": LOADER, **files}.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    report = scan(tmp_path, select=["MLD501", "MLD502", "MLD503", "MLD504"])
    return actual(report)


# ------------------------------------------------------------------ summaries


def test_star_parameters_are_summarised_by_position_and_keyword() -> None:
    code = (
        "from pkg.net import Net\n"
        "def build(*args, **kwargs):\n"
        "    print(args[0]['head'])\n"
        "    print(kwargs.get('lr', 0.1))\n"
        "    return Net(*args, **kwargs)\n"
    )
    assert summary(code) == {
        (3, "args", "read", ("0", "head"), "", ()),
        (4, "kwargs", "read", ("lr",), "0.1", ()),
        (5, "args", "pass", (), "pkg.net.Net", ("*0",)),
        # `**`, then what else the call passes: `*` positional arguments (unknown), no keyword
        (5, "kwargs", "pass", (), "pkg.net.Net", ("**", "*")),
    }


def test_a_mapping_unpacked_into_a_call_records_what_else_the_call_passes() -> None:
    code = (
        "from pkg.trainer import Trainer\ndef fit(model, cfg):\n    return Trainer(model, epochs=3, **cfg['trainer'])\n"
    )
    assert (3, "cfg", "pass", ("trainer",), "pkg.trainer.Trainer", ("**", "1", "epochs")) in summary(code)


def test_a_kwargs_the_function_changes_is_not_summarised() -> None:
    """`kwargs.setdefault("patience", 3)` fills a parameter of the callee: the caller's
    mapping alone would not, so nothing is said about what `Trainer` requires of it."""
    code = (
        "from pkg.trainer import Trainer\n"
        "def make(*args, **kwargs):\n"
        "    kwargs.setdefault('patience', 3)\n"
        "    return Trainer(*args, **kwargs)\n"
    )
    assert {(line, name, op) for line, name, op, *_ in summary(code)} == {(4, "args", "pass")}


def test_a_splat_only_ever_used_whole_is_not_summarised() -> None:
    """No summary already means "used whole": saying it again would only make the facts larger."""
    code = (
        "import lightgbm\n"
        "class Booster(Base):\n"
        "    def __init__(self, *args, **kwargs):\n"
        "        super().__init__(*args, **kwargs)\n"
        "        self.model = lightgbm.LGBMRegressor(**kwargs)\n"
    )
    assert summary(code) == set()


def test_a_link_rebases_the_keys_it_selects() -> None:
    to = Param("pkg/factory.py", "build", "args")
    item = Link(to, sel=("0",))
    assert item.rebase(("0", "lr")) == ("lr",)
    assert item.rebase(("1", "lr")) is None  # another positional argument
    assert item.rebase(()) == ()  # `len(args)`: all of what was passed
    into = Link(to, pre=("model_cfg",))
    assert into.rebase(("hidden",)) == ("model_cfg", "hidden")


# ------------------------------------------------------------------ across modules


def test_a_wrapper_passes_a_config_on_by_position_and_by_keyword(tmp_path: Path) -> None:
    files = {
        "pkg/factory.py": "from pkg.net import Net\n\n\ndef build(*args, **kwargs):\n    return Net(*args, **kwargs)\n",
        "pkg/net.py": (
            "class Net:\n"
            "    def __init__(self, n_in, model_cfg):\n"
            "        self.width = model_cfg['hiden']\n"
            "        self.p = model_cfg['dropout']\n"
        ),
        "train.py": "from pkg.config import load_params\nfrom pkg.factory import build\n\ncfg = load_params()\nnet = build(8, cfg['model'])\n",
        "evaluate.py": (
            "from pkg.config import load_params\nfrom pkg.factory import build\n\n"
            "cfg = load_params()\nnet = build(n_in=8, model_cfg=cfg['model'])\nprint(cfg['trainer']['lr'], cfg['trainer']['epochs'])\n"
        ),
    }
    assert project(tmp_path, files) == {("pkg/net.py", 3, "MLD501")}


def test_a_wrapper_reading_another_position_reads_nothing_of_this_one(tmp_path: Path) -> None:
    files = {
        "pkg/factory.py": "def build(*args):\n    return args[1]['missing']\n",
        "train.py": (
            "from pkg.config import load_params\nfrom pkg.factory import build\n\n"
            "cfg = load_params()\nbuild(cfg['model'], {'missing': 1})\nprint(cfg['trainer']['lr'], cfg['trainer']['epochs'])\n"
        ),
    }
    # `model.hidden` and `model.dropout` are read by nobody: `args[1]` is not `cfg["model"]`
    assert project(tmp_path, files) == {("params.yaml", 2, "MLD502"), ("params.yaml", 3, "MLD502")}


def test_a_mapping_unpacked_into_a_class_binds_its_parameters(tmp_path: Path) -> None:
    files = {
        "pkg/trainer.py": (
            "class Trainer:\n"
            "    def __init__(self, lr, epochs, patience, clip=1.0):\n"
            "        self.lr, self.epochs, self.patience, self.clip = lr, epochs, patience, clip\n"
        ),
        "train.py": (
            "from pkg.config import load_params\nfrom pkg.trainer import Trainer\n\n"
            "cfg = load_params()\n"
            "a = Trainer(**cfg['trainer'])\n"
            "b = Trainer(patience=2, **cfg['trainer'])\n"
            "c = Trainer(cfg['trainer']['lr'], 3, 2, **cfg['model'])\n"
        ),
    }
    # only `a` lacks `patience`; `c` fills every parameter but `clip`, which has a default.
    # `model.hidden` and `model.dropout` fill no parameter of `Trainer`: unused (and a TypeError)
    assert project(tmp_path, files) == {
        ("pkg/trainer.py", 2, "MLD501"),
        ("params.yaml", 2, "MLD502"),
        ("params.yaml", 3, "MLD502"),
    }


def test_kwargs_passed_on_to_a_library_use_every_key(tmp_path: Path) -> None:
    files = {
        "pkg/model.py": (
            "import lightgbm\n\n\n"
            "def make(objective, **kwargs):\n"
            "    rate = kwargs['lr']\n"
            "    return lightgbm.LGBMRegressor(objective=objective, learning_rate=rate, **kwargs)\n"
        ),
        "train.py": (
            "from pkg.config import load_params\nfrom pkg.model import make\n\n"
            "cfg = load_params()\nm = make('l2', **cfg['trainer'])\nn = make(**cfg['model'])\n"
        ),
    }
    # `model` has no `objective` (required) nor `lr` (read): both are reported where they are read
    assert project(tmp_path, files) == {("pkg/model.py", 4, "MLD501"), ("pkg/model.py", 5, "MLD501")}


def test_a_fallback_behind_kwargs_is_compared_with_the_file(tmp_path: Path) -> None:
    files = {
        "pkg/optim.py": (
            "import torch\n\n\n"
            "def make_optimizer(parameters, **kw):\n"
            "    return torch.optim.SGD(parameters, lr=kw.get('lr', 0.1), momentum=kw.get('epochs', 10))\n"
        ),
        "train.py": (
            "from pkg.config import load_params\nfrom pkg.optim import make_optimizer\n\n"
            "cfg = load_params()\nopt = make_optimizer([], **cfg['trainer'])\nprint(cfg['model'])\n"
        ),
    }
    assert project(tmp_path, files) == {("pkg/optim.py", 5, "MLD503")}


def test_recursive_wrappers_stop(tmp_path: Path) -> None:
    files = {
        "pkg/factory.py": (
            "def build(*args, **kwargs):\n"
            "    if kwargs.get('depth', 0) > 3:\n"
            "        return args[0]['hidden']\n"
            "    return build(*args, **kwargs)\n"
        ),
        "train.py": (
            "from pkg.config import load_params\nfrom pkg.factory import build\n\n"
            "cfg = load_params()\nbuild(cfg['model'])\nprint(cfg['model']['dropout'], cfg['trainer'])\n"
        ),
    }
    assert project(tmp_path, files) == set()


def test_a_config_a_test_unpacks_is_not_checked_in_the_callee(tmp_path: Path) -> None:
    files = {
        "pkg/trainer.py": "class Trainer:\n    def __init__(self, lr, patience):\n        self.lr, self.patience = lr, patience\n",
        "tests/test_trainer.py": (
            "import pytest\nfrom pkg.config import load_params\nfrom pkg.trainer import Trainer\n\n\n"
            "def test_patience_is_required():\n"
            "    cfg = load_params()\n"
            "    with pytest.raises(TypeError):\n"
            "        Trainer(**cfg['trainer'])\n"
        ),
        "train.py": "from pkg.config import load_params\n\ncfg = load_params()\nprint(cfg['model'], cfg['trainer'])\n",
    }
    assert project(tmp_path, files) == set()
