"""Content-hash cache of per-file facts, stored as JSON.

Keyed on the file's bytes, kind, module and path (never on mtime, so it works in CI), plus
`CACHE_VERSION`, which changes with mldebt, the source of the parse layer and of the file rules' detectors and the shape of the fact
classes. One file per entry at `DIR/v1/ab/abcdef....json`, written atomically: a line with the
HMAC-SHA256 of the rest, then the JSON.

Anyone can compute a content key, so a cache committed to a repository (or copied from another
machine) could hide or inject findings. Entries are therefore authenticated with a key kept
outside the repository: `$MLDEBT_CACHE_KEY` when set (a CI job that restores its cache between
runs passes it as a secret), else a random key created once in `$XDG_CACHE_HOME/mldebt/key`
(`~/.cache/mldebt/key`). An entry whose MAC does not verify is a miss. Without a usable key the
cache neither reads nor writes. `CACHEDIR.TAG` and `.gitignore` are written only into a cache
directory this process created itself.

No pickle: a cache directory committed to a hostile repository must not run code. The codec
below only builds the fact classes of `facts.py` named in an allow-list, checks every value
against the classes' type hints (decoders compiled once from them), and treats anything
unexpected as a miss.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import secrets
import sys
import tempfile
import types
import typing
from pathlib import Path

from mldebt.parse import facts
from mldebt.parse.facts import FileFacts

__all__ = ["CACHE_VERSION", "KEY_ENV", "Cache", "CodecError", "decode_facts", "encode_facts", "user_key"]

KEY_ENV = "MLDEBT_CACHE_KEY"

CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by mldebt.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)
LAYOUT = "v1"

# The classes the codec may build, by tag. Nothing else is ever instantiated from a cache file.
_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        facts.FileFacts,
        facts.Import,
        facts.Function,
        facts.IO,
        facts.ModelEvent,
        facts.Call,
        facts.ConfigDef,
        facts.Span,
        facts.Value,
        facts.Smell,
        facts.Evidence,
        facts.KeyUse,
        facts.LeakEvent,
        facts.LeakSummary,
        facts.Summary,
        facts.Suppression,
    )
}
_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in _CLASSES.values()
}
_HINTS: dict[type, dict[str, object]] = {cls: typing.get_type_hints(cls, vars(facts)) for cls in _CLASSES.values()}


def _package_version(name: str) -> str:
    import importlib.metadata  # only when mldebt has no __version__: the import is not free

    try:
        return importlib.metadata.version(name)
    except Exception:  # not installed (running from a source tree)
        return "0+unknown"


def _mldebt_version() -> str:
    import mldebt

    version = getattr(mldebt, "__version__", None)
    return version if isinstance(version, str) else _package_version("mldebt")


def _schema() -> str:
    """The shape of the fact classes: editing `facts.py` invalidates old entries."""
    text = ";".join(
        f"{cls.__name__}({','.join(f'{k}:{v}' for k, v in _HINTS[cls].items())})" for cls in _CLASSES.values()
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def code_files() -> list[Path]:
    """The source the facts depend on: the parse layer, and the file rule modules whose
    `detect` it runs (with `rules/base.py`, which they import)."""
    from mldebt.parse.detectors import FILE_RULES

    root = Path(__file__).parent
    package = root.parent
    rules = [package / "rules" / "base.py"]
    rules += [package / "rules" / f"{n.rsplit('.', 1)[1]}.py" for n in FILE_RULES if n.startswith("mldebt.rules.")]
    return sorted(root.rglob("*.py")) + sorted(rules)


def _code() -> str:
    """The source the facts depend on (`code_files`): a changed detector must not be served
    stale facts, even between two builds that carry the same version number (a source checkout,
    a dev install)."""
    digest = hashlib.sha256()
    package = Path(__file__).parent.parent
    for path in code_files():
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# the Python version too: `ast` (and so the facts) changes with it, and one cache may serve several
CACHE_VERSION = (
    f"mldebt-cache:{LAYOUT}:mldebt={_mldebt_version()}:facts={_schema()}:code={_code()}"
    f":python={sys.version_info[0]}.{sys.version_info[1]}"
)


class CodecError(ValueError):
    """A cache entry that is not a faithful encoding of facts."""


# ---------------------------------------------------------------------------------------------
# Codec. The fact classes' type hints are the schema: a dataclass is a JSON list of its fields
# in order (no names, no tags), a tuple a list, a frozenset a sorted list. Decoders are compiled
# once per type hint, so decoding checks every value's type at the speed of a few comparisons;
# CACHE_VERSION carries a hash of the schema, so a reordered field can never be misread.

_Decoder = typing.Callable[[object], object]
_Encoder = typing.Callable[[object], object]


def _fail(what: str) -> typing.NoReturn:
    raise CodecError(what)


def _scalar(kind: type) -> _Decoder:
    def decode(v: object) -> object:
        if type(v) is not kind:
            _fail(f"expected {kind.__name__}")
        return v

    return decode


def _compile(hint: object, cache: dict[object, _Decoder]) -> _Decoder:
    if hint in cache:
        return cache[hint]
    if hint is type(None):

        def dec_none(v: object) -> object:
            if v is not None:
                _fail("expected null")
            return None

        cache[hint] = dec_none
        return dec_none
    if hint in (str, int, bool, float):
        dec = _scalar(hint)
        cache[hint] = dec
        return dec
    if isinstance(hint, type) and hint in _FIELDS:
        cls = hint
        names = _FIELDS[cls]
        n = len(names)
        field_decoders: list[_Decoder] = []

        def dec_class(v: object) -> object:
            if type(v) is not list or len(v) != n:
                _fail(f"bad {cls.__name__}")
            return cls(*[d(x) for d, x in zip(field_decoders, v, strict=False)])

        cache[hint] = dec_class  # before compiling fields: Value holds Values
        field_decoders.extend(_compile(_HINTS[cls][name], cache) for name in names)
        return dec_class
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        options = [_compile(a, cache) for a in args]

        def dec_union(v: object) -> object:
            for option in options:
                try:
                    return option(v)
                except CodecError:
                    continue
            _fail("no union member matches")

        cache[hint] = dec_union
        return dec_union
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _compile(args[0], cache)

        def dec_tuple(v: object) -> object:
            if type(v) is not list:
                _fail("expected a list")
            return tuple([item(x) for x in v])

        cache[hint] = dec_tuple
        return dec_tuple
    if origin is tuple:
        items = [_compile(a, cache) for a in args]

        def dec_fixed(v: object) -> object:
            if type(v) is not list or len(v) != len(items):
                _fail("bad fixed tuple")
            return tuple([d(x) for d, x in zip(items, v, strict=False)])

        cache[hint] = dec_fixed
        return dec_fixed
    if origin is frozenset and args == (str,):

        def dec_strings(v: object) -> object:
            if type(v) is not list or not all(type(x) is str for x in v):
                _fail("expected a list of strings")
            return frozenset(v)

        cache[hint] = dec_strings
        return dec_strings
    raise TypeError(f"the cache codec cannot handle {hint!r}")


def _setters(cls: type) -> list[object] | None:
    """The slot descriptors' setters of a frozen slotted fact class, in field order, or None
    when an instance must be built through its `__init__` (it has a `__post_init__`, or no slots)."""
    if "__post_init__" in vars(cls):
        return None
    out: list[object] = []
    for name in _FIELDS[cls]:
        slot = vars(cls).get(name)
        if not isinstance(slot, types.MemberDescriptorType):
            return None
        out.append(slot.__set__)
    return out


def _build(cls: type, values: list[str], target: str, env: dict[str, object]) -> str:
    """Source that sets `target` to an instance of `cls` with the field `values` (expressions,
    in field order): `object.__new__` and each slot set directly, twice as fast as a frozen
    dataclass's `__init__` (one `object.__setattr__` call per field), and the same object:
    every field is given, so defaults never apply."""
    setters = _setters(cls)
    if setters is None:
        return f"{target} = _cls_{cls.__name__}({', '.join(values)})"
    parts = [f"{target} = _new(_cls_{cls.__name__})"]
    for i, (setter, value) in enumerate(zip(setters, values, strict=True)):
        env[f"_set_{cls.__name__}_{i}"] = setter
        parts.append(f"_set_{cls.__name__}_{i}({target}, {value})")
    return "; ".join(parts)


def _generate(generic: dict[object, _Decoder]) -> _Decoder:
    """Decoders as straight-line Python, one function per fact class, generated from the type
    hints (never from cache data): scalar fields are checked inline and nested classes called
    directly, about three times faster than composing the closures above. Field types they do
    not special-case use those closures, so both accept and reject exactly the same input."""
    names = {cls: f"_dec_{cls.__name__}" for cls in _FIELDS}
    env: dict[str, object] = {"_fail": _fail, "tuple": tuple, "frozenset": frozenset, "list": list}
    env["_new"] = object.__new__
    lines: list[str] = []
    made: dict[object, str] = {}  # nested field types -> generated decoder's name
    for cls, fields in _FIELDS.items():
        env[f"_cls_{cls.__name__}"] = cls
        args = ", ".join(f"f{i}" for i in range(len(fields)))
        lines.append(f"def {names[cls]}(v):")
        lines.append(f"    if type(v) is not list or len(v) != {len(fields)}:")
        lines.append(f"        _fail('bad {cls.__name__}')")
        lines.append(f"    {args}, = v")
        if cls is facts.Value:  # the commonest value by far: share one instance
            env["_UNKNOWN"] = facts.UNKNOWN
            lines.append("    if f0 == 'unknown' and f1 == '' and f2 == [] and f3 == []: return _UNKNOWN")
        for i, field in enumerate(fields):
            hint = _HINTS[cls][field]
            var = f"f{i}"
            origin, hint_args = typing.get_origin(hint), typing.get_args(hint)
            if hint in (str, int, bool, float):
                lines.append(f"    if type({var}) is not {hint.__name__}: _fail('expected {hint.__name__}')")
            elif cls is FileFacts and field == "key_uses":  # mentions in their short form (see _encode)
                env["_key_uses"] = _key_uses_decoder(names[facts.KeyUse])
                lines.append(f"    {var} = _key_uses(env, {var}, f0)")
            elif hint is facts.Span:  # the commonest class: checked inline, no call
                lines.append(f"    if type({var}) is not list or len({var}) != 4: _fail('bad Span')")
                lines.append(f"    s0, s1, s2, s3 = {var}")
                lines.append(
                    "    if type(s0) is not int or type(s1) is not int or type(s2) is not int or type(s3) is not int:"
                )
                lines.append("        _fail('expected int')")
                lines.append(f"    {_build(facts.Span, ['s0', 's1', 's2', 's3'], var, env)}")
            elif hint in names:
                lines.append(f"    {var} = {names[hint]}({var})")
            elif origin is tuple and len(hint_args) == 2 and hint_args[1] is Ellipsis and hint_args[0] in names:
                item = names[hint_args[0]]
                lines.append(f"    if type({var}) is not list: _fail('expected a list')")
                lines.append(f"    {var} = tuple([{item}(x) for x in {var}]) if {var} else ()")
            elif origin is tuple and hint_args == (str, Ellipsis):
                lines.append(f"    if type({var}) is not list: _fail('expected a list')")
                lines.append(f"    for x in {var}:")
                lines.append("        if type(x) is not str: _fail('expected str')")
                lines.append(f"    {var} = tuple({var})")
            else:
                lines.append(f"    {var} = {_generate_hint(hint, names, env, generic, made)}({var})")
        lines.append(f"    {_build(cls, [f'f{i}' for i in range(len(fields))], 'o', env)}")
        lines.append("    return o")
    for name in made.values():
        source = env.pop(f"{name}_source", None)
        if isinstance(source, str):
            lines.append(source)
    env["env"] = env
    exec(compile("\n".join(lines), "<mldebt.parse.cache decoders>", "exec"), env)
    return typing.cast(_Decoder, env[names[FileFacts]])


# A file's mentions (KeyUse source "mention": every attribute, keyword and identifier-like
# string it names, see parse/detectors/config_keys.py) are most of its key uses: 262,687 of
# 265,380 on transformers, 41 of its 68 MB of facts. They differ only in name and span, so an
# entry stores each as [name, line, column, end_line, end_column] (a full KeyUse is a list of
# 7), and decoding builds the same KeyUse with the file's path as its `file`.


def _is_mention(use: facts.KeyUse, path: str) -> bool:
    return (
        use.source == "mention"
        and use.op == "read"
        and len(use.key) == 1
        and use.file == facts.Value("str", path)
        and use.function == ""
        and use.default == facts.UNKNOWN
    )


def _key_uses_decoder(full: str) -> typing.Callable[[dict[str, object], object, str], object]:
    """A file's key uses, mentions in their short form; a mention is built as `_build` builds
    (one per name in the file and 99% of all key uses, so built here without a call per field)."""
    key_use, span, value, unknown = facts.KeyUse, facts.Span, facts.Value, facts.UNKNOWN
    set_use, set_span = _setters(key_use), _setters(span)
    if set_use is None or set_span is None:  # a fact class gained a __post_init__: build as usual

        def build(name: str, a: int, b: int, c: int, d: int, file: facts.Value) -> object:
            return key_use("mention", "read", (name,), span(a, b, c, d), file)

    else:
        new = object.__new__
        s0, s1, s2, s3 = typing.cast(list[typing.Callable[[object, object], None]], set_span)
        u0, u1, u2, u3, u4, u5, u6 = typing.cast(list[typing.Callable[[object, object], None]], set_use)

        def build(name: str, a: int, b: int, c: int, d: int, file: facts.Value) -> object:
            where = new(span)
            s0(where, a)
            s1(where, b)
            s2(where, c)
            s3(where, d)
            use = new(key_use)
            u0(use, "mention")
            u1(use, "read")
            u2(use, (name,))
            u3(use, where)
            u4(use, file)
            u5(use, "")
            u6(use, unknown)
            return use

    def decode(env: dict[str, object], v: object, path: str) -> object:
        if type(v) is not list:
            _fail("expected a list")
        decode_full = typing.cast(_Decoder, env[full])
        out: list[object] = []
        file = None
        for x in v:
            if type(x) is list and len(x) == 5:
                name, a, b, c, d = x
                if type(name) is not str or type(a) is not int or type(b) is not int:
                    _fail("bad mention")
                if type(c) is not int or type(d) is not int:
                    _fail("bad mention")
                if file is None:
                    file = value("str", path)
                out.append(build(name, a, b, c, d, file))
            else:
                out.append(decode_full(x))
        return tuple(out)

    return decode


def _generate_hint(
    hint: object,
    names: dict[type, str],
    env: dict[str, object],
    generic: dict[object, _Decoder],
    made: dict[object, str],
) -> str:
    """The name of a generated decoder for a nested field type (`tuple[tuple[str, Value], ...]`,
    `frozenset[str]`, `tuple[frozenset[str], ...]` ...): straight-line code, no closures. Unions
    keep the closure of `_compile` (they are rare: `str | None`, `int | None`)."""
    if hint in names:
        return names[hint]
    if hint in made:
        return made[hint]
    name = made[hint] = f"_h{len(made)}"
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    body: list[str]
    if hint in (str, int, bool, float):
        kind = typing.cast(type, hint).__name__
        body = [f"    if type(v) is not {kind}: _fail('expected {kind}')", "    return v"]
    elif origin is frozenset and args == (str,):
        body = [
            "    if type(v) is not list: _fail('expected a list of strings')",
            "    for x in v:",
            "        if type(x) is not str: _fail('expected a list of strings')",
            "    return frozenset(v)",
        ]
    elif origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _generate_hint(args[0], names, env, generic, made)
        body = [
            "    if type(v) is not list: _fail('expected a list')",
            f"    return tuple([{item}(x) for x in v]) if v else ()",
        ]
    elif origin is tuple and args:
        items = [_generate_hint(a, names, env, generic, made) for a in args]
        xs = ", ".join(f"x{i}" for i in range(len(items)))
        body = [
            f"    if type(v) is not list or len(v) != {len(items)}: _fail('bad fixed tuple')",
            f"    {xs}, = v",
            f"    return ({', '.join(f'{d}(x{i})' for i, d in enumerate(items))},)",
        ]
    else:
        env[name] = _compile(hint, generic)
        return name
    env[f"{name}_source"] = "\n".join([f"def {name}(v):", *body])
    return name


_DECODERS: list[_Decoder] = []  # generated on the first decode: a run answered whole from its stored report has none


def _decoder() -> _Decoder:
    if not _DECODERS:
        _DECODERS.append(_generate({}))
    return _DECODERS[0]


def _encode(obj: object) -> object:
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, tuple):
        return [_encode(x) for x in obj]
    if isinstance(obj, frozenset):
        return sorted(obj)  # only frozenset[str] in the facts
    cls = type(obj)
    if cls is FileFacts:
        assert isinstance(obj, FileFacts)
        path = obj.path
        return [
            [
                [u.key[0], u.span.line, u.span.column, u.span.end_line, u.span.end_column]
                if _is_mention(u, path)
                else _encode(u)
                for u in obj.key_uses
            ]
            if name == "key_uses"
            else _encode(getattr(obj, name))
            for name in _FIELDS[cls]
        ]
    if cls in _FIELDS:
        return [_encode(getattr(obj, name)) for name in _FIELDS[cls]]
    raise CodecError(f"cannot encode {cls.__name__}")


def _decode_facts(obj: object) -> FileFacts:
    try:
        result = _decoder()(obj)
    except CodecError:
        raise
    except Exception as exc:  # RecursionError, a constructor rejecting a value...
        raise CodecError(f"{type(exc).__name__}: {exc}") from None
    assert isinstance(result, FileFacts)
    return result


def encode_facts(file_facts: FileFacts) -> str:
    """Facts as compact, deterministic JSON."""
    return json.dumps(_encode(file_facts), separators=(",", ":"), ensure_ascii=False)


def decode_facts(text: str | bytes) -> FileFacts:
    """Facts back from `encode_facts`; raises CodecError for anything else."""
    try:
        obj = json.loads(text)
    except Exception as exc:  # malformed JSON, absurd nesting...
        raise CodecError(f"{type(exc).__name__}: {exc}") from None
    return _decode_facts(obj)


# ---------------------------------------------------------------------------------------------


def _user_key_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "mldebt" / "key"


def user_key() -> bytes | None:
    """The key that authenticates cache entries, or None when none can be had.

    `$MLDEBT_CACHE_KEY` when set; else the user's key file, created (mode 0600, 32 random
    bytes) on first use. Two processes racing to create it agree: the first link wins.
    """
    env = os.environ.get(KEY_ENV)
    if env:
        return hashlib.sha256(env.encode("utf-8", "surrogateescape")).digest()
    path = _user_key_file()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        data = b""
    except OSError:
        return None
    if len(data) >= 32:
        return hashlib.sha256(data).digest()
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_hex(32).encode())
        try:
            os.link(tmp, path)  # atomic, never replaces a key another process made
        except FileExistsError:
            pass
        data = path.read_bytes()
    except OSError:
        return None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return hashlib.sha256(data).digest() if len(data) >= 32 else None


def read_signed(path: Path, secret: bytes) -> bytes | None:
    """The payload of an entry written by `write_signed` with `secret`, or None: missing,
    unreadable, or its MAC does not verify (committed, copied from elsewhere, or edited)."""
    try:
        mac, _, payload = path.read_bytes().partition(b"\n")
    except OSError:
        return None
    expected = hmac.new(secret, payload, hashlib.sha256).hexdigest().encode()
    return payload if hmac.compare_digest(mac, expected) else None


def write_signed(path: Path, payload: bytes, secret: bytes) -> None:
    """Write `payload` after a line with its HMAC, atomically (temporary file, then rename).

    Never through a link planted in the cache directory (the entry's folder or the one above);
    a cache that cannot be written (disk full, read-only) is simply not used.
    """
    mac = hmac.new(secret, payload, hashlib.sha256).hexdigest().encode()
    tmp = None
    try:
        if path.parent.is_symlink() or path.parent.parent.is_symlink():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "wb") as fh:
            fh.write(mac + b"\n" + payload)
        os.replace(tmp, path)
        tmp = None
    except (OSError, ValueError):
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


_UNSET = object()
_HEX = frozenset("0123456789abcdef")


class Cache:
    """Facts by content key. `Cache(None)` is a cache that never hits and never stores.

    `secret` authenticates entries (default: `user_key()`); with None the cache is off.
    """

    def __init__(self, dir: Path | None, secret: bytes | object | None = _UNSET) -> None:
        self.dir = Path(dir) if dir is not None else None
        self._secret = secret
        self._ready = False  # directory exists (tags written if we created it)
        self._writable = True

    @property
    def enabled(self) -> bool:
        return self.dir is not None and self._key() is not None

    def _key(self) -> bytes | None:
        if self._secret is _UNSET:
            self._secret = user_key() if self.dir is not None else None
        return self._secret if isinstance(self._secret, bytes) else None

    @staticmethod
    def key(data: bytes, kind: str, module: str = "", path: str = "") -> str:
        """sha256 over the cache version, the file's kind, module, path and bytes.

        The path is part of the key because facts carry it and extractors may resolve relative
        paths against it: identical files at two paths get two entries.
        """
        h = hashlib.sha256()
        for text in (CACHE_VERSION, kind, module, path):
            part = text.encode("utf-8", "surrogateescape")  # paths may hold undecodable bytes
            h.update(len(part).to_bytes(8, "big"))
            h.update(part)
        h.update(data)
        return h.hexdigest()

    def _entry(self, key: str) -> Path | None:
        if self.dir is None or len(key) != 64 or not _HEX.issuperset(key):
            return None
        return self.dir / LAYOUT / key[:2] / f"{key}.json"

    def has(self, key: str) -> bool:
        """Is there an entry for `key` (not yet read, so not yet authenticated)?"""
        entry = self._entry(key)
        return entry is not None and entry.is_file()

    def get(self, key: str) -> FileFacts | None:
        entry = self._entry(key)
        secret = self._key() if entry is not None else None
        if entry is None or secret is None:
            return None
        payload = read_signed(entry, secret)
        if payload is None:
            return None
        try:
            raw = json.loads(payload)
            if not isinstance(raw, dict) or raw.get("key") != key or raw.get("version") != CACHE_VERSION:
                return None
            return _decode_facts(raw.get("facts"))
        except Exception:  # missing, unreadable, tampered: a miss
            return None

    def put(self, key: str, file_facts: FileFacts) -> None:
        entry = self._entry(key)
        secret = self._key() if entry is not None else None
        if entry is None or secret is None or not self._prepare():
            return
        assert self.dir is not None
        payload = json.dumps(
            {"version": CACHE_VERSION, "key": key, "facts": _encode(file_facts)},
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode("utf-8", "surrogateescape")
        write_signed(entry, payload, secret)

    def _prepare(self) -> bool:
        """Make sure the directory exists; False when it cannot be used.

        `CACHEDIR.TAG` and `.gitignore` go only into a directory created here: written into an
        existing directory (`cache-dir = ".."`, a planted link) they would hide files from
        backups and from git.
        """
        if self._ready:
            return True
        if self.dir is None or not self._writable:
            return False
        try:
            if self.dir.is_symlink():
                raise OSError("cache directory is a symlink")
            self.dir.parent.mkdir(parents=True, exist_ok=True)
            try:
                self.dir.mkdir()
                created = True
            except FileExistsError:
                created = False
                if not self.dir.is_dir() or self.dir.is_symlink():
                    raise OSError("not a directory") from None
            if created:
                for name, text in (("CACHEDIR.TAG", CACHEDIR_TAG), (".gitignore", "*\n")):
                    fd = os.open(self.dir / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                    with os.fdopen(fd, "w", encoding="utf-8") as fh:
                        fh.write(text)
        except OSError:
            self._writable = False  # unwritable: go on without storing (reads still work)
            return False
        self._ready = True
        return True
