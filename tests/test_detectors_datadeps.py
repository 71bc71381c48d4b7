"""Unit tests of the MLD202/MLD203 and MLD406-MLD409 detectors on small snippets."""

from __future__ import annotations

import ast
import textwrap

import pytest

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.facts import Smell
from mldebt.rules import (
    mld202_unstable_data_dependency,
    mld203_underutilized_data_dependency,
    mld406_multiple_language,
    mld407_sys_path_hack,
    mld408_swallowed_model_error,
    mld409_scratch_code_import,
)

HABITS = (
    mld202_unstable_data_dependency.detect,
    mld203_underutilized_data_dependency.detect,
    mld406_multiple_language.detect,
    mld407_sys_path_hack.detect,
    mld408_swallowed_model_error.detect,
    mld409_scratch_code_import.detect,
)


def smells(code: str, rel: str = "pkg/mod.py") -> list[Smell]:
    text = textwrap.dedent(code)
    ctx = FileContext(rel, rel.removesuffix(".py").replace("/", "."), text, ast.parse(text))
    out: list[Smell] = []
    for detect in HABITS:
        out.extend(s for s in detect(ctx) if isinstance(s, Smell))
    return out


def rules(code: str, rel: str = "pkg/mod.py") -> list[tuple[int, str, str]]:
    return [(s.span.line, s.rule, s.confidence) for s in smells(code, rel)]


@pytest.mark.parametrize(
    ("url", "confidence"),
    [
        ("https://raw.githubusercontent.com/a/b/master/x.csv", "high"),
        ("https://github.com/a/b/raw/main/x.csv", "high"),
        ("https://example.com/exports/latest/x.csv", "high"),
        ("https://huggingface.co/datasets/a/b/resolve/main/x.csv", "high"),
        ("https://example.com/x.csv", "medium"),
        ("https://example.com/v2/x.csv", None),
        ("https://example.com/x-1.2.3.csv", None),
        ("https://example.com/x.csv?version=3", None),
        ("https://raw.githubusercontent.com/a/b/3f2a9bc1d07e/x.csv", None),
        ("https://github.com/a/b/releases/download/v1/x.csv", None),
        ("https://example.com/2024/05/01/x.csv", None),
        ("https://example.com/fx/rates_2024.csv", None),
        ("http://localhost:8000/x.csv", None),
    ],
)
def test_url_versions(url: str, confidence: str | None) -> None:
    found = rules(f'import pandas as pd\ndf = pd.read_csv("{url}")\nprint(df)\n')
    assert found == ([(2, "MLD202", confidence)] if confidence else [])


def test_url_through_constants_and_defaults() -> None:
    code = """
    import urllib.request
    ROOT = "https://raw.githubusercontent.com/a/b/master/"
    URL = ROOT + "data/x.tgz"

    def fetch(url=URL, dest="x.tgz"):
        urllib.request.urlretrieve(url, dest)
    """
    assert rules(code) == [(7, "MLD202", "high")]


def test_hidden_directory_is_not_judged() -> None:
    code = """
    import pandas as pd

    def load(part, name):
        a = pd.read_csv(f"https://example.com/{part}/data.csv")
        b = pd.read_csv(f"https://example.com/data/{name}.csv")
        return a, b
    """
    assert rules(code) == [(6, "MLD202", "medium")]


def test_hub_revisions() -> None:
    code = """
    from transformers import AutoModel
    a = AutoModel.from_pretrained("org/model")
    b = AutoModel.from_pretrained("org/model", revision="main")
    c = AutoModel.from_pretrained("org/model", revision="0123456789abcdef0123456789abcdef01234567")
    d = AutoModel.from_pretrained("outputs/model")
    e = AutoModel.from_pretrained("my-model")
    f = AutoModel.from_pretrained("gpt2")
    g = AutoModel.from_pretrained("org/model", **kwargs)
    """
    assert rules(code) == [(3, "MLD202", "low"), (4, "MLD202", "low"), (8, "MLD202", "low")]


def test_sql_snapshots() -> None:
    code = """
    import sqlite3
    import pandas as pd

    def load(con, day):
        a = pd.read_sql("SELECT * FROM events", con)
        b = pd.read_sql("SELECT * FROM events WHERE ds = '2024-01-01'", con)
        c = pd.read_sql(f"SELECT * FROM events WHERE x = {day}", con)
        d = pd.read_sql("SELECT * FROM events_v3", con)
        e = pd.read_sql("SELECT * FROM events", sqlite3.connect("x.db"))
        return a, b, c, d, e
    """
    assert rules(code) == [(6, "MLD202", "medium")]


def test_tests_are_skipped() -> None:
    code = 'import pandas as pd\ndf = pd.read_csv("https://example.com/x.csv")\n'
    assert rules(code, "tests/test_x.py") == []


def test_dead_load_and_closure() -> None:
    code = """
    import pandas as pd

    def f():
        a = pd.read_csv("a.csv")
        b = pd.read_csv("b.csv")

        def g():
            return b

        return g
    """
    assert rules(code) == [(5, "MLD203", "high")]


def test_engineered_column_needs_the_whole_flow() -> None:
    base = """
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    def f():
        df = pd.read_csv("a.csv")
        df["new"] = df["a"] * 2
        LogisticRegression().fit(df[["a", "b"]], df["y"])
        {extra}
    """
    assert rules(base.format(extra="")) == [(7, "MLD203", "medium")]
    assert rules(base.format(extra='df.to_csv("out.csv")')) == []
    assert rules(base.format(extra="return df")) == []
    assert rules(base.format(extra='print(df["new"])')) == []


def test_sql_complexity_data() -> None:
    code = '''
    import pandas as pd
    Q = """
    SELECT a.x, b.y
    FROM a
    JOIN b ON a.id = b.id
    WHERE a.id IN (SELECT id FROM c WHERE ds = '2024-01-01')
    AND a.ds = '2024-01-01'
    """
    df = pd.read_sql(Q, con)
    '''
    found = [s for s in smells(code) if s.rule == "MLD406"]
    assert len(found) == 1
    assert dict(found[0].data) == {"kind": "sql", "lines": "5", "clauses": "2"}


@pytest.mark.parametrize(
    ("command", "flagged"),
    [
        ('["Rscript", "x.R"]', True),
        ("\"awk -F, '{print $1}' x.csv | sort -u > y.csv\"", True),
        ('["bash", "-c", "cut -f1 x.tsv | uniq"]', True),
        ('["java", "-jar", "tool.jar"]', True),
        ('["java", "-version"]', False),
        ('["python", "train.py"]', False),
        ('"wget https://example.com/x.csv"', False),
        ("cmd", False),
    ],
)
def test_shell_outs(command: str, flagged: bool) -> None:
    code = f"import subprocess\nimport pandas as pd\nsubprocess.run({command}, shell=True)\n"
    assert [r for _, r, _ in rules(code) if r == "MLD406"] == (["MLD406"] if flagged else [])


def test_sys_path_hack_detector_scopes() -> None:
    code = """
    import sys
    sys.path.append("..")

    def f(p):
        sys.path.insert(0, p)

    if __name__ == "__main__":
        sys.path.append("x")
    """
    assert [(line, r) for line, r, _ in rules(code)] == [(3, "MLD407")]
    assert rules(code, "docs/conf.py") == []
    assert rules(code, "tests/conftest.py") == []


def test_swallowed_model_error() -> None:
    code = """
    import torch
    try:
        m = torch.load("m.pt")
    except Exception:
        pass
    try:
        x = int("3")
    except Exception:
        pass
    try:
        m = torch.load("m.pt")
    except OSError:
        pass
    """
    assert rules(code) == [(5, "MLD408", "")]


def test_scratch_imports() -> None:
    code = "from notebooks.eda import f\nfrom notebook_utils import g\nimport scratch.x\nimport jinja2.sandbox\n"
    assert [(line, r) for line, r, _ in rules(code)] == [(1, "MLD409"), (3, "MLD409")]


@pytest.mark.parametrize(
    "code",
    [
        "x = 1",
        "import pandas as pd\npd.read_csv()",
        "import pandas as pd\ndf = pd.read_csv(*args)",
        "import pandas as pd\nfor f in glob(): pd.read_csv(f)",
        "import subprocess\nsubprocess.run([])",
        "import subprocess\nsubprocess.run('\"unbalanced')",
        "import pandas as pd\npd.read_sql('%s' % x + f'{y}' + '{}'.format(z), con)",
        "try:\n    pass\nexcept* ValueError:\n    pass",
        "import sys\nsys.path += ['x']\nsys.path = []",
    ],
)
def test_robust_on_odd_code(code: str) -> None:
    smells(code)


def test_pending_reads_are_those_whose_extracted_source_comes_from_another_module() -> None:
    """MLD202 leaves a read for the project phase exactly when the extractor's `Value` of its
    source is built from an imported name or a project function's return (what the resolver can
    trace to another module's constant): never a read of the environment, although `os` is
    imported, nor one of a parameter."""
    code = """
    import os
    import pandas as pd
    from pkg import settings
    from pkg.io import data_dir

    a = pd.read_csv(os.path.join(settings.ROOT, "a.csv"))
    b = pd.read_csv(os.getenv("DATA"))
    c = pd.read_csv(f"{data_dir()}/c.csv")

    def load(root):
        return pd.read_csv(root + "/d.csv")
    """
    found = [(s.span.line, dict(s.data).get("pending")) for s in smells(code) if s.rule == "MLD202"]
    assert found == [(7, "reader"), (9, "reader")]


def test_text_of_shows_the_extractors_value_with_the_source_of_each_hole() -> None:
    text = textwrap.dedent(
        """\
        import pandas as pd
        MIRROR = "https://data.example.org"

        def load(version, split="train", root=None):
            url = f"{MIRROR}/{version}/" + split + ".csv"
            a = pd.read_csv(url)
            b = pd.read_csv(root)
            with open(get_dir() + "/x.csv") as handle:
                c = pd.read_csv(handle)
            return a, b, c
        """
    )
    tree = ast.parse(text)
    ctx = FileContext("pkg/mod.py", "pkg.mod", text, tree)
    reads = {n.lineno: n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func) == "pd.read_csv"}
    shown = {line: ctx.text_of(call) for line, call in reads.items()}
    # a parameter shows its default; an unknown part is a hole with its own source text
    assert shown[6] is not None and shown[6].text == "https://data.example.org/\x00/train.csv"
    assert shown[6].holes == ["version"]
    assert shown[7] is None  # a parameter whose default is no text shows nothing
    handle = shown[9]  # a read through a handle shows the path `open` was given
    assert handle is not None and (handle.text, handle.holes) == ("\x00/x.csv", ["get_dir()"])


def test_shown_of_an_argument_the_extractor_evaluates_where_the_call_is() -> None:
    text = textwrap.dedent(
        """\
        import torch
        from sklearn.datasets import fetch_openml
        repo = "pytorch/vision"
        model = torch.hub.load(repo, "resnet50")
        repo = "pytorch/vision:v0.10.0"
        mnist = fetch_openml(name)
        """
    )
    tree = ast.parse(text)
    ctx = FileContext("pkg/mod.py", "pkg.mod", text, tree)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    hub = next(c for c in calls if ast.unparse(c.func) == "torch.hub.load")
    openml = next(c for c in calls if ast.unparse(c.func) == "fetch_openml")
    shown = ctx.shown_of(hub.args[0])
    assert shown is not None and shown[0] is not None and shown[0].text == "pytorch/vision"
    assert ctx.shown_of(openml.args[0]) == (None,)  # evaluated: nothing of it is text
    assert ctx.shown_of(hub.args[1]) is None  # not an argument the extractor shows


def test_shown_of_each_word_of_a_command_run() -> None:
    text = 'import subprocess\nSCRIPT = "fit.R"\nsubprocess.run(["Rscript", SCRIPT, n])\n'
    tree = ast.parse(text)
    ctx = FileContext("pkg/mod.py", "pkg.mod", text, tree)
    words = next(n for n in ast.walk(tree) if isinstance(n, ast.List)).elts
    shown = [ctx.shown_of(w) for w in words]
    assert [s[0].text if s is not None and s[0] is not None else s for s in shown] == ["Rscript", "fit.R", (None,)]


def test_bound_of_follows_the_extractors_bindings_where_the_name_is_used() -> None:
    text = textwrap.dedent(
        """\
        import pandas as pd
        from features import EXTRA, pick
        FEATURES = ["a", "b"]
        def f(df, cols=("c", "d"), other=None):
            df[FEATURES]
            df[cols]
            df[other]
            keep = ["x"]
            df[keep]
            keep += EXTRA
            df[keep]
            names = ["y"]
            [names for names in EXTRA]
            df[names]
            for names in EXTRA:
                df[names]
            if (keep := pick(df)):
                df[keep]
            def inner(frame):
                frame[cols]
                frame[LATE]
        LATE = ["z"]
        """
    )
    tree = ast.parse(text)
    ctx = FileContext("pkg/mod.py", "pkg.mod", text, tree)
    slices = [n.slice for n in ast.walk(tree) if isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Name)]
    slices.sort(key=lambda n: n.lineno)
    bound = [ctx.bound_of(s) for s in slices]
    shown = [ast.unparse(b) if b is not None else None for b in bound]
    assert shown == [
        "['a', 'b']",  # the module's binding
        "('c', 'd')",  # a parameter's default
        "None",  # ... even when it is None
        "['x']",
        None,  # `keep += EXTRA`: no longer the list written
        "['y']",  # the comprehension's own `names` is gone after it
        None,  # a loop's target
        None,  # a walrus rebinds it
        "('c', 'd')",  # a closure sees the enclosing function's binding
        None,  # a module name bound after the function is defined: not seen (as constants)
    ]


def test_every_source_mld202_and_mld406_judge_is_a_read_fact_or_shown_where_the_call_is() -> None:
    """MLD202 and MLD406 read a source or query from the extractor: the target of its read fact,
    or the argument `apis.SHOWN_ARGS` names at the same position and keyword the rule asks for."""
    from mldebt.parse import apis

    rule = mld202_unstable_data_dependency
    judged: dict[str, tuple[int | None, str | None]] = {
        **{n: (p, k) for n, (p, k) in rule._READERS.items()},
        **{n: (p, k) for n, (p, k, _) in rule._DOWNLOADS.items()},
        **{n: (1 if n == "requests.request" else 0, "url") for n in rule._HTTP},
        **dict(rule._MODEL_LOADS),
        **dict(rule._SQL_CALLS),
        **dict(mld406_multiple_language._SQL_CALLS),
    }
    missing = [
        (name, where)
        for name, where in sorted(judged.items())
        if not (name in apis.CALLS and apis.CALLS[name].op == "read") and apis.SHOWN_ARGS.get(name) != where
    ]
    assert missing == []
