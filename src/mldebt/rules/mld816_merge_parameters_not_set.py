"""MLD816 merge-parameters-not-set: `merge` without explicit join keys (and optionally `how`, `validate`)."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.pandas_numpy import const_str, has_kwargs, kw, one_per_line
from mldebt.parse.detectors.types import DATAFRAME
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule, data


class MergeParametersNotSet(FileRule):
    id = "MLD816"
    name = "merge-parameters-not-set"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {
        "require-how": (bool, False),
        "require-validate": (bool, False),
    }

    def accept(self, smell: Smell) -> bool:
        missing = set(data(smell, "missing").split(","))
        return (
            "keys" in missing
            or ("how" in missing and bool(self.options["require-how"]))
            or ("validate" in missing and bool(self.options["require-validate"]))
        )


# detection ------------------------------------------------------------------------------


_KEYS = ("on", "left_on", "right_on", "left_index", "right_index")


@one_per_line
def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD816: `merge` without explicit join keys (and, as options ask, `how` and `validate`)."""
    if not ctx.imports_any("pandas"):
        return
    for node in ctx.walk():
        if not isinstance(node, ast.Call) or has_kwargs(node):
            continue
        name = ctx.call_name(node)
        positional: tuple[str, ...]
        if name == "pandas.merge":
            positional = ("left", "right", "how", "on", "left_on", "right_on", "left_index", "right_index")
            if len(node.args) < 2:
                continue
        elif (
            isinstance(node.func, ast.Attribute)
            and node.func.attr == "merge"
            and ctx.types.kind_of(node.func.value) == DATAFRAME
        ):
            positional = ("right", "how", "on", "left_on", "right_on", "left_index", "right_index")
            if not node.args and kw(node, "right") is None:
                continue
        else:
            continue
        given = {positional[i] for i in range(min(len(node.args), len(positional)))}
        given |= {k.arg for k in node.keywords if k.arg}
        how = kw(node, "how")
        at = positional.index("how")
        how_value = how.value if how is not None else node.args[at] if len(node.args) > at else None
        if how_value is not None and const_str(how_value) == "cross":
            continue  # a cartesian product has no keys
        missing = [p for p in ("how", "validate") if p not in given]
        if not given & set(_KEYS):
            missing.insert(0, "keys")
        if not missing:
            continue
        call = ctx.source(node)
        if "keys" in missing:
            message = (
                f"`{call}` sets no join keys (`on`, `left_on`/`right_on`): it joins on every column the two "
                "frames happen to share"
            )
        else:
            message = f"`{call}` sets no `{'` or `'.join(missing)}`: " + (
                "the join's kind is implicit (inner) and its cardinality unchecked"
                if len(missing) == 2
                else "the join's kind is implicit (inner)"
                if missing == ["how"]
                else "nothing checks the join's cardinality (one-to-one, many-to-one)"
            )
        yield ctx.smell(
            "MLD816",
            node,
            message,
            key=call,
            data=(("missing", ",".join(missing)),),
        )
