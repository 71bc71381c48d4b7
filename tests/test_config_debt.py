"""Configuration debt (MLD501-MLD506): the KeyUse detector on snippets, the graph rules on
projects built by hand from facts (no parsing)."""

from __future__ import annotations

import ast

from mldebt.graph.build import Built
from mldebt.graph.facade import ProjectGraph
from mldebt.graph.project import Project
from mldebt.parse.detectors import run_detectors
from mldebt.parse.facts import UNKNOWN, ConfigDef, FileFacts, KeyUse, Span, Value
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
