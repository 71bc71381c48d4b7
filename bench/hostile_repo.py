"""Build one repository holding every hostile-input repro at once.

    python bench/hostile_repo.py /tmp/hostile && mldebt check /tmp/hostile/project; echo $?

The scan must finish with a report and exit 1 (there are findings): every repro ends as a
finding, an error entry or a summary line, never a crash, a hang, a read outside the project or
a terminal escape. (Repros that are configuration errors by design, such as `cache-dir = ".."`
or a committed `.mldebt_cache` symlink, exit 2 naming the key: tests/test_hostile.py has them.)
Writes `outside/` next to `project/`: the files the project's links point at.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

SECRET = "gho_16C7e42F292c6912E7710c838347Ae178B4a"
FOREST = (
    "from sklearn.ensemble import RandomForestClassifier\n"
    "from sklearn.model_selection import train_test_split\n\n"
    "X_train, X_test = train_test_split(X, y, random_state=1)\n"
    "forest = RandomForestClassifier(n_estimators=50)\n"
)


def build(top: Path) -> Path:
    if top.exists():
        shutil.rmtree(top)
    outside = top / "outside"
    project = top / "project"
    files: dict[str, str | bytes] = {
        # configuration: absurd jobs are capped, not obeyed
        "pyproject.toml": "[tool.mldebt]\njobs = 100000\n",
        # secrets: argparse default against a config value (MLD503 would quote both)
        "params.yaml": f"hub:\n  token: {SECRET}\n  lr: 0.001\n",
        "train.py": (
            "import argparse\n\nimport yaml\n\nparser = argparse.ArgumentParser()\n"
            'parser.add_argument("--token", default="hf_0123456789abcdefABCDEF")\n'
            'parser.add_argument("--lr", type=float, default=0.01)\n'
            'args = parser.parse_args()\nparams = yaml.safe_load(open("params.yaml"))["hub"]\n'
            'print(args.token or params["token"], args.lr or params["lr"])\n'
        ),
        # terminal escapes in string literals and in a file name
        "esc.py": 'import pandas as pd\n\ndf = pd.read_csv("\x1b]0;pwned\x07.csv")\ndf.to_csv("\x1b]52;c;SGVsbG8=\x1b\\\\.csv")\n',
        "\x1b]0;title\x07.py": FOREST,
        # YAML bombs
        "conf/laughs.yaml": "\n".join(
            ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
            + [f"{c}: &{c} [{','.join([f'*{p}'] * 9)}]" for p, c in zip("abcd", "bcde", strict=True)]
        ),
        "conf/merge.yaml": "\n".join(
            ["l0: &l0 {k0: 1}"]
            + [f"l{i}: &l{i} {{<<: [*l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}], k{i}: {i}}}" for i in range(1, 14)]
        ),
        # more findings of one rule in one file than a report should hold
        "nan_checks.py": "import numpy as np\n\n" + "".join(f"ok{i} = x{i} == np.nan\n" for i in range(150)),
        # NUL bytes: late in a Python file; in a notebook cell (with a Python 2 cell beside it)
        "late_nul.py": b"x = 1\n" * 3000 + b"y = 'a\0b'\n",
        "nb.ipynb": json.dumps(
            {
                "cells": [
                    {"cell_type": "code", "source": FOREST.rsplit("forest", 1)[0], "metadata": {}, "outputs": []},
                    {"cell_type": "code", "source": "y = '\u0000'\n", "metadata": {}, "outputs": []},
                    {"cell_type": "code", "source": "print 'py2'\n", "metadata": {}, "outputs": []},
                    {
                        "cell_type": "code",
                        "source": "forest = RandomForestClassifier()\n",
                        "metadata": {},
                        "outputs": [],
                    },
                ],
                "metadata": {},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        ),
        # syntax newer than Python 3.11 (on 3.11: an error naming 3.12)
        "fstring312.py": 'name = "x"\nmsg = f"{"a" + name}"\n',
        # valid Python that parsers below CPython's have refused
        "annotated_target.py": "(x): int = 1\n",
        "adjacent_strings.py": "x = (" + " ".join(['"a"'] * 5000) + ")\n",
        "for_clauses.py": "x = [a for a in b " + " ".join(f"for a{i} in b" for i in range(5000)) + "]\n",
        "long_or.py": "x = " + " or ".join(["a"] * 7000) + "\n",
        "deep.py": "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n",
        # pycaret 2.3.10's get_data: a concatenated URL, more callers than kept alternatives
        "datasets.py": (
            "import pandas as pd\n\n\n"
            'def get_data(dataset="index", address="https://example.org/master/datasets/"):\n'
            '    filename = str(dataset) + ".csv"\n'
            "    return pd.read_csv(address + filename)\n"
        ),
        # a committed cache entry: forged, so ignored (its MAC cannot verify)
        ".mldebt_cache/v1/00/" + "0" * 64 + ".json": "0" * 64 + '\n{"version":"x","key":"' + "0" * 64 + '","facts":[]}',
    }
    for i in range(10):
        files[f"exp/run{i}.py"] = (
            "from sklearn.linear_model import LogisticRegression\n\nfrom datasets import get_data\n\n"
            f'df = get_data("d{i}")\nmodel = LogisticRegression()\nmodel.fit(df.drop(columns="y"), df["y"])\n'
        )
    for rel, content in files.items():
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    # a file name that is not UTF-8, with a finding
    (project / os.fsdecode(b"bad_\xff.py")).write_text(FOREST)
    # links to files outside the project
    (outside / ".config" / "gh").mkdir(parents=True)
    (outside / ".config" / "gh" / "hosts.yml").write_text(f"github.com:\n  oauth_token: {SECRET}\n")
    (outside / "leak.py").write_text(f'TOKEN = "{SECRET}"\nimport pandas as pd\ndf = pd.read_csv("{SECRET}.csv")\n')
    (project / "conf.yaml").symlink_to(Path("..") / "outside" / ".config" / "gh" / "hosts.yml")
    (project / "util.py").symlink_to(Path("..") / "outside" / "leak.py")
    # a path longer than PATH_MAX
    here = os.getcwd()
    try:
        os.chdir(project)
        depth = 0
        while len(str(project)) + depth * 201 < 4300:
            os.mkdir("d" * 200)
            os.chdir("d" * 200)
            depth += 1
        Path("deep_file.py").write_text("x = 1\n")
    finally:
        os.chdir(here)
    return project


if __name__ == "__main__":
    print(build(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/mldebt-hostile")))
