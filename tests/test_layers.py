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


def _runtime_imports(tree: ast.Module) -> list[str]:
    """The `mldebt` modules a module imports when it is imported: its top-level imports, not
    those under `if TYPE_CHECKING:` or inside functions."""
    out = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names]
    return [m for m in out if m == "mldebt" or m.startswith("mldebt.")]


def test_file_rule_modules_import_only_what_the_parse_phase_has() -> None:
    """A file rule module (one defining `detect`) runs in the parse phase's workers: at import it
    may load only the model, config, catalog, the parse layer and `rules.base` (graph-free at
    import), never the graph, reports or the API (`Built`, `Site` under TYPE_CHECKING or in
    `check`)."""
    allowed = ("mldebt.model", "mldebt.config", "mldebt.catalog", "mldebt.parse", "mldebt.rules.base")
    bad = []
    for path in sorted((SRC / "rules").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if path.name != "base.py" and not any(isinstance(n, ast.FunctionDef) and n.name == "detect" for n in tree.body):
            continue
        for name in _runtime_imports(tree):
            if not any(name == a or name.startswith(a + ".") for a in allowed):
                bad.append(f"rules/{path.name} imports {name}")
    assert bad == []


def test_the_parse_phase_loads_no_rule_but_the_file_rules(tmp_path: Path) -> None:
    """Running the detectors imports the file rule modules, and with them neither the graph nor
    the other rules (`mldebt.rules` loads its registry on first use)."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom mldebt.parse.detectors import FILE_RULES, detectors\ndetectors()\n"
        "rules = {n for n in FILE_RULES if n.startswith('mldebt.rules.')}\n"
        "loaded = {m for m in sys.modules if m.startswith('mldebt.rules.mld')}\n"
        "assert loaded == rules, sorted(loaded ^ rules)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('mldebt.graph', 'mldebt.report', 'mldebt.api'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
