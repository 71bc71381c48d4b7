"""MLD829 tensorarray-not-used: lists or concatenation grown in a loop inside `@tf.function`."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.frameworks import LOOPS, is_method_call, walk_body
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class TensorarrayNotUsed(FileRule):
    id = "MLD829"
    name = "tensorarray-not-used"


# detection ------------------------------------------------------------------------------


_TF_FUNCTION = frozenset({"tensorflow.function", "tensorflow.compat.v1.function", "tensorflow.compat.v2.function"})
_TF_BUILD = frozenset({"tensorflow.stack", "tensorflow.concat", "tensorflow.convert_to_tensor", "tensorflow.constant"})


def detect(ctx: FileContext) -> Iterator[Smell]:
    if not ctx.imports_any("tensorflow"):
        return
    for fn in ctx.functions:
        decorators = [d.func if isinstance(d, ast.Call) else d for d in fn.decorator_list]
        if not any(ctx.qualify(d) in _TF_FUNCTION for d in decorators):
            continue
        body = list(walk_body(fn.body))
        empty_lists = {
            t.id
            for n in body
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.List) and not n.value.elts
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        stacked = {
            sub.id
            for n in body
            if isinstance(n, ast.Call) and ctx.call_name(n) in _TF_BUILD
            for a in n.args
            for sub in ast.walk(a)
            if isinstance(sub, ast.Name)
        }
        for loop in (n for n in body if isinstance(n, LOOPS)):
            for n in walk_body(loop.body):
                if is_method_call(n, "append") and isinstance(n, ast.Call):
                    assert isinstance(n.func, ast.Attribute)
                    lst = n.func.value
                    if isinstance(lst, ast.Name) and lst.id in empty_lists and lst.id in stacked:
                        yield ctx.smell(
                            "MLD829",
                            n,
                            f"`{ctx.source(n)}` grows a Python list in a loop inside `@tf.function` "
                            f"`{fn.name}` to build a tensor: the loop is unrolled into the graph (or fails "
                            "under AutoGraph)",
                            key=f"{fn.name}|{lst.id}",
                        )
                elif isinstance(n, ast.Assign) and isinstance(n.value, ast.Call):
                    if ctx.call_name(n.value) != "tensorflow.concat" or len(n.targets) != 1:
                        continue
                    target = n.targets[0]
                    if not isinstance(target, ast.Name):
                        continue
                    grown = any(
                        isinstance(s, ast.Name) and s.id == target.id for a in n.value.args for s in ast.walk(a)
                    )
                    if grown:
                        yield ctx.smell(
                            "MLD829",
                            n,
                            f"`{ctx.source(n)}` grows a tensor by concatenation in a loop inside "
                            f"`@tf.function` `{fn.name}`: every iteration copies it",
                            key=f"{fn.name}|{target.id}",
                        )
