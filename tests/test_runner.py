from __future__ import annotations

import faulthandler
import json
import os
import resource
from dataclasses import fields, replace
from pathlib import Path

import pytest

from mldebt.config import Settings
from mldebt.discover import SourceFile, classify
from mldebt.model import FileError
from mldebt.parse import runner
from mldebt.parse.cache import CACHEDIR_TAG, Cache, CodecError, decode_facts, encode_facts
from mldebt.parse.facts import (
    IO,
    Call,
    ConfigDef,
    FileFacts,
    Function,
    Import,
    KeyUse,
    LeakEvent,
    LeakSummary,
    ModelEvent,
    Span,
    Summary,
    Value,
)
from mldebt.parse.runner import CRASHED, FileSkipped, collect_facts

CALLS: list[str] = []  # files the in-process extractor saw


def fake_extract(source: SourceFile, data: bytes, module: str) -> FileFacts:
    """Module level so worker processes can unpickle it."""
    CALLS.append(source.rel)
    text = data.decode("latin-1")
    if "SKIP" in text:
        raise FileSkipped("cannot parse: invalid syntax at line 1")
    if "BOOM" in text:
        raise ValueError("bad thing")
    if "EXIT" in text:
        raise SystemExit(3)
    if "CRASH" in text:
        os._exit(70)
    if "ABORT" in text:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file
        faulthandler.disable()  # pytest's handler would print a traceback
        os.abort()
    return FileFacts(
        path=source.rel,
        kind=source.kind,
        module=module,
        lines=text.count("\n"),
        mentions=(text.splitlines()[0],),
    )


def make(root: Path, files: dict[str, bytes | str]) -> list[SourceFile]:
    out = []
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content)
        else:
            path.write_bytes(content)
        kind = classify(rel)
        assert kind is not None
        out.append(SourceFile(path, rel, kind))
    return out


@pytest.fixture(autouse=True)
def _pool_for_small_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """These files are a few bytes each, standing for files large enough to go to workers."""
    monkeypatch.setattr(runner, "MIN_POOL_BYTES", 0)


def run(root: Path, files: list[SourceFile], **settings: object):  # type: ignore[no-untyped-def]
    CALLS.clear()
    options: dict[str, object] = {"jobs": 1, **settings}
    return collect_facts(files, Settings(**options), fake_extract, root=root)  # type: ignore[arg-type]


def test_little_source_is_parsed_in_process_many_files_or_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    contents = {f"m{i:02d}.py": f"value = {i}\n" for i in range(12)}
    files = make(tmp_path, contents)
    size = sum(len(text) for text in contents.values())
    monkeypatch.setattr(runner, "MIN_POOL_BYTES", size + 1)  # starting workers costs more than they save
    result = run(tmp_path, files, jobs=2, no_cache=True)
    assert sorted(contents) == CALLS
    assert result.facts == tuple(expected(rel, text, rel[:-3]) for rel, text in contents.items())
    monkeypatch.setattr(runner, "MIN_POOL_BYTES", size)
    assert run(tmp_path, files, jobs=2, no_cache=True).facts == result.facts
    assert CALLS == []  # in worker processes


def expected(rel: str, text: str, module: str = "", kind: str = "python") -> FileFacts:
    return FileFacts(path=rel, kind=kind, module=module, lines=text.count("\n"), mentions=(text.splitlines()[0],))


def test_screening_errors(tmp_path: Path) -> None:
    files = make(
        tmp_path,
        {
            "ok.py": "x = 1\n",
            "big.py": "#" * 200 + "\n",
            "bin.py": b"x = 1\n\x00\x01",
            "latin.py": b"x = '\xff'\n",
            "conf.yaml": b"key: \xe9t\xe9\n",
            "cookie.py": b"# -*- coding: latin-1 -*-\nx = '\xe9'\n",
            "badcookie.py": b"# coding: nope\nx = 1\n",
            "empty.py": b"",
            "pkg/__init__.py": b"",
            "skip.py": "SKIP\n",
            "boom.py": "BOOM\n",
            "exit.py": "EXIT\n",
        },
    )
    (tmp_path / "adir.py").mkdir()
    files.append(SourceFile(tmp_path / "adir.py", "adir.py", "python"))
    result = run(tmp_path, files, max_file_size=100)
    assert result.facts == (
        expected("ok.py", "x = 1\n", "ok"),
        expected("cookie.py", "# -*- coding: latin-1 -*-\nx = '\xe9'\n", "cookie"),
        FileFacts(path="empty.py", kind="python", module="empty", lines=0),
        FileFacts(path="pkg/__init__.py", kind="python", module="pkg", lines=0),
    )
    assert result.errors == (
        FileError("adir.py", "cannot read file: Is a directory"),
        FileError("badcookie.py", "bad encoding declaration: unknown encoding: nope"),
        FileError("big.py", "file is larger than the size limit (201 bytes > 100); raise max-file-size to analyse it"),
        FileError("bin.py", "binary file (a NUL byte on line 2), not analysed"),
        FileError("boom.py", "internal error while analysing this file: ValueError: bad thing"),
        FileError("conf.yaml", "not valid UTF-8 (byte 0xe9 at offset 5)"),
        FileError("exit.py", "internal error while analysing this file: SystemExit: 3"),
        FileError("latin.py", "not valid UTF-8 (byte 0xff at offset 5)"),
        FileError("skip.py", "cannot parse: invalid syntax at line 1"),
    )
    assert result.cached == 0
    # the extractor never sees screened-out or empty files
    assert CALLS == ["ok.py", "cookie.py", "skip.py", "boom.py", "exit.py"]


def test_module_names_passed_to_extractor(tmp_path: Path) -> None:
    files = make(tmp_path, {"src/pkg/a.py": "a\n", "nb/x.ipynb": "{}\n", "params.yaml": "a: 1\n", "run.sh": "x\n"})
    result = run(tmp_path, files)
    assert [(f.path, f.module) for f in result.facts] == [
        ("src/pkg/a.py", "pkg.a"),
        ("nb/x.ipynb", "nb.x"),
        ("params.yaml", ""),
        ("run.sh", ""),
    ]


def test_cache_hit_on_second_run(tmp_path: Path) -> None:
    files = make(tmp_path, {"a.py": "a = 1\n", "b.py": "b = 2\n", "c.yaml": "c: 3\n", "skip.py": "SKIP\n"})
    first = run(tmp_path, files)
    assert (first.cached, len(first.facts), CALLS) == (0, 3, ["a.py", "b.py", "c.yaml", "skip.py"])
    second = run(tmp_path, files)
    assert (second.cached, CALLS) == (3, ["skip.py"])
    assert second.facts == first.facts and second.errors == first.errors
    # an edited file misses, the others still hit
    (tmp_path / "b.py").write_text("b = 3\n")
    third = run(tmp_path, files)
    assert (third.cached, CALLS) == (2, ["b.py", "skip.py"])
    assert third.facts[1] == expected("b.py", "b = 3\n", "b")
    # --no-cache: everything extracted again
    fourth = run(tmp_path, files, no_cache=True)
    assert (fourth.cached, CALLS) == (0, ["a.py", "b.py", "c.yaml", "skip.py"])


def test_cache_directory_layout(tmp_path: Path) -> None:
    files = make(tmp_path, {"a.py": "a = 1\n"})
    run(tmp_path, files, cache_dir="out/cache")
    cache_dir = tmp_path / "out" / "cache"
    assert (cache_dir / "CACHEDIR.TAG").read_text() == CACHEDIR_TAG
    assert CACHEDIR_TAG.startswith("Signature: 8a477f597d28d172789f06886806bc55\n# ")
    assert (cache_dir / ".gitignore").read_text() == "*\n"
    key = Cache.key(b"a = 1\n", "python", "a", "a.py")
    entry = cache_dir / "v1" / key[:2] / f"{key}.json"
    assert sorted(p.relative_to(cache_dir).as_posix() for p in cache_dir.rglob("*") if p.is_file()) == [
        ".gitignore",
        "CACHEDIR.TAG",
        entry.relative_to(cache_dir).as_posix(),
    ]
    mac, payload = entry.read_text().split("\n", 1)
    assert len(mac) == 64 and json.loads(payload)["key"] == key


def test_same_content_two_paths_two_entries(tmp_path: Path) -> None:
    files = make(tmp_path, {"a/x.yaml": "k: 1\n", "b/x.yaml": "k: 1\n"})
    run(tmp_path, files)
    second = run(tmp_path, files)
    assert second.cached == 2
    assert [f.path for f in second.facts] == ["a/x.yaml", "b/x.yaml"]


def test_unwritable_cache_dir_works_without_cache(tmp_path: Path) -> None:
    files = make(tmp_path, {"a.py": "a = 1\n"})
    (tmp_path / "blocker").write_text("a file where the cache directory should be")
    for _ in range(2):
        result = run(tmp_path, files, cache_dir="blocker/cache")
        assert (result.cached, result.errors, CALLS) == (0, (), ["a.py"])


def every_fact() -> FileFacts:
    span = Span(1, 1, 1, 10)
    path = Value("join", "/", (Value("ref", "pkg.paths.DATA"), Value("str", "train.csv")))
    return FileFacts(
        path="src/pkg/train.py",
        kind="python",
        module="pkg.train",
        lines=42,
        imports=(Import("pandas", None, "pd", 1), Import("pkg.paths", "DATA", "DATA", 2)),
        constants=(("N", Value("num", "3")), ("CFG", Value("config", "", (Value("str", "p.yaml"),), ("a", "b")))),
        functions=(
            Function("<module>", (), (), span, frozenset(), is_entry=True),
            Function("f", ("x", "y"), (("y", Value("unknown")),), span, frozenset({"param:x", "io:0"})),
        ),
        io=(
            IO("read", "data", "pandas.read_csv", path, "f", span),
            IO(
                "write",
                "model",
                "joblib.dump",
                Value("env", "OUT", (Value("str", "m.pkl"),)),
                "f",
                span,
                frozenset({"model:clf"}),
                "",
            ),
            IO("read", "data", "pandas.read_sql", Value("str", "t"), "f", span, format="table"),
        ),
        models=(
            ModelEvent("fit", "clf", "f", span, "sklearn.svm.SVC", frozenset({"io:0", "pred:m"}), None),
            ModelEvent("save", "clf", "f", span, "joblib.dump", frozenset(), 1),
        ),
        calls=(
            Call(
                "f",
                "pkg.data.load",
                (Value("param", "x"),),
                (("n", Value("num", "1.5")),),
                (frozenset({"param:x"}),),
                (("n", frozenset()),),
                span,
            ),
        ),
        config_defs=(ConfigDef("argparse", ("lr",), Value("argparse", "lr", (Value("num", "0.1"),)), span),),
        mentions=("train.py", "é ünïcode"),
        declares_pipeline=True,
        leak_summaries=(
            LeakSummary(
                "prep",
                ("df",),
                (
                    LeakEvent("fit", span, ("@df",), "sklearn.preprocessing.StandardScaler", "scaler", "sc"),
                    LeakEvent("call", span, (), "pkg.f.split", obj="0", args=(("0", ("@df",)),)),
                ),
                (("fitted:sc",), ("ret:0.1",)),
                (("self.X", ("@df",)),),
            ),
        ),
        summaries=(Summary("score", "output", span, "prob", "`clf.predict_proba`", "pkg.m.g"),),
    )


def test_codec_round_trip() -> None:
    facts = every_fact()
    text = encode_facts(facts)
    assert decode_facts(text) == facts
    assert encode_facts(decode_facts(text)) == text  # deterministic, frozensets sorted
    assert '["io:0","param:x"]' in text  # a frozenset is a sorted list


def test_codec_mentions_short_form() -> None:
    """A file's mentions are stored as [name, span...] and come back as the same KeyUses;
    a mention-like use of another file, or with a function or default, keeps the full form."""
    span = Span(3, 1, 3, 9)
    here = Value("str", "src/pkg/train.py")
    uses = (
        KeyUse("mention", "read", ("lr",), span, here),
        KeyUse("config", "read", ("model", "lr"), span, Value("str", "params.yaml"), "f", Value("num", "0.1")),
        KeyUse("mention", "read", ("depth",), Span(4, 5, 4, 10), here),
        KeyUse("mention", "read", ("x",), span, Value("str", "other.py")),
        KeyUse("mention", "read", ("y",), span, here, "f"),
    )
    facts = replace(every_fact(), key_uses=uses)
    text = encode_facts(facts)
    assert decode_facts(text) == facts
    assert encode_facts(decode_facts(text)) == text
    key_uses_at = [f.name for f in fields(FileFacts)].index("key_uses")
    stored = json.loads(text)[key_uses_at]
    assert stored[0] == ["lr", 3, 1, 3, 9] and stored[2] == ["depth", 4, 5, 4, 10]
    assert [len(u) for u in stored] == [5, 7, 5, 7, 7]
    for bad in (["lr", "3", 1, 3, 9], [1, 3, 1, 3, 9], ["lr", 3, 1, 3, True], ["lr", 3, 1, 3]):
        doc = json.loads(text)
        doc[key_uses_at][0] = bad
        with pytest.raises(CodecError):
            decode_facts(json.dumps(doc))


def _tampered(edit):  # type: ignore[no-untyped-def]
    doc = json.loads(encode_facts(every_fact()))
    edit(doc)
    return json.dumps(doc)


@pytest.mark.parametrize(
    "make",
    [
        lambda: _tampered(lambda d: d.__setitem__(3, "42")),  # lines: a string, not an int
        lambda: _tampered(lambda d: d.__setitem__(3, True)),  # a bool is not an int
        lambda: _tampered(lambda d: d.append(1)),  # an extra field
        lambda: _tampered(lambda d: d[4][0].pop()),  # an Import missing a field
        lambda: _tampered(lambda d: d[4].__setitem__(0, {"$": "subprocess.Popen"})),  # an object
        lambda: _tampered(lambda d: d[6][1].__setitem__(4, ["io:0", 7])),  # a lineage with a number
        lambda: encode_facts(every_fact())[:-5],  # truncated
        lambda: "[" * 100_000 + "]" * 100_000,  # absurd nesting
        lambda: "null",
    ],
)
def test_codec_rejects_tampered_entries(make) -> None:  # type: ignore[no-untyped-def]
    text = make()
    assert text != encode_facts(every_fact())
    with pytest.raises(CodecError):
        decode_facts(text)


def test_tampered_cache_file_is_a_miss(tmp_path: Path) -> None:
    files = make(tmp_path, {"a.py": "a = 1\n", "b.py": "b = 1\n"})
    run(tmp_path, files)
    cache = Cache(tmp_path / ".mldebt_cache")
    key_a = Cache.key(b"a = 1\n", "python", "a", "a.py")
    key_b = Cache.key(b"b = 1\n", "python", "b", "b.py")
    entry_a = tmp_path / ".mldebt_cache" / "v1" / key_a[:2] / f"{key_a}.json"
    entry_b = tmp_path / ".mldebt_cache" / "v1" / key_b[:2] / f"{key_b}.json"
    assert cache.get(key_a) == expected("a.py", "a = 1\n", "a")
    mac, payload = entry_a.read_text().split("\n", 1)
    doc = json.loads(payload)
    doc["facts"][3] = {"$": "os.system"}
    entry_a.write_text(mac + "\n" + json.dumps(doc))
    entry_b.write_text(entry_a.read_text().replace(key_a, key_b))  # valid-looking, wrong key
    entry_b.write_text(entry_b.read_text()[:-1])  # and truncated
    assert cache.get(key_a) is None and cache.get(key_b) is None
    result = run(tmp_path, files)
    assert (result.cached, CALLS) == (0, ["a.py", "b.py"])
    assert result.facts == (expected("a.py", "a = 1\n", "a"), expected("b.py", "b = 1\n", "b"))
    assert run(tmp_path, files).cached == 2  # rewritten


def test_entry_under_another_key_is_a_miss(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    facts = every_fact()
    key_a, key_b = Cache.key(b"a", "python"), Cache.key(b"b", "python")
    cache.put(key_a, facts)
    assert cache.get(key_a) == facts
    src = tmp_path / "c" / "v1" / key_a[:2] / f"{key_a}.json"
    dst = tmp_path / "c" / "v1" / key_b[:2] / f"{key_b}.json"
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(src.read_bytes())
    assert cache.get(key_b) is None
    assert cache.get("../../etc/passwd") is None
    assert Cache(None).get(key_a) is None


def test_key_depends_on_every_part() -> None:
    base = Cache.key(b"x", "python", "m", "m.py")
    assert len(base) == 64
    assert base == Cache.key(b"x", "python", "m", "m.py")
    variants = {
        Cache.key(b"y", "python", "m", "m.py"),
        Cache.key(b"x", "config", "m", "m.py"),
        Cache.key(b"x", "python", "n", "m.py"),
        Cache.key(b"x", "python", "m", "n.py"),
        Cache.key(b"", "python", "mx", "m.py"),
    }
    assert base not in variants and len(variants) == 5


@pytest.mark.parametrize("killer", ["CRASH", "ABORT"])
def test_dead_worker_costs_one_file(tmp_path: Path, killer: str) -> None:
    contents = {f"m{i:02d}.py": f"value = {i}\n" for i in range(12)}
    contents["m05.py"] = f"{killer}\n"
    files = make(tmp_path, contents)
    result = run(tmp_path, files, jobs=2, no_cache=True)
    assert result.errors == (FileError("m05.py", CRASHED),)
    assert CRASHED == "the parser died on this file (its worker process was killed: a crash or out of memory)"
    assert result.facts == tuple(expected(rel, text, rel[:-3]) for rel, text in contents.items() if rel != "m05.py")
    assert CALLS == []  # everything ran in worker processes


def test_pool_results_in_input_order_and_cached(tmp_path: Path) -> None:
    contents = {f"d/f{i:03d}.py": f"v = {i}\n" for i in range(40, 0, -1)}
    contents["d/skip.py"] = "SKIP\n"
    files = make(tmp_path, contents)
    result = run(tmp_path, files, jobs=2)
    assert [f.path for f in result.facts] == [rel for rel in contents if rel != "d/skip.py"]
    assert result.errors == (FileError("d/skip.py", "cannot parse: invalid syntax at line 1"),)
    assert CALLS == []
    again = run(tmp_path, files, jobs=2)
    assert (again.cached, again.facts, again.errors) == (40, result.facts, result.errors)


def test_changed_files_parse_in_workers_while_cached_facts_decode(tmp_path: Path) -> None:
    """With many cached files, the new ones go to workers before decoding starts; the result
    is the one a run without the cache gives, in input order, and their facts are stored."""
    contents = {f"p/m{i:03d}.py": f"value = {i}\n" for i in range(70)}
    files = make(tmp_path, contents)
    run(tmp_path, files)  # all cached
    contents["p/m007.py"] = "value = 'changed'\n"
    contents["p/m050.py"] = "SKIP\n"
    files = make(tmp_path, contents)
    result = run(tmp_path, files, jobs=2)
    assert CALLS == []  # the two new files: parsed in workers
    assert result.cached == 68
    assert result.facts == run(tmp_path, files, no_cache=True).facts
    assert [f.path for f in result.facts] == [rel for rel in contents if rel != "p/m050.py"]
    assert result.errors == (FileError("p/m050.py", "cannot parse: invalid syntax at line 1"),)
    again = run(tmp_path, files, jobs=2)
    assert (again.cached, again.facts, again.errors) == (69, result.facts, result.errors)
    assert CALLS == []  # the file with no facts to cache: parsed again, in a worker


def test_file_skipped_is_the_parse_layer_exception() -> None:
    from mldebt.parse import errors

    assert FileSkipped is errors.FileSkipped
