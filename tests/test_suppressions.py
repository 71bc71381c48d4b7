"""Suppression comments: what the parser reads, and how comments apply in notebooks."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import scan

from mldebt.parse.facts import Suppression
from mldebt.parse.suppressions import parse_suppressions, python_comment_columns


def test_parse_codes_reasons_and_placement() -> None:
    text = (
        "x = 1  # mldebt: ignore[MLD201] -- exported by the CRM job\n"  # the form --add-ignore writes
        "    # mldebt: ignore[mld201, MLD3]--two rules\n"
        "y: 2  # mldebt: ignore\n"
        "z = 3  # mldebt: ignore[MLD707] -- see #41  # expect: MLD707\n"
        "# mldebt: ignored is not a suppression\n"
    )
    assert parse_suppressions(text) == (
        Suppression(1, 8, ("MLD201",), "exported by the CRM job", False),
        Suppression(2, 5, ("MLD201", "MLD3"), "two rules", True),
        Suppression(3, 7, (), "", False),
        Suppression(4, 8, ("MLD707",), "see #41", False),
    )


def test_python_strings_are_not_comments() -> None:
    text = 'HELP = "add # mldebt: ignore[MLD201] to a line"\nx = 1  # mldebt: ignore[MLD201] -- ok\n'
    assert [s.line for s in parse_suppressions(text, python_comment_columns(text))] == [2]


def test_notebook_comments_cover_the_next_line_of_the_same_cell_only(tmp_path: Path) -> None:
    cells = [
        ["import pandas as pd\n", "# mldebt: ignore[MLD201] -- one-off look\n", 'a = pd.read_csv("/home/ana/a.csv")'],
        ["# mldebt: ignore[MLD201] -- the cell ends here"],
        ['b = pd.read_csv("/home/ana/b.csv")'],
    ]
    nb = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": c} for c in cells
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (tmp_path / "look.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    report = scan(tmp_path)
    got = {(f.location.path, f.location.cell, f.location.line, f.rule) for f in report.findings}
    assert got == {("look.ipynb", 2, 1, "MLD707"), ("look.ipynb", 3, 1, "MLD201")}
    assert [(r.cell, r.line, r.status, r.suppressed) for r in report.suppressions] == [
        (1, 2, "used", 1),
        (2, 1, "unused", 0),
    ]
    assert report.summary.suppressed == 1
