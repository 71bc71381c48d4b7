"""Parse layer: facts from small inline snippets (no graph, no rules)."""

from __future__ import annotations

import json
import textwrap

import pytest

from mldebt.parse.errors import FileSkipped
from mldebt.parse.facts import Value
from mldebt.parse.notebook import notebook_facts
from mldebt.parse.python import python_facts


def facts(src: str, rel: str = "pkg/mod.py", module: str = "pkg.mod"):
    return python_facts(rel, textwrap.dedent(src), module)


def io_rows(f):
    return [(io.op, io.kind, io.api, io.target, io.span.line) for io in f.io]


def test_imports_and_aliases_resolve_library_calls() -> None:
    f = facts(
        """
        import pandas as pd
        from numpy import load as npload
        from . import sibling
        from ..util import paths as P
        df = pd.read_csv("a.csv")
        arr = npload("b.npy")
        """,
        rel="pkg/sub/mod.py",
        module="pkg.sub.mod",
    )
    assert [(i.module, i.name, i.alias) for i in f.imports] == [
        ("pandas", None, "pd"),
        ("numpy", "load", "npload"),
        ("pkg.sub", "sibling", "sibling"),
        ("pkg.util", "paths", "P"),
    ]
    assert io_rows(f) == [
        ("read", "data", "pandas.read_csv", Value("str", "a.csv"), 6),
        ("read", "data", "numpy.load", Value("str", "b.npy"), 7),
    ]


def test_constants_fold_joins_pathlib_and_fstrings() -> None:
    f = facts(
        """
        import os
        from pathlib import Path
        ROOT = "data"
        RAW = os.path.join(ROOT, "raw", "x.csv")
        OUT = Path(ROOT) / "out" / "y.parquet"
        NAME = f"{ROOT}/z.csv"
        """
    )
    consts = dict(f.constants)
    assert consts["RAW"] == Value("str", "data/raw/x.csv")
    assert consts["OUT"] == Value("str", "data/out/y.parquet")
    assert consts["NAME"] == Value("str", "data/z.csv")


def test_symbolic_values_for_imports_params_config_argparse_env() -> None:
    f = facts(
        """
        import argparse, os, yaml
        import pandas as pd
        from pkg.paths import DATA_DIR

        parser = argparse.ArgumentParser()
        parser.add_argument("--train-file", default="data/train.csv")
        args = parser.parse_args()
        cfg = yaml.safe_load(open("conf/c.yaml"))

        def load(path, split="test"):
            return pd.read_csv(path)

        a = pd.read_csv(DATA_DIR + "/a.csv")
        b = pd.read_csv(args.train_file)
        c = pd.read_csv(cfg["data"]["train"])
        d = pd.read_csv(os.environ.get("DATA", "d.csv"))
        e = pd.read_csv(f"data/{split}.csv")
        """
    )
    targets = [io.target for io in f.io]
    assert targets == [
        Value("str", "conf/c.yaml"),
        Value("param", "path"),
        Value("join", "", (Value("ref", "pkg.paths.DATA_DIR"), Value("str", "/a.csv"))),
        Value("argparse", "train_file"),
        Value("config", parts=(Value("str", "conf/c.yaml"),), keys=("data", "train")),
        Value("env", "DATA", (Value("str", "d.csv"),)),
        Value("join", "", (Value("str", "data/"), Value("unknown"), Value("str", ".csv"))),
    ]
    assert [io.kind for io in f.io] == ["config", "data", "data", "data", "data", "data", "data"]
    assert [(d.source, d.key, d.value) for d in f.config_defs] == [
        ("argparse", ("train_file",), Value("str", "data/train.csv"))
    ]
    load = next(fn for fn in f.functions if fn.qualname == "load")
    assert load.params == ("path", "split")
    assert load.defaults == (("split", Value("str", "test")),)
    assert load.returns == frozenset({"io:1"})


def test_open_modes_handles_and_writes() -> None:
    f = facts(
        """
        import json, pickle
        import numpy as np
        with open("cfg.json") as fh:
            cfg = json.load(fh)
        with open("model.pkl", "wb") as out:
            pickle.dump(cfg, out)
        np.save("arr.npy", np.zeros(3))
        df.to_parquet("out/x.parquet")
        """
    )
    assert io_rows(f) == [
        ("read", "config", "open", Value("str", "cfg.json"), 4),
        ("write", "data", "open", Value("str", "model.pkl"), 6),
        ("write", "data", "numpy.save", Value("str", "arr.npy"), 8),
        ("write", "data", "*.to_parquet", Value("str", "out/x.parquet"), 9),
    ]


def test_model_life_cycle_and_lineage() -> None:
    f = facts(
        """
        import joblib
        import pandas as pd
        from sklearn.ensemble import RandomForestClassifier

        def train():
            df = pd.read_csv("train.csv")
            extra = pd.read_csv("extra.csv")
            X = df.merge(extra, on="id")
            clf = RandomForestClassifier(n_estimators=10)
            clf.fit(X, df["y"])
            joblib.dump(clf, "clf.pkl")

        def score():
            m = joblib.load("clf.pkl")
            preds = m.predict(pd.read_csv("new.csv"))
            pd.DataFrame(preds).to_csv("preds.csv")
        """
    )
    events = [(e.event, e.var, e.function, e.lineage) for e in f.models]
    assert events == [
        ("construct", "train::clf", "train", frozenset()),
        ("fit", "train::clf", "train", frozenset({"io:0", "io:1"})),
        ("load", "score::m", "score", frozenset()),
        ("predict", "score::m", "score", frozenset({"io:4"})),
    ]
    kinds = [(io.op, io.kind, io.target.text, io.lineage) for io in f.io]
    assert kinds == [
        ("read", "data", "train.csv", frozenset()),
        ("read", "data", "extra.csv", frozenset()),
        ("write", "model", "clf.pkl", frozenset({"model:train::clf"})),
        ("read", "model", "clf.pkl", frozenset()),
        ("read", "data", "new.csv", frozenset()),
        ("write", "data", "preds.csv", frozenset({"pred:score::m", "io:4"})),
    ]


def test_calls_to_project_functions_carry_arguments_and_lineage() -> None:
    f = facts(
        """
        import pandas as pd
        from pkg.io import load_table

        def main():
            raw = pd.read_csv("raw.csv")
            out = load_table("data/x.csv", sep=";")
            helper(raw)
            raw.dropna()
        """
    )
    calls = [(c.caller, c.callee, c.args, c.kwargs, c.arg_lineage) for c in f.calls]
    assert calls == [
        ("main", "pkg.io.load_table", (Value("str", "data/x.csv"),), (("sep", Value("str", ";")),), (frozenset(),)),
        ("main", "helper", (Value("unknown"),), (), (frozenset({"io:0"}),)),
    ]


def test_glob_loops_and_comprehensions_give_patterns() -> None:
    f = facts(
        """
        import glob
        import pandas as pd
        for p in glob.glob("data/*.csv"):
            pd.read_csv(p)
        frames = [pd.read_parquet(q) for q in sorted(glob.glob("parts/*.parquet"))]
        """
    )
    assert [io.target for io in f.io] == [Value("str", "data/*.csv"), Value("str", "parts/*.parquet")]


def test_suppression_comments() -> None:
    f = facts(
        """
        import pandas as pd
        a = pd.read_csv("/home/x/a.csv")  # mldebt: ignore[MLD201]
        b = pd.read_csv("/home/x/b.csv")  # mldebt: ignore
        """
    )
    assert [(s.line, s.codes, s.reason) for s in f.suppressions] == [(3, ("MLD201",), ""), (4, (), "")]


@pytest.mark.parametrize(
    "src, message",
    [
        ("print 'hello'\n", "syntax error"),
        ("x = " + "(" * 300 + ")" * 300 + "\n", "nest"),
        ("def f(:\n", "syntax error"),
    ],
)
def test_bad_python_is_skipped_with_a_reason(src: str, message: str) -> None:
    with pytest.raises(FileSkipped) as info:
        python_facts("bad.py", src, "bad")
    assert message in str(info.value).lower() or "parse" in str(info.value).lower()


def test_notebook_cells_magics_and_line_map() -> None:
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["# title\n"]},
            {"cell_type": "code", "source": ["import pandas as pd\n", "%matplotlib inline\n", "!pip install x\n"]},
            {"cell_type": "code", "source": ["%%bash\n", "ls data\n"]},
            {"cell_type": "code", "source": "df = pd.read_csv('a.csv')\nfiles = !ls\n"},
        ],
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
    }
    text = json.dumps(nb, indent=1)
    f = notebook_facts("nb.ipynb", text, "nb")
    assert f.kind == "notebook"
    assert [(io.target.text, io.span.line) for io in f.io] == [("a.csv", 6)]
    assert f.line_map[5][:2] == (4, 1)  # joined line 6 is cell 4, line 1
    assert [m[:2] for m in f.line_map] == [(2, 1), (2, 2), (2, 3), (3, 1), (3, 2), (4, 1), (4, 2)]


def test_container_mounts_a_pipeline_declares() -> None:
    f = facts(
        """
        from kfp import dsl
        from kubernetes import client as k8s

        op = dsl.ContainerOp(name="train", image="t:1", pvolumes={"/data": vol, "/models/": models})
        op.add_pvolumes({"/persist-log": dsl.PipelineVolume(pvc="logs")})
        op.add_volume_mount(k8s.V1VolumeMount(name="cache", mount_path="/cache"))
        other = {"mount": "/not-a-mount"}
        """
    )
    assert f.mounts == ("/cache", "/data", "/models/", "/persist-log")


def test_notebook_percent_continuation_is_python_not_a_magic() -> None:
    """A line starting with `%` inside open brackets continues a `%`-formatted string (found in
    rasbt/python-machine-learning-book-3rd-edition); after the bracket closes, `%` is a magic again.
    A `?` that ends a comment is no help magic (mrdbourke/pytorch-deep-learning)."""
    cell = (
        "import pandas as pd\n"
        "for label in labels:\n"
        '    print("ROC AUC: %0.2f [%s]"\n'
        "          % (score, label))\n"
        "%time x = 1\n"
        "msg = ('a'\n"
        "       '%s' \\\n"
        "       % label)\n"
        "demo.launch(debug=False,  # print errors locally?\n"
        "            share=True)\n"
        "df = pd.read_csv('b.csv')\n"
    )
    nb = {"cells": [{"cell_type": "code", "source": cell}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}
    f = notebook_facts("nb.ipynb", json.dumps(nb), "nb")
    assert f.problems == ()
    assert [(io.target.text, io.span.line) for io in f.io] == [("b.csv", 11)]


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "invalid JSON"),
        ('{"cells": 3}', "no `cells` list"),
        ('{"cells": [{"cell_type": "code", "source": 5}]}', "malformed source"),
    ],
)
def test_broken_notebooks_are_skipped(text: str, message: str) -> None:
    with pytest.raises(FileSkipped) as info:
        notebook_facts("nb.ipynb", text, "nb")
    assert message in str(info.value)


POSITIONS_SNIPPET = """
import pandas as pd
from sklearn.linear_model import Ridge

@decorator(arg=f(1))
def load(path, café="é"):
    names = [pd.read_csv(p).dropna() for p in glob.glob(f"data/{café}*.csv")]
    return g(h(x))(y), f"{pd.read_json('ü.json')}"

with open("résumé.txt") as fh:  # non-ASCII before the calls on this line
    é = Ridge(); é.fit(pd.read_csv("ñ.csv"), fh)
"""


def test_positions_count_characters_not_bytes() -> None:
    """`ast` columns count UTF-8 bytes; facts count characters, as editors and SARIF do."""
    f = facts(POSITIONS_SNIPPET, rel="a.py", module="a")
    read = next(io for io in f.io if io.target == Value("str", "ñ.csv"))
    assert (read.span.line, read.span.column) == (11, 24)  # characters, not UTF-8 bytes (26)
    pattern = Value("join", "", (Value("str", "data/"), Value("param", "café"), Value("str", "*.csv")))
    assert [(io.target.text or io.target, io.span.line, io.span.column) for io in f.io] == [
        (pattern, 7, 14),  # the comprehension's read: its path comes from the loop target
        ("ü.json", 8, 27),
        ("résumé.txt", 10, 6),
        ("ñ.csv", 11, 24),
    ]
    assert [(fn.qualname, fn.span.line) for fn in f.functions] == [("<module>", 1), ("load", 6)]


def test_percent_formatting_file_relative_paths_and_driver_scripts() -> None:
    f = facts(
        """
        import os, subprocess
        from pathlib import Path
        import pandas as pd
        import ray

        ROOT = "data"
        RAW = "%s/raw" % ROOT
        OUT = "%s/%s.csv" % (ROOT, "out")
        HERE = os.path.dirname(__file__)
        a = pd.read_csv(os.path.join(HERE, "input.txt"))
        b = pd.read_csv(Path(__file__).parent / "lookup.csv")
        c = ray.data.read_csv("/home/alice/x.csv")
        os.system("python prepare.py --fast")
        subprocess.run(["python", "-m", "pkg.train", "--epochs", "3"], check=True)
        """,
        rel="scripts/run_all.py",
        module="scripts.run_all",
    )
    consts = dict(f.constants)
    assert consts["RAW"] == Value("str", "data/raw")
    assert consts["OUT"] == Value("str", "data/out.csv")
    assert [io.target for io in f.io] == [
        Value("str", "scripts/input.txt"),
        Value("str", "scripts/lookup.csv"),
        Value("str", "/home/alice/x.csv"),
    ]
    assert f.mentions == ("pkg/train.py", "prepare.py")
    assert f.declares_pipeline


def test_notebook_shell_continuations_and_a_broken_cell() -> None:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "source": ["import pandas as pd\n", "!saved_model_cli show --dir x \\\n", "    --all\n"],
            },
            {"cell_type": "code", "source": ["print 'python 2 cell'\n"]},
            {"cell_type": "code", "source": ["df = pd.read_csv('a.csv')\n"]},
        ],
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
    }
    f = notebook_facts("nb.ipynb", json.dumps(nb), "nb")
    assert [(io.target.text, io.span.line) for io in f.io] == [("a.csv", 5)]
    assert f.line_map[4][:2] == (3, 1)


def test_parameters_in_source_order_and_stable_training_tokens() -> None:
    """`*rows` sits where it is written (a second positional argument binds to it, never to the
    keyword-only `threshold`), and a `lgb.train(...)` result is named by its position, so the
    same file always gives the same facts."""
    src = """
        import lightgbm as lgb

        def score(model, *rows, threshold=0.5, **extra):
            return model

        def fit(data):
            return lgb.train({}, data)
        """
    f = facts(src)
    by_name = {fn.qualname: fn for fn in f.functions}
    assert by_name["score"].params == ("model", "rows", "threshold", "extra")
    assert by_name["fit"].returns == frozenset({"fitted:8:11", "param:data"})
    assert facts(src) == f


def test_os_environ_is_the_environment_under_any_import() -> None:
    """`os.environ["X"]` and `from os import environ` name an environment variable, not a key of
    an imported module's mapping (the `ref` branch once shadowed the check)."""
    from mldebt.parse.python import python_facts

    code = (
        "import os\nimport os as system\nfrom os import environ\nimport pandas as pd\n"
        'a = pd.read_csv(os.environ["A"])\nb = pd.read_csv(system.environ["B"])\n'
        'c = pd.read_csv(environ["C"] + "/x.csv")\n'
    )
    facts = python_facts("load.py", code, "load")
    assert [io.target for io in facts.io] == [
        Value("env", "A"),
        Value("env", "B"),
        Value("join", "", (Value("env", "C"), Value("str", "/x.csv"))),
    ]


def test_a_lambda_scope_is_walked_by_the_detectors() -> None:
    """A lambda's body is one expression: asking the value kinds inside it once raised
    (`'BinOp' object is not iterable`, swallowed outside strict mode), costing the file's
    findings of every detector that asked (Recommenders' `python_evaluation.py`)."""
    from mldebt.parse.python import python_facts

    code = (
        "import numpy as np\nimport pandas as pd\n\n\ndef score(df):\n"
        "    return df.apply(lambda x: float(np.dot(x.f1, x.f2)) / 2 + x.f1 @ x.f2, axis=1)\n"
    )
    facts = python_facts("score.py", code, "score")
    assert facts.path == "score.py"


def test_a_write_under_if_not_exists_is_a_write_only_when_missing() -> None:
    """`if not p.is_file(): download to p` never replaces the file (MLD401 needs to know)."""
    from mldebt.parse.python import python_facts

    code = (
        "import os\nfrom pathlib import Path\nimport pandas as pd\nP = Path('data') / 'a.csv'\n"
        "df = pd.DataFrame()\n"
        "if not P.is_file():\n    df.to_csv(P)\n"
        "if not os.path.exists('data/b.csv'):\n    df.to_csv('data/b.csv')\nelse:\n    df.to_csv('data/c.csv')\n"
        "if P.exists():\n    df.to_csv(P)\n"
        "df.to_csv('data/b.csv')\n"
    )
    facts = python_facts("get.py", code, "get")
    assert [(io.span.line, io.if_missing) for io in facts.io if io.op == "write"] == [
        (7, True),
        (9, True),
        (11, False),
        (13, False),
        (14, False),
    ]
