"""Values of secret-looking configuration keys never leave the parse layer.

A repository's config (or an argparse default) may hold a token, a password or an API key;
rules quote config values in messages, and messages go to terminals, CI logs and code scanning.
So the string value of a key whose name looks like a secret (`token`, `secret`, `password`,
`api_key`, `credentials`, ...) is replaced, before facts are cached or seen by any rule, by
`REDACTED`, unless it looks like a path (a path names where a secret is, and rules resolve it). Two redacted values compare equal: a rule never reports a conflict between secrets.
"""

from __future__ import annotations

import re
from dataclasses import replace

from mldebt.parse.facts import ConfigDef, FileFacts, KeyUse, Value

__all__ = ["REDACTED", "is_secret_key", "redact_secrets"]

REDACTED = "<redacted>"
# A path is not the secret (`password_file: /run/secrets/db`), and may be what a rule resolves.
_PATHLIKE = re.compile(r"[/\\]|\.[A-Za-z][A-Za-z0-9]{0,7}$")
# Words inside a key name (split on `_`, `-`, `.`, case changes), or whole-name substrings.
_SECRET_WORDS = frozenset(
    {
        "token",
        "secret",
        "secrets",
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "credential",
        "credentials",
        "key",
        "apikey",
        "auth",
        "cookie",
        "signature",
        "dsn",
    }
)
_SECRET_PARTS = re.compile(r"token(?!s|i[sz]e)|secret|passw|credential|apikey|api_key|private_?key|access_?key", re.I)
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
# `key` alone is also a lookup key (`sort_key`, `key_column`, `primary_key`): these are not secrets.
_NOT_SECRET = re.compile(r"(sort|primary|foreign|join|group|merge|index|partition|cache|hash|dict|map)_?key", re.I)


def is_secret_key(key: tuple[str, ...]) -> bool:
    """Whether a key path names a secret (`aws.secret_access_key`, `--hf-token`, `DB_PASSWORD`)."""
    for part in key:
        if _NOT_SECRET.search(part):
            continue
        if _SECRET_PARTS.search(part):
            return True
        if any(w.lower() in _SECRET_WORDS for w in _WORD.findall(part)):
            return True
    return False


def _redacted(value: Value) -> Value:
    if value.kind == "str" and value.text not in ("", REDACTED) and not _PATHLIKE.search(value.text):
        return Value("str", REDACTED)
    if value.kind in ("argparse", "env") and value.parts:  # the default
        parts = (_redacted(value.parts[0]), *value.parts[1:])
        return replace(value, parts=parts) if parts != value.parts else value
    return value


def _def(d: ConfigDef) -> ConfigDef:
    if not is_secret_key(d.key):
        return d
    value = _redacted(d.value)
    return d if value is d.value else replace(d, value=value)


def _use(u: KeyUse) -> KeyUse:
    if not is_secret_key(u.key):
        return u
    default = _redacted(u.default)
    return u if default is u.default else replace(u, default=default)


def redact_secrets(facts: FileFacts) -> FileFacts:
    """`facts` with the literal values of secret-looking keys replaced by `REDACTED`."""
    defs = tuple(_def(d) for d in facts.config_defs)
    uses = tuple(_use(u) for u in facts.key_uses)
    changed = any(a is not b for a, b in zip(defs, facts.config_defs, strict=True)) or any(
        a is not b for a, b in zip(uses, facts.key_uses, strict=True)
    )
    return replace(facts, config_defs=defs, key_uses=uses) if changed else facts
