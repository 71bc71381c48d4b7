"""MLD403 dead-experimental-codepath: branches no configuration of the repository runs.

Facts come from parse/detectors/antipatterns.py (`Smell`s of rule MLD403 with `data["kind"]`):
"const" (`if False:`) and "const-name" (`if DEBUG:` on a module constant bound once to a false
literal) are findings unless another module imports the module (it may set the constant);
"flag" (`if args.x:` on an option defaulting to false) is a finding only when a launcher of the
project runs the script and nothing sets `--x`: no launcher, no config file key, no `--x` string
in code ("flags-set" facts). That face is off by default (option `flags`): measured on real
projects, such options are mostly features people pass by hand (`--resume`, `--evaluate`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from mldebt.graph.build import Built
from mldebt.graph.project import Project
from mldebt.parse.facts import FileFacts, Smell
from mldebt.rules.base import Hit, Rule, _site, data

RULE = "MLD403"


class DeadExperimentalCodepath(Rule):
    id = RULE
    name = "dead-experimental-codepath"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"flags": (bool, False), "constants": (bool, True)}

    def check(self, built: Built) -> Iterator[Hit]:
        project = built.project
        setting: _Setters | None = None
        seen: set[tuple[str, str]] = set()  # one finding per option and script: its first test
        for path in sorted(project.files):
            facts = project.files[path]
            for smell in facts.smells:
                if smell.rule != RULE:
                    continue
                kind = data(smell, "kind")
                if kind in ("const", "const-name") and self.options["constants"]:
                    if kind == "const-name" and _imported_as_module(project, facts):
                        continue
                    yield _hit(path, smell)
                elif kind == "flag" and self.options["flags"]:
                    setting = setting or _Setters(project)
                    launchers = setting.launchers_of(path)
                    dest = data(smell, "dest")
                    if not launchers or dest in setting.flags or (path, dest) in seen:
                        continue
                    seen.add((path, dest))
                    names = ", ".join(f"`{p}`" for p in launchers[:3]) + (" ..." if len(launchers) > 3 else "")
                    message = (
                        f"{smell.message}, which nothing in the repository sets: no launcher that runs "
                        f"this script ({names}) passes `--{dest.replace('_', '-')}`, and no config file or code does"
                    )
                    yield _hit(path, smell, message)


def _hit(path: str, smell: Smell, message: str = "") -> Hit:
    return Hit(
        site=_site(path, smell.span),
        message=message or smell.message,
        related=tuple(_site(path, e.span, e.note) for e in smell.related),
        key=smell.key,
    )


class _Setters:
    """Who runs which script, and every option name something in the repository sets."""

    def __init__(self, project: Project) -> None:
        self.mentions: dict[str, list[str]] = {}
        self.flags: set[str] = set()
        for path, f in project.files.items():
            if f.kind in ("launcher", "config"):
                for m in f.mentions:
                    self.mentions.setdefault(m, []).append(path)
            for d in f.config_defs:
                if d.source == "cli" and d.key:
                    self.flags.add(d.key[0])
                elif f.kind == "config" and d.key:
                    self.flags.add(d.key[-1])  # configs loaded into the namespace set options by name
            for smell in f.smells:
                if smell.rule == RULE and data(smell, "kind") == "flags-set":
                    self.flags.update(x for x in data(smell, "flags").split(",") if x)

    def launchers_of(self, script: str) -> list[str]:
        """Launchers that run `script` (by path, or by `python -m`, which drops a `src/` layout)."""
        out: set[str] = set()
        for m, paths in self.mentions.items():
            if script == m or script.endswith("/" + m):
                out.update(paths)
        return sorted(out)


def _imported_as_module(project: Project, facts: FileFacts) -> bool:
    """Another file imports this module as a module (`import m`, `from pkg import m`): it may
    assign the constant (`m.DEBUG = True`)."""
    if not facts.module:
        return False
    for other in project.files.values():
        if other.path == facts.path:
            continue
        for imp in other.imports:
            if (imp.name is None and imp.module == facts.module) or (
                imp.name is not None and f"{imp.module}.{imp.name}" == facts.module
            ):
                return True
    return False
