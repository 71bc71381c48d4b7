"""The LibCST-free MLD703 fix (`mldebt.fix.fast`) gives exactly what the LibCST codemod gives."""

from __future__ import annotations

import ast

import pytest

from mldebt.fix.codemods import Source, Target, fix_703
from mldebt.fix.fast import UNDECIDED, Calls, fast_fix

HEAD = "from sklearn.model_selection import train_test_split\n"

# (call text, does the fast path answer it?)
SHAPES = [
    ("train_test_split(X, y)", True),
    ("train_test_split()", True),
    ("train_test_split( )", True),
    ("train_test_split(X, y, )", True),
    ("train_test_split(X, test_size=0.2)", True),
    ("train_test_split(X,\n    y)", True),
    ("train_test_split(\n    X,\n    y,\n)", True),
    ("train_test_split(\n    X,\n    test_size=0.2,\n)", True),
    ("train_test_split(\n    X, y,\n)", True),
    ("train_test_split(X, y\n)", True),
    ("train_test_split(X\n, y\n,)", True),
    ("train_test_split(*args)", True),
    ("train_test_split(X, **kw)", True),  # no fix: a key after **kw may repeat
    ("train_test_split(X, random_state=1)", True),  # no fix: already there
    ("train_test_split('é', 'ü')", True),
    ("train_test_split(X, (y))", False),
    ("train_test_split(X, y  # why\n)", False),
    ("train_test_split(X, y,  # why\n)", False),
    ("train_test_split(x for x in X)", False),
    ("train_test_split(X, \\\n y)", True),
    ("train_test_split(X, y \\\n)", False),
    ("(train_test_split)(X)", True),
    ("train_test_split(f(X), g(y))", True),
    ("train_test_split(X, y=(1, 2))", True),
]


def _answers(code: str) -> list[tuple[object, object]]:
    text = HEAD + "SEED = 7\n" + code + "\n"
    calls = Calls(text)
    src = Source(text, text)
    out = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Call):
            start, end = calls.span(node)
            out.append((fast_fix(calls, text, "MLD703", start, end), fix_703(src, Target("MLD703", start, end))))
    return out


@pytest.mark.parametrize(("code", "decided"), SHAPES)
def test_fast_703_agrees_with_libcst(code: str, decided: bool) -> None:
    answers = _answers(code)
    outer = answers[0]  # ast.walk: the outermost call first
    assert (outer[0] is not UNDECIDED) == decided
    for fast, slow in answers:
        if fast is not UNDECIDED:
            assert fast == slow


def test_fast_703_edit_text() -> None:
    (fast, _), *_ = _answers("train_test_split(\n    X,\n    y,\n)")
    assert fast is not None and fast is not UNDECIDED
    assert [(e.start, e.end, e.content) for e in fast.edits] == [((4, 6), (4, 6), "\n    random_state=SEED,")]


def test_fast_703_on_a_notebook_cell_that_does_not_parse_alone() -> None:
    calls = Calls("    train_test_split(X)\n")
    assert fast_fix(calls, "", "MLD703", (0, 4), (0, 23)) is UNDECIDED
