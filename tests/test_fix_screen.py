"""The fix path's shortcuts: `surely_screened` never says "fine" where `screen` refuses; `walk` is `ast.walk`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mldebt.fix.worker import MAX_NESTING, Unit, _fast, screen, surely_screened

DEEP = MAX_NESTING + 1


def nested_blocks(depth: int, indent: str = " ") -> str:
    lines = [f"{indent * i}if x{i}:" for i in range(depth)]
    return "\n".join([*lines, f"{indent * depth}y = 1", ""])


REFUSED = {
    "brackets on one line": "x = " + "(" * DEEP + "1" + ")" * DEEP + "\n",
    "brackets over lines": "x = f(\n" + "[\n" * DEEP + "1" + "]" * DEEP + ")\n",
    "a compound header": "if " + "(" * DEEP + "\n" + "a" + ")" * DEEP + ":\n    pass\n",
    "a decorator": "@d" + "(" * DEEP + "\n" + ")" * DEEP + "\ndef f():\n    pass\n",
    "an except clause": "try:\n    pass\nexcept " + "(" * DEEP + "E" + ",)" * DEEP + ":\n    pass\n",
    "a match subject": "match " + "(" * DEEP + "a" + ")" * DEEP + ":\n    case 1:\n        pass\n",
    "a case pattern": "match a:\n    case " + "[" * DEEP + "1" + "]" * DEEP + ":\n        pass\n",
    "a statement after a semicolon": "a = 1; b = (\n" + "{" * DEEP + "}" * DEEP + ")\n",
    "a body on the header's line": "if a: b = (\n" + "(" * DEEP + ")" * DEEP + ")\n",
    "an else branch": "if a:\n    pass\nelse:\n    b = " + "(" * DEEP + ")" * DEEP + "\n",
    "blocks": nested_blocks(DEEP),
    "blocks indented with tabs": nested_blocks(DEEP, "\t"),
}

ACCEPTED = {
    "plain": "import numpy as np\nx = np.zeros((3, 4))\n",
    "brackets in a string": "x = '" + "(" * 100 + "'\n",  # `screen` accepts; the bound does not know
    "blocks": nested_blocks(MAX_NESTING - 1),
    "tabs": "if a:\n\tif b:\n\t\tc = [1, (2, {3: 4})]\n",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_never_sure_where_screen_refuses(name: str) -> None:
    text = REFUSED[name]
    assert screen(text)  # the control: the tokenizer refuses it
    assert not surely_screened(text, ast.parse(text))


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_screen_accepts_these(name: str) -> None:
    text = ACCEPTED[name]
    assert screen(text) == ""
    assert surely_screened(text, ast.parse(text)) == (name != "brackets in a string")


def test_sure_only_where_screen_accepts_on_real_code() -> None:
    root = Path(__file__).resolve().parent.parent
    sure = 0
    for path in sorted([*(root / "src" / "mldebt" / "parse").rglob("*.py"), *(root / "fixtures").rglob("*.py")]):
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        if surely_screened(text, tree):
            sure += 1
            assert screen(text) == "", path
    assert sure > 100


def test_fast_fix_where_screen_accepts() -> None:
    text = "from sklearn.model_selection import train_test_split\nx = 1\na, b = train_test_split(x)\n"
    target = ("MLD703", (2, 7), (2, 26), "m", ())
    (proposal,), error = _fast(Unit(text, text, (target,)))  # type: ignore[misc]
    assert error == "" and proposal is not None and proposal.edits[0].content == ", random_state=42"


def test_fast_fix_outcome_unchanged_where_screen_refuses() -> None:
    text = "from sklearn.model_selection import train_test_split\nx = " + "(" * DEEP + "1" + ")" * DEEP + "\n"
    text += "a, b = train_test_split(x)\n"
    target = ("MLD703", (2, 7), (2, 26), "m", ())
    assert _fast(Unit(text, text, (target,))) == ((None,), "nested more than 60 brackets deep")


def test_walk_is_ast_walk_in_order() -> None:
    from mldebt.fix.seeds import walk

    root = Path(__file__).resolve().parent.parent
    for path in sorted((root / "src" / "mldebt" / "fix").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        expected = list(ast.walk(tree))
        got = walk(tree)
        assert len(got) == len(expected) and all(a is b for a, b in zip(got, expected, strict=True)), path
