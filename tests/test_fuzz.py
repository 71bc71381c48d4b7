"""Property-based fuzzing, bounded so the suite stays fast (the long run: `python bench/fuzz.py`).

For any input, a scan finishes with a report: no internal error, every format valid UTF-8, JSON
and SARIF parse, no control character reaches text output.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import hypothesmith
from fuzzing import check_project, fixture_files, make_project, mutated
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FILES = fixture_files()
BOUNDED = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def test_fixture_files_are_found() -> None:
    assert len(FILES) > 100
    assert {p.suffix for p in FILES} >= {".py", ".ipynb", ".yaml", ".json", ".toml"}


@BOUNDED
@given(mutated(FILES))
def test_mutated_fixture_projects_scan_cleanly(case: tuple[Path, bytes]) -> None:
    original, data = case
    with tempfile.TemporaryDirectory() as tmp:
        check_project(make_project(Path(tmp) / "p", original, data))


@BOUNDED
@given(hypothesmith.from_grammar())
def test_generated_python_scans_cleanly(source: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pyproject.toml").write_text("")
        (root / "gen.py").write_text(source, encoding="utf-8", errors="surrogateescape")
        check_project(root)


@BOUNDED
@given(st.sampled_from(FILES), st.sampled_from([b"\0", b"\x1b]0;t\x07", b"\xff\xfe", b"\r\n" * 3]))
def test_a_hostile_byte_at_the_start_of_any_fixture_file(original: Path, prefix: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        check_project(make_project(Path(tmp) / "p", original, prefix + original.read_bytes()))
