from __future__ import annotations

from pathlib import Path

import pytest

from mldebt.config import ConfigError, Settings, glob_match, load_settings

CODES = ("MLD101", "MLD102", "MLD201", "MLD202", "MLD501")
OPTIONS = {"MLD101": {"max-sources": int, "ratio": float, "names": list}}


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def load(tmp_path: Path, toml: str | None, overrides: dict[str, object] | None = None) -> Settings:
    if toml is not None:
        (tmp_path / "pyproject.toml").write_text(toml)
    return load_settings(tmp_path, overrides or {}, CODES, OPTIONS)


def error(tmp_path: Path, toml: str | None, overrides: dict[str, object] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, toml, overrides)
    return str(info.value)


def test_default_selection_leaves_out_opt_in_rules() -> None:
    s = Settings()
    assert s.is_enabled("MLD201") and not s.is_enabled("MLD701", default=False)
    assert Settings(extend_select=("MLD701",)).is_enabled("MLD701", default=False)
    assert Settings(select=("MLD",)).is_enabled("MLD701", default=False)  # explicit select: all
    assert Settings(select=("ALL",)).is_enabled("MLD706", default=False)
    assert not Settings(ignore=("MLD2",)).is_enabled("MLD201")


def test_defaults_without_pyproject(tmp_path: Path) -> None:
    assert load(tmp_path, None) == Settings()
    assert load(tmp_path, "[project]\nname = 'x'\n") == Settings()
    s = Settings()
    assert (s.select, s.ignore, s.max_file_size, s.cache_dir, s.output_format) == (
        None,
        (),
        2_000_000,
        ".mldebt_cache",
        "text",
    )


def test_reads_every_key(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        """
[tool.mldebt]
select = ["MLD1", "MLD2"]
ignore = ["MLD102"]
extend-select = ["MLD501"]
exclude = ["legacy/"]
extend-exclude = ["*_pb2.py"]
max-file-size = 1000
jobs = 4
cache-dir = ".cache/mldebt"
output-format = "json"

[tool.mldebt.per-file-ignores]
"tests/*" = ["MLD2"]
"scratch.py" = ["MLD101", "MLD102"]

[tool.mldebt.rules.MLD101]
max-sources = 4
ratio = 1
names = ["a", "b"]
""",
    )
    assert settings == Settings(
        select=("MLD1", "MLD2"),
        ignore=("MLD102",),
        extend_select=("MLD501",),
        per_file_ignores=(("tests/*", ("MLD2",)), ("scratch.py", ("MLD101", "MLD102"))),
        exclude=("legacy/",),
        extend_exclude=("*_pb2.py",),
        max_file_size=1000,
        jobs=4,
        cache_dir=".cache/mldebt",
        output_format="json",
        rule_options=(("MLD101", (("max-sources", 4), ("ratio", 1), ("names", ("a", "b")))),),
    )
    assert settings.options("MLD101") == {"max-sources": 4, "ratio": 1, "names": ("a", "b")}
    assert settings.options("MLD102") == {}
    hash(settings)  # frozen and hashable, lists frozen to tuples


def test_unknown_key_named_with_suggestion(tmp_path: Path) -> None:
    assert error(tmp_path, "[tool.mldebt]\nselec = ['MLD']\n") == (
        "pyproject.toml: [tool.mldebt] unknown key 'selec' (did you mean 'select'?)"
    )
    assert error(tmp_path, "[tool.mldebt]\nextend_select = ['MLD']\n") == (
        "pyproject.toml: [tool.mldebt] unknown key 'extend_select' (did you mean 'extend-select'?)"
    )
    assert error(tmp_path, "[tool.mldebt]\nfrobnicate = 1\n") == (
        "pyproject.toml: [tool.mldebt] unknown key 'frobnicate'"
    )
    # no-cache is a command-line option only
    assert error(tmp_path, "[tool.mldebt]\nno-cache = true\n") == (
        "pyproject.toml: [tool.mldebt] unknown key 'no-cache'"
    )


def test_message_names_the_file_relative_to_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "pyproject.toml").write_text("[tool.mldebt]\nselec = []\n")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path / "proj", {}, CODES, OPTIONS)
    assert str(info.value).startswith("proj/pyproject.toml: [tool.mldebt] unknown key 'selec'")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("max-file-size = '2MB'", "'max-file-size' must be an integer"),
        ("max-file-size = true", "'max-file-size' must be an integer"),
        ("max-file-size = 0", "'max-file-size' must be a positive integer"),
        ("jobs = 0", "'jobs' must be at least 1"),
        ("select = 'MLD'", "'select' must be a list of strings"),
        ("ignore = [1]", "'ignore' must be a list of strings"),
        ("extend-exclude = 'x'", "'extend-exclude' must be a list of strings"),
        ("cache-dir = 3", "'cache-dir' must be a non-empty string"),
        ("select = ['MLD999']", "'select' has unknown rule code or prefix 'MLD999'"),
        ("ignore = ['E501']", "'ignore' has unknown rule code or prefix 'E501'"),
        ("extend-select = ['']", "'extend-select' has unknown rule code or prefix ''"),
        ("per-file-ignores = ['x']", "'per-file-ignores' must be a table of glob = [codes]"),
        ("per-file-ignores = {'t/*' = 'MLD1'}", "'per-file-ignores' value for 't/*' must be a list of strings"),
        ("per-file-ignores = {'t/*' = ['XYZ']}", "'per-file-ignores' has unknown rule code or prefix 'XYZ'"),
        ("rules = 1", "'rules' must be a table of rule tables"),
        ("rules.MLD5011 = {}", "unknown rule 'MLD5011' in 'rules' (did you mean 'MLD501'?)"),
        ("rules.MLD101 = 3", "'rules.MLD101' must be a table of options"),
        ("rules.MLD101.max-source = 3", "unknown option 'max-source' for rule MLD101 (did you mean 'max-sources'?)"),
        ("rules.MLD102.x = 3", "unknown option 'x' for rule MLD102 (the rule takes no options)"),
        ("rules.MLD101.max-sources = 'many'", "'rules.MLD101.max-sources' must be of type int"),
        ("rules.MLD101.max-sources = 2.5", "'rules.MLD101.max-sources' must be of type int"),
        ("rules.MLD101.ratio = true", "'rules.MLD101.ratio' must be of type float"),
    ],
)
def test_wrong_values(tmp_path: Path, toml: str, message: str) -> None:
    assert error(tmp_path, f"[tool.mldebt]\n{toml}\n") == f"pyproject.toml: [tool.mldebt] {message}"


def test_tool_mldebt_must_be_a_table(tmp_path: Path) -> None:
    assert error(tmp_path, "[tool]\nmldebt = 1\n") == "pyproject.toml: [tool.mldebt] must be a table"


def test_invalid_toml(tmp_path: Path) -> None:
    assert error(tmp_path, "[tool.mldebt\nselect = []\n") == (
        "pyproject.toml: invalid TOML: Expected ']' at the end of a table declaration (at line 1, column 13)"
    )
    assert error(tmp_path, "[tool.mldebt]\nselect = 1\nselect = 2\n") == (
        "pyproject.toml: invalid TOML: Cannot overwrite a value (at line 3, column 11)"
    )


def test_invalid_utf8(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b"[tool.mldebt]\nselect = ['\xff']\n")
    assert error(tmp_path, None) == "pyproject.toml: not valid UTF-8 (byte offset 25)"


def test_prefix_codes_are_valid(tmp_path: Path) -> None:
    settings = load(tmp_path, "[tool.mldebt]\nselect = ['MLD', 'MLD2', 'MLD201', 'ALL']\n")
    assert settings.select == ("MLD", "MLD2", "MLD201", "ALL")


def test_cli_overrides_win(tmp_path: Path) -> None:
    toml = """
[tool.mldebt]
select = ["MLD1"]
extend-select = ["MLD501"]
ignore = ["MLD102"]
extend-exclude = ["a"]
max-file-size = 10
jobs = 2
"""
    settings = load(
        tmp_path,
        toml,
        {"max_file_size": 99, "jobs": None, "no-cache": True, "extend-exclude": ["b"], "output_format": "sarif"},
    )
    assert (settings.max_file_size, settings.jobs, settings.no_cache) == (99, 2, True)
    assert settings.extend_exclude == ("a", "b")
    assert settings.output_format == "sarif"
    assert (settings.select, settings.extend_select, settings.ignore) == (("MLD1",), ("MLD501",), ("MLD102",))

    # extend-select and ignore from the command line add to the file's
    settings = load(tmp_path, toml, {"extend_select": "MLD201", "ignore": ("MLD101",)})
    assert (settings.select, settings.extend_select, settings.ignore) == (
        ("MLD1",),
        ("MLD501", "MLD201"),
        ("MLD102", "MLD101"),
    )

    # select on the command line states the whole selection
    settings = load(tmp_path, toml, {"select": "MLD102,MLD2"})
    assert (settings.select, settings.extend_select, settings.ignore) == (("MLD102", "MLD2"), (), ())
    assert settings.is_enabled("MLD102")


def test_cli_errors_name_the_option(tmp_path: Path) -> None:
    assert error(tmp_path, None, {"select": ["MLD9"]}) == "option --select has unknown rule code or prefix 'MLD9'"
    assert error(tmp_path, None, {"max_file_size": "big"}) == "option --max-file-size must be an integer"
    assert error(tmp_path, None, {"colour": True}) == "unknown key 'colour'"


def test_output_formats_checked_when_given(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, {"output-format": "xml"}, CODES, OPTIONS, output_formats=("text", "json"))
    assert str(info.value) == "option --output-format must be one of json, text, not 'xml'"


def test_is_enabled_most_specific_wins() -> None:
    s = Settings(select=("MLD",), ignore=("MLD2",), extend_select=("MLD201",))
    assert [s.is_enabled(c) for c in CODES] == [True, True, True, False, True]
    s = Settings(select=("MLD2",), ignore=("MLD",))
    assert [s.is_enabled(c) for c in CODES] == [False, False, True, True, False]
    # same specificity: ignore wins
    s = Settings(select=("MLD201",), ignore=("MLD201",))
    assert s.is_enabled("MLD201") is False
    # nothing selected
    assert Settings(select=()).is_enabled("MLD101") is False
    assert Settings(select=("MLD1",)).is_enabled("MLD201") is False
    # ALL is the least specific selector
    s = Settings(select=("ALL",), ignore=("MLD1",))
    assert [s.is_enabled(c) for c in CODES] == [False, False, True, True, True]
    s = Settings(select=("MLD101",), ignore=("ALL",))
    assert [s.is_enabled(c) for c in CODES] == [True, False, False, False, False]


def test_ignored_for_per_file_globs() -> None:
    s = Settings(per_file_ignores=(("tests/*", ("MLD2",)), ("conftest.py", ("MLD101",)), ("*.ipynb", ("ALL",))))
    assert s.ignored_for("tests/test_a.py", "MLD201") is True
    assert s.ignored_for("tests/sub/test_b.py", "MLD202") is True
    assert s.ignored_for("tests/test_a.py", "MLD101") is False
    assert s.ignored_for("src/tests/test_a.py", "MLD201") is False  # anchored at the root
    assert s.ignored_for("pkg/conftest.py", "MLD101") is True  # a bare name matches anywhere
    assert s.ignored_for("pkg/conftest.py", "MLD102") is False
    assert s.ignored_for("nb/x.ipynb", "MLD501") is True
    assert Settings().ignored_for("tests/a.py", "MLD201") is False


@pytest.mark.parametrize(
    ("pattern", "rel", "is_dir", "expected"),
    [
        ("*.egg-info/", "a/x.egg-info", True, True),
        ("*.egg-info/", "a/x.egg-info", False, False),
        ("data", "a/data", False, True),
        ("src/gen", "src/gen", True, True),
        ("src/gen", "lib/src/gen", True, False),
        ("/src/gen", "src/gen", True, True),
        ("./src/gen", "src/gen", True, True),
        ("**/gen", "gen", True, True),
        ("**/gen", "a/b/gen", True, True),
        ("data/*", "data/a/b.csv", False, True),
        ("Data", "data", False, False),
    ],
)
def test_glob_match(pattern: str, rel: str, is_dir: bool, expected: bool) -> None:
    assert glob_match(pattern, rel, is_dir=is_dir) is expected
