"""Symbolic string operations shared by the extractor (one file) and the project's resolver
(templates imported from another module): one reading of `str.format` for both."""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mldebt.parse.facts import UNKNOWN, Value

HOLE = "\x00"  # a part of a string the file does not show


@dataclass
class Text:
    """A value as the file shows it, for detectors that judge its text (MLD202, MLD203, MLD406):
    each part one file cannot know is HOLE in `text`, and `holes` keeps the source text of each
    (`f"{BASE}/{version}/x.csv"`: `{version}` may be the version)."""

    text: str
    holes: list[str]


# kinds of Value that stand for (part of) a string: the resolver can name what they hold
TEXTUAL = frozenset({"str", "num", "join", "ref", "param", "config", "argparse", "env", "format"})


def format_parts(template: str, args: Sequence[Value], kwargs: Mapping[str, Value]) -> tuple[Value, ...] | None:
    """`template.format(*args, **kwargs)` as the parts of a concatenation: literal text, and for
    each replacement field the argument it names (UNKNOWN when it is not given, has a format
    spec or conversion, or indexes into the argument). None for a template `str.format` rejects."""
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return None
    parts: list[Value] = []
    auto = 0
    for literal, name, spec, conversion in fields:
        if literal and parts and parts[-1].kind == "str":  # `{{` comes out as a literal piece of its own
            parts[-1] = Value("str", parts[-1].text + literal)
        elif literal:
            parts.append(Value("str", literal))
        if name is None:
            continue
        arg: Value | None = None
        if name == "":
            arg = args[auto] if auto < len(args) else None
            auto += 1
        elif name.isdigit():
            arg = args[int(name)] if int(name) < len(args) else None
        elif name.isidentifier():
            arg = kwargs.get(name)
        if arg is None or arg.kind not in TEXTUAL or spec or conversion:
            arg = UNKNOWN
        parts.append(arg)
    return tuple(parts)
