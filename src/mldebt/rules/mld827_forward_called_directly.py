"""MLD827 forward-called-directly: `module.forward(x)` instead of `module(x)`."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.frameworks import is_method_call
from mldebt.parse.detectors.types import TORCH_MODULE
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class ForwardCalledDirectly(FileRule):
    id = "MLD827"
    name = "forward-called-directly"


# detection ------------------------------------------------------------------------------


def detect(ctx: FileContext) -> Iterator[Smell]:
    if not ctx.imports_any("torch") or ".forward(" not in ctx.text:
        return
    for node in ctx.walk():
        if not (is_method_call(node, "forward") and isinstance(node, ast.Call)):
            continue
        assert isinstance(node.func, ast.Attribute)
        receiver = node.func.value
        if isinstance(receiver, ast.Call) and ctx.call_name(receiver) == "super":
            continue
        if isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
            continue
        if ctx.types.kind_of(receiver) != TORCH_MODULE:
            continue
        text = ctx.source(receiver)
        yield ctx.smell(
            "MLD827",
            node,
            f"`{text}.forward(...)` calls the torch module's `forward` directly: the module's hooks "
            f"(forward pre-hooks, forward hooks) are skipped",
            key=text,
        )
