"""Detectors of the Sculley §5 anti-patterns (MLD402-405, MLD410) on small snippets: what counts as code in a
comment, which conditions are constant, and robustness on odd input."""

from __future__ import annotations

import ast

import pytest

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.facts import Smell
from mldebt.rules import (
    mld402_glue_code,
    mld403_dead_experimental_codepath,
    mld404_commented_out_code,
    mld405_abstraction_debt,
    mld410_plain_old_data,
)

DETECTORS = (
    mld410_plain_old_data.detect,
    mld404_commented_out_code.detect,
    mld403_dead_experimental_codepath.detect,
    mld405_abstraction_debt.detect,
    mld402_glue_code.detect,
)


def _smells(text: str, rule: str, notebook: bool = False) -> list[Smell]:
    ctx = FileContext("x.ipynb" if notebook else "x.py", "x", text, ast.parse(text), notebook=notebook)
    out = [s for d in DETECTORS for s in d(ctx) if isinstance(s, Smell) and s.rule == rule]
    return out


@pytest.mark.parametrize(
    ("line", "strength"),
    [
        ("x = np.zeros(3)", mld404_commented_out_code.STRONG),
        ("model.fit(X, y)", mld404_commented_out_code.STRONG),
        ("import pandas as pd", mld404_commented_out_code.STRONG),
        ("for i in range(3):", mld404_commented_out_code.STRONG),
        ("for i in range(3):  # loop", mld404_commented_out_code.STRONG),
        ("else:", mld404_commented_out_code.WEAK),
        ("if so:", mld404_commented_out_code.WEAK),
        ("Training", 0),
        ("e.g", 0),
        ("Note: this matters", 0),
        ("see (above)", 0),
        ("Load the data first", 0),
        ("print x", 0),
        ("pylint: disable=foo", 0),
    ],
)
def test_line_strength(line: str, strength: int) -> None:
    assert mld404_commented_out_code._line_strength(line) == strength


def test_comment_lines_in_a_string_are_not_comments() -> None:
    text = 'DOC = """\n# x = 1\n# y = f(x)\n# z = g(y)\n"""\n'
    assert _smells(text, "MLD404") == []


def test_a_continued_call_counts_with_its_statement() -> None:
    text = "# model = Model(\n#     a=1,\n# )\n# model.fit(X)\npass\n"
    (smell,) = _smells(text, "MLD404")
    assert smell.span.line == 1 and dict(smell.data)["lines"] == "4"


def test_notebook_cells_commented_out_by_the_reader_are_skipped() -> None:
    text = "x = 1\n# %%bash\n# a = f(1)\n# b = g(2)\n# c = h(3)\n"
    assert len(_smells(text, "MLD404", notebook=True)) == 1  # one cell, not all of it comments
    ctx_text = "x = 1\n# %%writefile a.py\n# a = f(1)\n# b = g(2)\n# c = h(3)\n"
    ctx = FileContext("x.ipynb", "x", ctx_text, ast.parse(ctx_text), notebook=True, cell_starts=(1, 2))
    assert list(mld404_commented_out_code.detect(ctx)) == []


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("if False:\n    pass\n", ["const"]),
        ("while 0:\n    pass\n", ["const"]),
        ("DEBUG = False\nif DEBUG:\n    pass\n", ["const-name"]),
        ("DEBUG = False\nDEBUG = True\nif DEBUG:\n    pass\n", []),
        ("DEBUG = None\nif DEBUG:\n    pass\n", []),
        ("DEBUG = False\nexec('')\nif DEBUG:\n    pass\n", []),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    pass\n", []),
        ("if __name__ == '__main__':\n    pass\n", []),
    ],
)
def test_constant_conditions(text: str, kinds: list[str]) -> None:
    assert [dict(s.data)["kind"] for s in _smells(text, "MLD403")] == kinds


def test_flags_follow_the_namespace_into_functions() -> None:
    text = (
        "import argparse\n"
        "def get():\n    p = argparse.ArgumentParser()\n    p.add_argument('--amp', action='store_true')\n"
        "    return p.parse_known_args()[0] if True else p.parse_args()\n"
        "def train(opt):\n    if opt.amp:\n        pass\n"
        "train(get())\n"
    )
    flags = [s for s in _smells(text, "MLD403") if dict(s.data)["kind"] == "flag"]
    assert [dict(s.data)["dest"] for s in flags] == ["amp"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "#\n#\n#\n",
        "# (((((\n# [[[[\n# {{{{\n",
        "p.add_argument()\np.add_argument(*names, **kw)\nargs = p.parse_args()\nif args.x:\n    pass\n",
        "x = [i for i in ()]\n",
        "import torch\nfor _ in range(3):\n    loss.backward()\n",
    ],
)
def test_odd_input_does_not_raise(text: str) -> None:
    ctx = FileContext("x.py", "x", text, ast.parse(text))
    for detect in DETECTORS:
        list(detect(ctx))
