"""MLD409 scratch-code-import: production code importing notebooks or scratch modules."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext, prototype_scope
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class ScratchCodeImport(FileRule):
    id = "MLD409"
    name = "scratch-code-import"


# detection ------------------------------------------------------------------------------


_NOTEBOOK_IMPORTERS = frozenset({"import_ipynb", "nbimporter", "ipynb", "nbimport"})
_SCRATCH = re.compile(
    r"^(notebooks|scratch\w*|sandbox\w*|playground\w*|tmp|temp|untitled\w*|drafts?|wip|junk|old|"
    r"copy_of_\w+|\w+_copy\d*|\w+[-_ ]?backup|bak)$",
    re.I,
)


def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD409: production code importing notebooks (`import_ipynb`) or scratch modules."""
    if prototype_scope(ctx):
        return
    for node in ctx.walk():
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
        for module in modules:
            # the top package only: `jinja2.sandbox` or `pkg.utils.notebook` are modules of a library
            top = module.split(".")[0]
            if top in _NOTEBOOK_IMPORTERS:
                what = f"`{module}` is imported to import notebooks as modules"
            elif _SCRATCH.match(top):
                what = f"`{module}` is imported from `{top}`, a notebook or scratch area"
            else:
                continue
            yield ctx.smell(
                "MLD409",
                node,
                f"{what}: this code depends on prototype code that nobody maintains as a library",
                key=f"import|{module}",
            )
            break
