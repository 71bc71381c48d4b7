"""Notebook-relative paths: a notebook's directory goes in front of a whole path once, never of a part.

Jupyter runs a notebook in its own directory, so its relative paths are anchored there. A path
built in steps (`out = join(tmp, "utils")`, then `join(out, "word_dict.pkl")`) was anchored at
every step (`examples/prep/examples/prep/*/utils/word_dict.pkl`), and a file name a notebook
passes to a helper that joins it to a directory or URL got the notebook's directory in the middle.
"""

from __future__ import annotations

import json
import textwrap

from mldebt.graph.build import build
from mldebt.parse.facts import FileFacts
from mldebt.parse.notebook import notebook_facts
from mldebt.parse.python import python_facts


def nb(rel: str, *cells: str) -> FileFacts:
    doc = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "source": textwrap.dedent(c).strip()} for c in cells
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    module = rel.removesuffix(".ipynb").replace("/", ".")
    return notebook_facts(rel, json.dumps(doc), module)


def py(rel: str, src: str) -> FileFacts:
    return python_facts(rel, textwrap.dedent(src), rel.removesuffix(".py").replace("/", "."))


HELPERS = py(
    "recsys/datasets/mind.py",
    """
    import os
    import pandas as pd
    from transformers import AutoTokenizer

    BASE_URL = "https://mind.example.org/data"


    def download(name, dest):
        url = f"{BASE_URL}/{name}"
        return pd.read_json(url)


    def read_behaviors(folder, file_name):
        return pd.read_table(os.path.join(folder, file_name))


    def tokenizer(model_name):
        return AutoTokenizer.from_pretrained(model_name)
    """,
)

NOTEBOOK = nb(
    "examples/01_prepare/mind_utils.ipynb",
    """
    import os
    import pickle
    from tempfile import TemporaryDirectory
    import pandas as pd
    from recsys.datasets.mind import download, read_behaviors, tokenizer
    """,
    """
    tmpdir = TemporaryDirectory()
    data_path = tmpdir.name
    output_path = os.path.join(data_path, "utils")
    word_dict = {}
    with open(os.path.join(output_path, "word_dict.pkl"), "wb") as f:
        pickle.dump(word_dict, f)
    """,
    """
    local = os.path.join("cache", "mind")
    news = pd.read_table(os.path.join(local, "train", "news.tsv"))
    """,
    """
    def save_table(df, folder):
        df.to_csv(os.path.join(folder, "table.csv"))

    save_table(news, "exports")
    """,
    """
    meta = download("meta.json.gz", data_path)
    behaviors = read_behaviors(data_path, "behaviors.tsv")
    tok = tokenizer("bert-base-uncased")
    """,
)


def artifacts(path: str) -> list[str]:
    built = build([HELPERS, NOTEBOOK])
    return sorted({r.artifact for s in built.io_sites if s.path == path for r in s.resolved})


def test_a_path_built_in_steps_in_a_notebook_is_anchored_once() -> None:
    assert artifacts("examples/01_prepare/mind_utils.ipynb") == [
        "examples/01_prepare/*/utils/word_dict.pkl",  # was examples/01_prepare/examples/01_prepare/...
        "examples/01_prepare/cache/mind/train/news.tsv",
        "examples/01_prepare/exports/table.csv",  # through a notebook function's parameter
    ]


def test_a_file_name_a_notebook_passes_to_a_helper_is_joined_as_written() -> None:
    assert artifacts("recsys/datasets/mind.py") == [
        "*/behaviors.tsv",  # was */examples/01_prepare/behaviors.tsv
        "bert-base-uncased",  # a hub id, not a path
        "https://mind.example.org/data/meta.json.gz",  # was .../data/examples/01_prepare/meta.json.gz
    ]
