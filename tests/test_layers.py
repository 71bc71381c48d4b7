"""The package's own import layering: imports run one way, as ARCHITECTURE.md draws them."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "mldebt"
RANK: dict[str, float] = {
    "model": 0,
    "textsafe": 0,
    "config": 1,
    "catalog": 1,
    "discover": 2,
    "parse": 3,
    "graph": 4,
    "rules": 5,
    "report": 5,
    "roots": 1,
    "suppressions": 5,
    "baseline": 5,
    "gate": 5,
    "stored": 5.2,
    "workspace": 5.5,
    "api": 6,
    "fix": 6,  # beside api: neither imports the other; the CLI imports fix only to fix
    "cli": 7,
    "__main__": 8,
    "__init__": 0,
}


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_imports_run_one_way() -> None:
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("").as_posix().replace("/", ".")
        here = layer(rel)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if not name.startswith("mldebt.") and name != "mldebt":
                    continue
                there = layer(name) if name != "mldebt" else "__init__"
                if there != here and RANK[there] >= RANK[here]:
                    bad.append(f"{rel} imports {name}")
    assert bad == []


def test_networkx_only_in_graph_and_libcst_only_in_fixes() -> None:
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(SRC).as_posix()
        if "import networkx" in text:
            assert rel.startswith("graph/"), rel
        if "import libcst" in text:  # lossless rewriting only: analysis runs on `ast`
            assert rel.startswith("fix/"), rel


def test_a_scan_imports_neither_libcst_nor_networkx(tmp_path: Path) -> None:
    """LibCST is for rewriting, NetworkX for cycles and export: a scan without a feedback loop
    (here one that also parses a notebook and a config) loads neither."""
    import json
    import subprocess
    import sys

    (tmp_path / "train.py").write_text(
        "import pandas as pd\nimport yaml\ncfg = yaml.safe_load(open('params.yaml'))\n"
        "df = pd.read_csv(cfg['data'])\ndf.to_csv('out.csv')\n",
        encoding="utf-8",
    )
    (tmp_path / "params.yaml").write_text("data: data.csv\n", encoding="utf-8")
    nb = {"cells": [{"cell_type": "code", "source": "x = 1\n"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    code = (
        "import sys\nfrom mldebt.api import analyze, settings_for\nfrom pathlib import Path\n"
        f"root = Path({str(tmp_path)!r})\n"
        "report = analyze([str(root)], settings_for(root, {'no-cache': True, 'jobs': 1}), root=root)\n"
        "assert report.summary.files == 2, report\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('libcst', 'networkx')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_analysis_never_imports_the_fix_package(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "a.py").write_text("import numpy as np\nx = 1\ny = x == np.nan\n", encoding="utf-8")
    code = (
        "import sys; from mldebt.api import analyze; from mldebt.report import render; "
        f"r = analyze([{str(tmp_path)!r}], root={str(tmp_path)!r}); render(r, 'json'); render(r, 'sarif'); "
        "assert r.findings; print(sorted(m for m in sys.modules if m.startswith('mldebt.fix')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "[]\n"
