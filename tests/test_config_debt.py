"""Configuration debt (MLD501-MLD506): the KeyUse detector on snippets, the graph rules on
projects built by hand from facts (no parsing)."""

from __future__ import annotations

import ast

from mldebt.graph.build import Built
from mldebt.graph.facade import ProjectGraph
from mldebt.graph.project import Project
from mldebt.parse.detectors import run_detectors
from mldebt.parse.facts import UNKNOWN, ConfigDef, FileFacts, Function, KeyUse, Span, Value
from mldebt.parse.python import python_facts
from mldebt.rules.mld501_undefined_config_key import UndefinedConfigKey
from mldebt.rules.mld502_unused_config_key import UnusedConfigKey
from mldebt.rules.mld503_conflicting_config_defaults import ConflictingConfigDefaults
from mldebt.rules.mld506_scattered_env_vars import ScatteredEnvVars


def uses(code: str, rel: str = "train.py") -> list[tuple[int, str, str, tuple[str, ...]]]:
    _, found, _ = run_detectors(rel, rel.rsplit(".", 1)[0], code, ast.parse(code))
    return [(u.span.line, u.source, u.op, u.key) for u in found if u.source != "mention"]


def all_uses(code: str, rel: str = "train.py") -> list[KeyUse]:
    return list(run_detectors(rel, rel.rsplit(".", 1)[0], code, ast.parse(code))[1])


# ------------------------------------------------------------------ detector


def test_yaml_reads_walks_and_aliases() -> None:
    code = (
        "import yaml\n"
        "params = yaml.safe_load(open('params.yaml'))\n"
        "train = params['train']\n"
        "print(train['lr'])\n"
        "model = Model(**params['model'])\n"
    )
    got = uses(code)
    assert (3, "config", "walk", ("train",)) in got
    assert (4, "config", "read", ("train", "lr")) in got
    assert (5, "config", "read", ("model",)) in got
    files = {u.file for u in all_uses(code) if u.source == "config"}
    assert files == {Value("str", "params.yaml")}


def test_argparse_namespace_reads_and_vars() -> None:
    code = (
        "import argparse\n"
        "parser = argparse.ArgumentParser()\n"
        "parser.add_argument('--lr', default=0.1)\n"
        "args = parser.parse_args()\n"
        "print(args.lr, vars(args)['lr'])\n"
        "run(**vars(args))\n"
    )
    got = uses(code)
    assert (5, "argparse", "read", ("lr",)) in got
    assert (6, "argparse", "read", ()) in got
    assert not any(s == "argparse" and op == "define" and k == () for _, s, op, k in got)


def test_argparse_open_forms() -> None:
    for line in ("args, _ = parser.parse_known_args()", "parser.set_defaults(x=1)", "add_args(parser)"):
        code = (
            "import argparse\nfrom helpers import add_args\n"
            "parser = argparse.ArgumentParser()\nparser.add_argument('--lr')\n"
            f"{line}\nargs = parser.parse_args()\nprint(args.lr)\n"
        )
        got = uses(code)
        assert (1, "argparse", "define", ()) in got, line


def test_get_fallback_guard_and_define() -> None:
    code = (
        "import yaml\n"
        "cfg = yaml.safe_load(open('c.yaml'))\n"
        "a = cfg.get('warmup', 0)\n"
        "print(a)\n"
        "if 'sched' in cfg:\n"
        "    print(cfg['sched'])\n"
        "cfg['device'] = 'cpu'\n"
    )
    found = {(u.span.line, u.op, u.key): u for u in all_uses(code) if u.source == "config"}
    assert found[(4, "read", ("warmup",))].default == Value("num", "0")
    assert found[(6, "read", ("sched",))].default.kind == "none"
    assert (7, "define", ("device",)) in found


def test_same_file_function_binds_its_parameter() -> None:
    code = (
        "from omegaconf import OmegaConf\n"
        "def build(c):\n"
        "    return c.model.depth\n"
        "def main(cfg):\n"
        "    print(cfg.trainer.epochs)\n"
        "cfg = OmegaConf.load('conf.yaml')\n"
        "main(cfg)\n"
        "build(cfg)\n"
    )
    got = uses(code)
    assert (5, "config", "read", ("trainer", "epochs")) in got
    assert (3, "config", "return", ("model", "depth")) in got
    assert not any(k == () for _, s, _, k in got if s == "config")


def test_hydra_main_binds_config_file() -> None:
    code = (
        "import hydra\n"
        "@hydra.main(config_path='conf', config_name='config')\n"
        "def main(cfg):\n"
        "    print(cfg.trainer.lr)\n"
    )
    [u] = [u for u in all_uses(code, "src/app.py") if u.source == "hydra"]
    assert u.key == ("trainer", "lr") and u.function == "main"
    assert u.file == Value("str", "@here/conf/config.yaml")


def test_env_and_click() -> None:
    code = (
        "import os\nimport click\n"
        "@click.option('--lr', default=0.1)\n"
        "@click.option('--unused-flag', default=1)\n"
        "@click.command()\n"
        "def main(lr, unused_flag):\n"
        "    print(lr, os.environ['HOME'], os.getenv('DATA', 'd'))\n"
    )
    got = uses(code)
    assert (7, "env", "read", ("HOME",)) in got and (7, "env", "read", ("DATA",)) in got
    assert (3, "click", "define", ("lr",)) in got and (7, "click", "read", ("lr",)) in got
    assert not any(s == "click" and op == "read" and k == ("unused_flag",) for _, s, op, k in got)


def test_detector_survives_odd_code() -> None:
    code = (
        "import yaml, argparse, os\n"
        "cfg = yaml.safe_load(open(f'{x}.yaml'))\n"
        "cfg[0][x].y = 1\n"
        "del cfg['a']\n"
        "args = argparse.ArgumentParser().parse_args()\n"
        "lambda: cfg['z']\n"
        "class C:\n"
        "    v = cfg['k']\n"
        "    def m(self):\n"
        "        return args.q\n"
        "os.environ[x] = 1\n"
        "for cfg in []: cfg['w']\n"
    )
    all_uses(code)


def test_exec_as_config_smells() -> None:
    code = "exec(open('configurator.py').read())\nexec('x = 1')\n"
    smells, _, _ = run_detectors("train.py", "train", code, ast.parse(code))
    assert [(s.rule, s.span.line) for s in smells if s.rule == "MLD505"] == [("MLD505", 1)]
    code = "with open('v.py') as f:\n    exec(f.read(), version_data)\n"
    smells, _, _ = run_detectors("pkg.py", "pkg", code, ast.parse(code))
    assert not [s for s in smells if s.rule == "MLD505"]


# ------------------------------------------------------------------ graph rules

PARAMS_FILE = Value("str", "params.yaml")


def span(line: int) -> Span:
    return Span(line, 1, line, 2)


def built(*facts: FileFacts) -> Built:
    return Built(graph=ProjectGraph(), project=Project(facts))


def yaml_file(path: str, *defs: tuple[tuple[str, ...], Value]) -> FileFacts:
    return FileFacts(
        path, "config", "", 10, config_defs=tuple(ConfigDef("yaml", k, v, span(i + 1)) for i, (k, v) in enumerate(defs))
    )


def py(path: str, *uses_: KeyUse, defs: tuple[ConfigDef, ...] = ()) -> FileFacts:
    return FileFacts(path, "python", path[:-3].replace("/", "."), 20, config_defs=defs, key_uses=uses_)


def read(
    key: tuple[str, ...],
    line: int,
    file: Value = PARAMS_FILE,
    source: str = "config",
    op: str = "read",
    default: Value = UNKNOWN,
) -> KeyUse:
    return KeyUse(source, op, key, span(line), file, "<module>", default)


PARAMS = yaml_file("params.yaml", (("train", "lr"), Value("num", "0.001")), (("train", "dropout"), Value("num", "0.3")))


def test_mld501_flags_first_undefined_component_only_for_closed_sources() -> None:
    b = built(PARAMS, py("train.py", read(("trian", "lr"), 3), read(("train", "lr"), 4)))
    hits = list(UndefinedConfigKey().check(b))
    assert [(h.site.path, h.site.line) for h in hits] == [("train.py", 3)]
    assert "did you mean `train`" in hits[0].message
    # an open mapping (merged/updated somewhere) gives up
    opened = py("train.py", read(("trian", "lr"), 3), read((), 5, op="define"))
    assert not list(UndefinedConfigKey().check(built(PARAMS, opened)))
    # a fallback: not required to exist
    fallback = py("train.py", read(("warmup",), 3, default=Value("num", "0")))
    assert not list(UndefinedConfigKey().check(built(PARAMS, fallback)))
    # a file not in the project: unknown
    elsewhere = py("train.py", read(("x",), 3, file=Value("str", "other.yaml")))
    assert not list(UndefinedConfigKey().check(built(PARAMS, elsewhere)))


def test_mld501_argparse_uses_the_files_parser() -> None:
    defs = (ConfigDef("argparse", ("learning_rate",), Value("num", "0.1"), span(2)),)
    here = Value("str", "train.py")
    b = built(py("train.py", read(("lerning_rate",), 5, file=here, source="argparse"), defs=defs))
    [hit] = list(UndefinedConfigKey().check(b))
    assert hit.site.line == 5 and "learning_rate" in hit.message
    opened = py(
        "train.py",
        read(("lerning_rate",), 5, file=here, source="argparse"),
        read((), 1, file=here, source="argparse", op="define"),
        defs=defs,
    )
    assert not list(UndefinedConfigKey().check(built(opened)))


def test_mld502_unused_key_unless_read_whole_or_mentioned() -> None:
    b = built(PARAMS, py("train.py", read(("train", "lr"), 3)))
    hits = list(UnusedConfigKey().check(b))
    assert [(h.site.path, h.site.line) for h in hits] == [("params.yaml", 2)]
    whole = py("train.py", read(("train", "lr"), 3), read(("train",), 4))
    assert not list(UnusedConfigKey().check(built(PARAMS, whole)))
    mention = KeyUse("mention", "read", ("dropout",), span(1), Value("str", "model.py"))
    assert not list(
        UnusedConfigKey().check(built(PARAMS, py("train.py", read(("train", "lr"), 3)), py("model.py", mention)))
    )


def test_mld503_argparse_default_against_loaded_file() -> None:
    defs = (ConfigDef("argparse", ("lr",), Value("num", "0.01"), span(2)),)
    b = built(PARAMS, py("train.py", read(("train", "lr"), 3), defs=defs))
    [hit] = list(ConflictingConfigDefaults().check(b))
    assert hit.site.line == 2 and hit.related[0].path == "params.yaml"
    same = (ConfigDef("argparse", ("lr",), Value("num", "1e-3"), span(2)),)
    assert not list(
        ConflictingConfigDefaults().check(built(PARAMS, py("train.py", read(("train", "lr"), 3), defs=same)))
    )


def test_mld506_counts_modules_and_skips_runtime_variables() -> None:
    env = Value("str", "os.environ")

    def reader(path: str, *names: str) -> FileFacts:
        return py(path, *(KeyUse("env", "read", (n,), span(i + 1), env) for i, n in enumerate(names)))

    files = [reader("settings.py", "A", "B"), reader("a.py", "C"), reader("b.py", "D"), reader("c.py", "E")]
    hits = list(ScatteredEnvVars().check(built(*files)))
    assert sorted(h.site.path for h in hits) == ["a.py", "b.py", "c.py"]
    runtime = [reader(p, "LOCAL_RANK", "WANDB_API_KEY") for p in ("a.py", "b.py", "c.py", "d.py")]
    assert not list(ScatteredEnvVars().check(built(*runtime)))
    assert not list(ScatteredEnvVars({"max-modules": 4}).check(built(*files)))


def test_a_config_logged_or_printed_whole_reads_no_key() -> None:
    code = (
        "import logging\nimport mlflow\nimport wandb\nimport yaml\nfrom omegaconf import OmegaConf\n"
        "cfg = yaml.safe_load(open('params.yaml'))\n"
        "print(cfg)\n"
        "logging.info(cfg)\n"
        "mlflow.log_params(cfg)\n"
        "wandb.init(project='p', config=cfg)\n"
        "wandb.config.update(cfg)\n"
        "print(OmegaConf.to_yaml(cfg))\n"
        "print(f'{cfg}')\n"
        "print(cfg['train']['lr'])\n"
        "Model(**cfg['model'])\n"
    )
    assert uses(code) == [(14, "config", "read", ("train", "lr")), (15, "config", "read", ("model",))]


def test_a_config_returned_by_an_imported_helper_is_recorded_for_the_graph() -> None:
    code = (
        "from src.utils.common import read_params\nfrom src.data import load_frame\n"
        "def train(config_path):\n"
        "    params = read_params(config_path)\n"
        "    df = load_frame(config_path)\n"
        "    return params['train']['lr'], df['price']\n"
    )
    found = [u for u in all_uses(code, "src/train.py") if u.source == "config"]
    assert [(u.span.line, u.op, u.key) for u in found] == [(6, "read", ("train", "lr"))]  # not df["price"]
    assert found[0].file == Value("returned", "src.utils.common.read_params", parts=(Value("param", "config_path"),))


# ------------------------------------------------------------------ across functions and modules


def test_parameters_named_like_configs_are_summarised() -> None:
    code = (
        "import torch\n"
        "from models.heads import make_head\n"
        "def build(model_cfg, config_path, n):\n"
        "    layers = model_cfg['depth']\n"
        "    assert layers > 0\n"
        "    head = make_head(model_cfg.head, n)\n"
        "    print(model_cfg)\n"
        "    return torch.nn.Linear(n, model_cfg.get('width', 8)), config_path\n"
        "def whole(cfg):\n"
        "    return Net(**cfg['model'])\n"
        "class Net:\n"
        "    def __init__(self, optim_params):\n"
        "        self.optim_params = optim_params\n"
        "        self.other = None\n"
        "    def opt(self):\n"
        "        return self.optim_params['lr'], self._sched(self.optim_params['sched'])\n"
        "    def _sched(self, sched_cfg):\n"
        "        return sched_cfg['gamma']\n"
    )
    found = [u for u in all_uses(code, "models/net.py") if u.source == "param"]
    got = {
        (
            u.span.line,
            u.op,
            u.key,
            u.file.text,
            u.file.keys[0],
            u.default.text if u.op == "pass" else "",
            u.default.keys,
        )
        for u in found
    }
    assert got == {
        (4, "walk", ("depth",), "model_cfg", "build", "", ()),
        (5, "read", ("depth",), "model_cfg", "build", "", ()),
        (6, "walk", ("head",), "model_cfg", "build", "", ()),
        (6, "pass", ("head",), "model_cfg", "build", "models.heads.make_head", ("0",)),
        (8, "read", ("width",), "model_cfg", "build", "", ()),
        # `**cfg["model"]`: each key fills the parameter of `Net` it names (the graph phase binds them)
        (10, "walk", ("model",), "cfg", "whole", "", ()),
        (10, "pass", ("model",), "cfg", "whole", "Net", ("**", "0")),
        (16, "read", ("lr",), "optim_params", "Net.__init__", "", ()),  # `self.optim_params` in another method
        (16, "walk", ("sched",), "optim_params", "Net.__init__", "", ()),
        (16, "pass", ("sched",), "optim_params", "Net.__init__", "Net._sched", ("0",)),
        (18, "return", ("gamma",), "sched_cfg", "Net._sched", "", ()),  # used whole by callers
    }


def test_an_attribute_assigned_anything_else_too_is_not_followed() -> None:
    code = (
        "class Trainer:\n"
        "    def __init__(self, cfg):\n"
        "        self.cfg = cfg\n"
        "    def reset(self):\n"
        "        self.cfg = {}\n"
        "    def lr(self):\n"
        "        return self.cfg['lr']\n"
    )
    found = [(u.span.line, u.op, u.key) for u in all_uses(code, "trainer.py") if u.source == "param"]
    assert found == [(3, "read", ())]  # stored where it may be replaced: used whole


def test_a_config_passed_to_a_project_callee_is_a_pass() -> None:
    code = (
        "import yaml\n"
        "from src.models import Trainer\n"
        "params = yaml.safe_load(open('params.yaml'))\n"
        "Trainer(params['optim'], epochs=params['train']['epochs'])\n"
        "sorted(params['tags'])\n"
    )
    got = {
        (u.span.line, u.op, u.key, u.default.text if u.op == "pass" else "", u.default.keys)
        for u in all_uses(code)
        if u.source == "config"
    }
    assert got == {
        (4, "walk", ("optim",), "", ()),
        (4, "pass", ("optim",), "src.models.Trainer", ("0",)),
        (4, "walk", ("train", "epochs"), "", ()),
        (4, "pass", ("train", "epochs"), "src.models.Trainer", ("epochs",)),
        (5, "read", ("tags",), "", ()),  # a builtin: read whole
    }


def fn(qualname: str, *params: str) -> Function:
    return Function(qualname, params, (), span(1), frozenset())


def param_use(owner: str, name: str, key: tuple[str, ...], line: int, op: str = "read", to: Value = UNKNOWN) -> KeyUse:
    return KeyUse("param", op, key, span(line), Value("param", name, keys=(owner,)), owner, to)


def passes(key: tuple[str, ...], line: int, callee: str, slot: str, file: Value = PARAMS_FILE) -> KeyUse:
    return KeyUse("config", "pass", key, span(line), file, "<module>", Value("arg", callee, keys=(slot,)))


def module(path: str, functions: tuple[Function, ...], *uses_: KeyUse) -> FileFacts:
    return FileFacts(path, "python", path[:-3].replace("/", "."), 20, functions=functions, key_uses=uses_)


OPTIM = yaml_file("params.yaml", (("optim", "lr"), Value("num", "0.1")), (("optim", "momentum"), Value("num", "0.9")))
OTHER = yaml_file("other.yaml", (("optim", "lr"), Value("num", "0.2")), (("optim", "nesterov"), Value("bool", "true")))


def test_a_pass_is_followed_per_call_site_into_the_callee() -> None:
    trainer = module(
        "models/trainer.py",
        (fn("Trainer.__init__", "self", "optim_params"),),
        param_use("Trainer.__init__", "optim_params", ("lr",), 5),
        param_use("Trainer.__init__", "optim_params", ("nesterov",), 6),
    )
    a = module("a.py", (), passes(("optim",), 3, "models.trainer.Trainer", "0"))
    b = module("b.py", (), passes(("optim",), 3, "models.trainer.Trainer", "0", Value("str", "other.yaml")))
    hits = list(UndefinedConfigKey().check(built(OPTIM, OTHER, trainer, a, b)))
    # `nesterov` is read under `optim` of both files: only params.yaml lacks it
    assert [(h.site.path, h.site.line, h.related[0].path) for h in hits] == [("models/trainer.py", 6, "a.py")]
    assert "`optim.nesterov`" in hits[0].message and "`params.yaml`" in hits[0].message
    # MLD502: the closed callee reads lr and nesterov, not momentum
    unused = list(UnusedConfigKey().check(built(OPTIM, trainer, a)))
    assert [(h.site.path, h.site.line) for h in unused] == [("params.yaml", 2)]


def test_a_pass_not_followed_reads_the_whole_sub_mapping() -> None:
    unknown_callee = module("a.py", (), passes(("optim",), 3, "somelib.Trainer", "0"))
    assert not list(UnusedConfigKey().check(built(OPTIM, unknown_callee)))
    # the callee passes it on to code that is not followed: every key below is used
    trainer = module(
        "models/trainer.py",
        (fn("build", "optim_params"),),
        param_use("build", "optim_params", ("lr",), 5),
        param_use("build", "optim_params", (), 6, op="pass", to=Value("arg", "somelib.make", keys=("0",))),
    )
    a = module("a.py", (), passes(("optim",), 3, "models.trainer.build", "0"))
    assert not list(UnusedConfigKey().check(built(OPTIM, trainer, a)))
    # a slot that is no summarised parameter (`*args`, a parameter not named like a config)
    b = module("b.py", (), passes(("optim",), 3, "models.trainer.build", "4"))
    assert not list(UnusedConfigKey().check(built(OPTIM, trainer, b)))


def test_recursive_passes_reach_a_fixed_point() -> None:
    tree = module(
        "models/tree.py",
        (fn("walk", "node_cfg"),),
        param_use("walk", "node_cfg", ("lr",), 5),
        param_use("walk", "node_cfg", ("child",), 6, op="pass", to=Value("arg", "models.tree.walk", keys=("0",))),
    )
    a = module("a.py", (), passes(("optim",), 3, "models.tree.walk", "0"))
    b = built(OPTIM, tree, a)
    flow = b.project.config_flow
    found = flow.links("a.py", a.key_uses[0])
    assert found is not None and len(found[0]) == 1 and not found[1]
    target = found[0][0].to
    keys = {u.key for _, u in flow.closure(target)}
    assert ("lr",) in keys and ("child", "lr") in keys and max(len(k) for k in keys) <= 17
    assert flow.receivers() == {target: ("a.py", span(3))}


def test_a_helper_returning_a_wrapped_config_returns_a_config() -> None:
    code = (
        "import yaml\n"
        "from box import ConfigBox\n"
        "def read_yaml(path):\n"
        "    with open(path) as fh:\n"
        "        content = yaml.safe_load(fh)\n"
        "        return ConfigBox(content)\n"
        "def boxed_path(path):\n"
        "    return ConfigBox(path)\n"
    )
    values = {fn.qualname: fn.value for fn in python_facts("utils.py", code, "utils").functions}
    assert values["read_yaml"] == Value("config", parts=(Value("param", "path"),))
    assert values["boxed_path"] == UNKNOWN  # wrapping what is no config is nothing known


def test_a_sub_mapping_with_a_fallback_is_not_passed() -> None:
    code = (
        "import yaml\n"
        "from src.models import build\n"
        "params = yaml.safe_load(open('params.yaml'))\n"
        "build(params.get('model'))\n"
    )
    got = {(u.span.line, u.op, u.key, u.default) for u in all_uses(code) if u.source == "config"}
    assert got == {(4, "read", ("model",), Value("none"))}  # may be missing: never required
