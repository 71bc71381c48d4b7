"""Symbolic text of I/O sites across modules: `.format` templates (parse/values.py), read in one
file by the extractor and filled across modules by the project's resolver."""

from __future__ import annotations

import textwrap

from mldebt.graph.project import Project
from mldebt.parse.facts import UNKNOWN, FileFacts, Value
from mldebt.parse.python import python_facts
from mldebt.parse.values import format_parts


def py(rel: str, src: str) -> FileFacts:
    return python_facts(rel, textwrap.dedent(src), rel.removesuffix(".py").replace("/", "."))


def test_format_parts_fill_fields_by_position_index_and_name() -> None:
    root = Value("ref", "cfg.ROOT")
    parts = format_parts("{0}/{0}/{name}.csv", [root], {"name": Value("str", "churn")})
    assert parts == (root, Value("str", "/"), root, Value("str", "/"), Value("str", "churn.csv"))


def test_format_parts_leave_what_they_cannot_name_unknown() -> None:
    parts = format_parts("{day:%Y}/{x[0]}/{missing}/{{literal}}", [], {"day": Value("str", "d")})
    assert parts == (UNKNOWN, Value("str", "/"), UNKNOWN, Value("str", "/"), UNKNOWN, Value("str", "/{literal}"))
    assert format_parts("{", [], {}) is None  # str.format would raise


def test_extractor_fills_a_template_of_the_file_and_keeps_an_imported_one_symbolic() -> None:
    facts = py(
        "app/load.py",
        """
        import pandas as pd
        from app.settings import ROOT, TEMPLATE
        a = pd.read_csv("{}/a.csv".format(ROOT))
        b = pd.read_csv(TEMPLATE.format(region="north"))
        c = pd.read_csv(TEMPLATE.format(*regions))
        """,
    )
    targets = [io.target for io in facts.io]
    assert targets[0] == Value("join", "", (Value("ref", "app.settings.ROOT"), Value("str", "/a.csv")))
    assert targets[1] == Value(
        "format", parts=(Value("ref", "app.settings.TEMPLATE"), Value("str", "north")), keys=("region",)
    )
    assert targets[2] == UNKNOWN  # `*regions`: the fields could take anything


def test_resolver_fills_an_imported_template_with_the_call_arguments() -> None:
    settings = py("app/settings.py", 'TEMPLATE = "https://data.example.org/{region}/{kind}.csv"\n')
    load = py(
        "app/load.py",
        """
        import pandas as pd
        from app.settings import TEMPLATE
        def load(kind):
            return pd.read_csv(TEMPLATE.format(region="north", kind=kind))
        both = pd.read_csv(TEMPLATE.format(region="south", kind="sales"))
        """,
    )
    project = Project([settings, load])
    texts = [[r.artifact for r in project.resolve(io.target, load.path, io.function)] for io in load.io]
    assert texts == [["https://data.example.org/north/*.csv"], ["https://data.example.org/south/sales.csv"]]


def test_returned_dicts_and_tuples_keep_each_elements_lineage() -> None:
    facts = py(
        "shop/data.py",
        """
        import pandas as pd
        def load():
            return {"users": pd.read_csv("u.csv"), "clicks": pd.read_csv("c.csv")}
        def built():
            out = {}
            out["users"] = pd.read_csv("u.csv")
            out["clicks"] = pd.read_csv("c.csv")
            return out
        def pair():
            train = pd.read_csv("t.csv")
            return train, pd.read_csv("u.csv")
        def mixed(flag):
            if flag:
                return pd.read_csv("t.csv")
            return {"users": pd.read_csv("u.csv")}
        """,
    )
    elements = {fn.qualname: dict(fn.elements) for fn in facts.functions}
    assert elements["load"] == {"users": frozenset({"io:0"}), "clicks": frozenset({"io:1"})}
    assert elements["built"] == {"users": frozenset({"io:2"}), "clicks": frozenset({"io:3"})}
    assert elements["pair"] == {"#0": frozenset({"io:4"}), "#1": frozenset({"io:5"})}
    assert elements["mixed"] == {}  # one return is no container: callers get the whole value


def test_callers_take_one_element_by_key_or_position() -> None:
    facts = py(
        "shop/train.py",
        """
        from sklearn.linear_model import LogisticRegression
        from shop.data import load, pair
        data = load()
        a = LogisticRegression(C=1.0)
        a.fit(data["users"], data["users"]["y"])
        train, users = pair()
        b = LogisticRegression(C=1.0)
        b.fit(train, train["y"])
        c = LogisticRegression(C=1.0)
        c.fit(data, train["y"])
        """,
    )
    fits = {ev.var: ev.lineage for ev in facts.models if ev.event == "fit"}
    assert fits == {
        "<module>::a": frozenset({"call:0#users"}),
        "<module>::b": frozenset({"call:1##0"}),
        "<module>::c": frozenset({"call:0", "call:1##0"}),
    }


def test_class_attributes_are_constants_of_the_class() -> None:
    settings = py(
        "app/settings.py",
        """
        ROOT = "data"
        class Config:
            ROOT = "https://data.example.org"
            TRAIN = ROOT + "/train.csv"
        """,
    )
    consts = dict(settings.constants)
    assert consts["ROOT"] == Value("str", "data")  # the class's ROOT does not shadow the module's
    assert consts["Config.TRAIN"] == Value("str", "https://data.example.org/train.csv")
    load = py(
        "app/load.py",
        """
        import pandas as pd
        from app.settings import Config as config
        train = pd.read_csv(config.TRAIN)
        """,
    )
    project = Project([settings, load])
    io = load.io[0]
    assert [r.artifact for r in project.resolve(io.target, load.path, io.function)] == [
        "https://data.example.org/train.csv"
    ]
