"""MLD401: a relative path in a script below the root is read from the root and from the
script's folder; links that hold in only one reading are low confidence."""

from __future__ import annotations

from pathlib import Path

from helpers import scan

from mldebt.model import Confidence

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "MLD401-pipeline-jungle"


def _confidences(root: Path) -> dict[tuple[str, int], Confidence]:
    return {(f.location.path, f.location.line): f.confidence for f in scan(root).findings if f.rule == "MLD401"}


def test_sibling_copies_chain_in_their_folder_and_share_a_file_only_from_the_root() -> None:
    got = _confidences(FIXTURES / "positive" / "sibling-experiment-copies")
    assert got == {("exp_xgb/predict.py", 5): Confidence.MEDIUM, ("exp_xgb/prepare.py", 6): Confidence.LOW}


def test_a_chain_across_folders_is_low_confidence(tmp_path: Path) -> None:
    (tmp_path / "stages").mkdir()
    (tmp_path / "stages" / "extract.py").write_text(
        "import pandas as pd\npd.read_csv('raw/a.csv').to_parquet('work/a.parquet')\n"
    )
    (tmp_path / "clean.py").write_text(
        "import pandas as pd\npd.read_parquet('work/a.parquet').to_parquet('work/b.parquet')\n"
    )
    (tmp_path / "train.py").write_text("import pandas as pd\ndf = pd.read_parquet('work/b.parquet')\nprint(df)\n")
    assert _confidences(tmp_path) == {("train.py", 2): Confidence.LOW}
    # a launcher running the stage by its path from the root settles it
    (tmp_path / "run.sh").write_text("python stages/extract.py\npython clean.py\npython train.py\n")
    assert _confidences(tmp_path) == {}  # and run.sh declares the pipeline
    (tmp_path / "run.sh").write_text("python stages/extract.py\n")
    assert _confidences(tmp_path) == {("train.py", 2): Confidence.MEDIUM}
