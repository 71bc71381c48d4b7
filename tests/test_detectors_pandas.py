"""The pandas / NumPy detectors (MLD811-MLD821) on small snippets: type awareness, notebook
cells, and the look-alikes each rule must leave alone."""

from __future__ import annotations

import ast
import textwrap

import pytest

from mldebt.parse.detectors.context import FileContext
from mldebt.rules import (
    mld811_nan_equivalence,
    mld812_unnecessary_iteration,
    mld813_chain_indexing,
    mld814_columns_and_dtype_not_set,
    mld815_empty_column_misinitialization,
    mld816_merge_parameters_not_set,
    mld817_inplace_api_misused,
    mld818_dataframe_conversion_api_misused,
    mld819_matrix_multiplication_api_misused,
    mld820_broadcasting_feature_not_used,
    mld821_missing_mask_of_invalid_value,
)

DETECTORS = (
    mld811_nan_equivalence.detect,
    mld812_unnecessary_iteration.detect,
    mld813_chain_indexing.detect,
    mld814_columns_and_dtype_not_set.detect,
    mld815_empty_column_misinitialization.detect,
    mld816_merge_parameters_not_set.detect,
    mld817_inplace_api_misused.detect,
    mld818_dataframe_conversion_api_misused.detect,
    mld819_matrix_multiplication_api_misused.detect,
    mld820_broadcasting_feature_not_used.detect,
    mld821_missing_mask_of_invalid_value.detect,
)


def _found(src: str, notebook: bool = False, cell_starts: tuple[int, ...] = ()) -> list[tuple[int, str, str]]:
    text = textwrap.dedent(src).lstrip("\n")
    tree = ast.parse(text)
    ctx = FileContext("a.ipynb" if notebook else "a.py", "a", text, tree, notebook=notebook, cell_starts=cell_starts)
    out = []
    for detect in DETECTORS:
        for smell in detect(ctx):
            out.append((smell.span.line, smell.rule, smell.confidence))
    return sorted(out)


def _rules(src: str, **kw: object) -> list[tuple[int, str]]:
    return [(line, rule) for line, rule, _ in _found(src, **kw)]  # type: ignore[arg-type]


def test_frames_are_known_by_type_not_by_name() -> None:
    src = """
    import pandas as pd
    table = pd.read_csv("a.csv")
    df = {"a": 1}
    x = table.values
    y = df.values
    """
    assert _rules(src) == [(4, "MLD818")]


def test_chain_writes_are_high_and_reads_low_once_per_line() -> None:
    src = """
    import pandas as pd
    df = pd.read_csv("a.csv")
    df["a"][df["b"][0]] = 1
    v = df["a"][0]
    cell = df.loc[0, "a"][:3]
    """
    assert _found(src) == [(3, "MLD813", "high"), (4, "MLD813", "low")]


def test_discarded_result_is_displayed_at_the_end_of_a_notebook_cell() -> None:
    src = """
    import pandas as pd
    df = pd.read_csv("a.csv")
    df.dropna()
    df.sort_values("a")
    x = 1
    """
    # cells: lines 1-2, 3-4, 5
    assert _rules(src, notebook=True, cell_starts=(1, 3, 5)) == [(3, "MLD817")]
    assert _rules(src) == [(3, "MLD817"), (4, "MLD817")]


def test_percent_cells_in_scripts() -> None:
    src = """
    # %%
    import pandas as pd
    df = pd.read_csv("a.csv")
    df.dropna()
    # %%
    x = 1
    """
    assert _rules(src) == []


def test_nbconvert_exports_may_display_any_top_level_expression() -> None:
    src = """
    # coding: utf-8
    import pandas as pd
    df = pd.read_csv("a.csv")
    df.dropna()
    def f(d: pd.DataFrame) -> None:
        d.dropna()
    """
    assert _rules(src) == [(6, "MLD817")]


def test_merge_reports_missing_keys_with_the_missing_parameters() -> None:
    src = """
    import pandas as pd
    a = pd.read_csv("a.csv")
    b = pd.read_csv("b.csv")
    c = a.merge(b)
    d = a.merge(b, on="k")
    e = pd.merge(a, b, "inner", "k", validate="1:1")
    f = a.merge(b, how="cross")
    """
    text = textwrap.dedent(src).lstrip("\n")
    ctx = FileContext("a.py", "a", text, ast.parse(text))
    smells = [s for d in DETECTORS for s in d(ctx) if s.rule == "MLD816"]
    assert [(s.span.line, dict(s.data)["missing"]) for s in smells] == [(4, "keys,how,validate"), (5, "how,validate")]


def test_shapes_must_be_proven_and_not_rebound_in_a_loop() -> None:
    src = """
    import numpy as np
    A = np.ones((2, 2))
    v = np.ones(2)
    a = np.dot(A, A)
    b = np.dot(A, v)
    for _ in range(3):
        c = np.dot(A, A)
        A = np.tanh(A)
    """
    assert _rules(src) == [(4, "MLD819")]


@pytest.mark.parametrize(
    ("src", "want"),
    [
        ("import numpy as np\ndef f(m, X):\n    return np.log(m.predict_proba(X))\n", [(3, "MLD821")]),
        ("import numpy as np\ndef f(m, X):\n    return np.log(m.predict_proba(X) + 1e-9)\n", []),
        (
            "import numpy as np\ndef f(m, X):\n    p = m.predict_proba(X)\n    p = np.clip(p, 1e-9, 1)\n    return np.log(p)\n",
            [],
        ),
        ("import numpy as np\nx = np.log(np.array([1.0, 2.0]))\n", []),
    ],
)
def test_log_of_probabilities(src: str, want: list[tuple[int, str]]) -> None:
    assert _rules(src) == want


def test_row_loops_that_call_out_are_not_vectorisable() -> None:
    src = """
    import pandas as pd
    df = pd.read_csv("a.csv")
    for i, row in df.iterrows():
        df.loc[i, "c"] = row["a"] + row["b"]
    for i, row in df.iterrows():
        df.loc[i, "d"] = lookup(row["a"])
    """
    assert _rules(src) == [(3, "MLD812")]


def test_placeholder_column_needs_a_computed_partial_fill() -> None:
    src = """
    import pandas as pd
    df = pd.read_csv("a.csv")
    df["flag"] = 0
    df.loc[df["a"] > 1, "flag"] = 1
    df["r"] = 0
    df.loc[df["a"] > 1, "r"] = df["a"] * 2
    """
    assert _rules(src) == [(5, "MLD815")]


def test_tiles_need_a_fresh_singleton_axis_and_arithmetic() -> None:
    src = """
    import numpy as np
    a = np.load("a.npy")
    v = a.min(axis=1)
    b = a - np.tile(v[:, None], (1, 3))
    c = np.concatenate([a, np.tile(v[:, None], (1, 3))])
    d = a - np.tile(v, (3, 1))
    """
    assert _rules(src) == [(4, "MLD820")]


def test_read_then_cast() -> None:
    src = """
    import pandas as pd
    df = pd.read_csv("a.csv")
    df["a"] = df["a"].astype(int)
    ok = pd.read_csv("a.csv", dtype={"a": int})
    ok["a"] = ok["a"].astype(float)
    text = pd.read_csv("b.csv")
    text["k"] = text["k"].astype(str)
    arr = text.values.astype(float)
    """
    assert _rules(src) == [(2, "MLD814"), (8, "MLD818")]


def test_detectors_survive_odd_python() -> None:
    src = """
    import numpy as np, pandas as pd
    df = pd.read_csv("a.csv")
    for (i, row) in df.iterrows(): pass
    for *a, in df.itertuples(): pass
    async def f():
        async for x in g():
            df.loc[x, "a"] = 1
    lambda: np.dot(*[1, 2])
    df.merge(*[df])
    [df.dropna() for _ in range(2)]
    np.log(*[1])
    (df := pd.DataFrame())["a"][0] = 1
    """
    _found(src)
