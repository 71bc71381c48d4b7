"""MLD505 exec-as-config: a file's contents executed as configuration (`exec(open(p).read())`,
`runpy.run_path`, `importlib` from a path chosen at run time)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext, function_of
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class ExecAsConfig(FileRule):
    id = "MLD505"
    name = "exec-as-config"


# detection ------------------------------------------------------------------------------

_PACKAGING = frozenset({"setup.py", "conf.py", "noxfile.py", "fabfile.py"})
_PACKAGE_META = re.compile(r"version|about", re.I)
_CONFIG_WORDS = re.compile(r"conf|cfg|setting|param|hparam|hyper|option", re.I)


def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD505: `exec(open("config.py").read())`, `runpy.run_path(cfg)`, `importlib` from a runtime path."""
    text = ctx.text
    if "exec" not in text and "eval" not in text and "runpy" not in text and "importlib" not in text:
        return
    if ctx.rel.rsplit("/", 1)[-1] in _PACKAGING:
        return  # setup.py reading `__version__`, Sphinx's conf.py: packaging, not ML configuration
    read_names: dict[str, ast.AST] = {}  # names bound to file contents
    for node in ctx.walk():
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and _reads_file(ctx, node.value)
        ):
            read_names[node.targets[0].id] = node
    for node in ctx.walk():
        if not isinstance(node, ast.Call):
            continue
        name = ctx.call_name(node)
        if name in ("exec", "eval", "execfile") and node.args:
            arg = node.args[0]
            content = _reads_file(ctx, arg) or (isinstance(arg, ast.Name) and arg.id in read_names)
            if (name == "execfile" or content) and not _PACKAGE_META.search(ctx.source(node)):
                yield ctx.smell(
                    "MLD505",
                    node,
                    f"`{ctx.source(node)}` runs a file's contents as code to set configuration: any statement "
                    "in it runs, and the settings it makes are invisible to tools and readers",
                    key=ctx.source(node),
                )
        elif name == "runpy.run_path" and node.args:
            used = isinstance(ctx.parent(node), (ast.Assign, ast.Subscript, ast.Call, ast.Attribute))
            if used or _CONFIG_WORDS.search(ctx.source(node.args[0])):
                yield ctx.smell(
                    "MLD505",
                    node,
                    f"`{ctx.source(node)}` executes a Python file and takes its globals as configuration",
                    key=ctx.source(node),
                    confidence="medium",
                )
        elif name in ("importlib.util.spec_from_file_location", "importlib.machinery.SourceFileLoader"):
            path = (
                node.args[1]
                if len(node.args) > 1
                else next((k.value for k in node.keywords if k.arg in ("location", "path")), None)
            )
            if path is None or isinstance(path, ast.Constant):
                continue
            if _CONFIG_WORDS.search(ctx.source(node)) or _CONFIG_WORDS.search(function_of(ctx, node)):
                yield ctx.smell(
                    "MLD505",
                    node,
                    f"`{ctx.source(node)}` imports a Python file chosen at run time as configuration",
                    key=ctx.source(node),
                    confidence="medium",
                )


def _reads_file(ctx: FileContext, node: ast.expr) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            if isinstance(sub.func, ast.Attribute) and sub.func.attr in ("read", "read_text"):
                return True
            if ctx.call_name(sub) == "open":
                return True
    return False
