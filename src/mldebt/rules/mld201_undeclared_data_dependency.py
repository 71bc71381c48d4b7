"""MLD201 undeclared-data-dependency: a data path hard-coded in code, declared nowhere."""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterator

from mldebt.graph.build import Built
from mldebt.graph.facade import Site
from mldebt.graph.project import normalise
from mldebt.model import Confidence, Resolution
from mldebt.rules.base import Hit, Rule, is_test_path

# Absolute paths that name the machine, not the project's data.
_SYSTEM = ("/dev/", "/proc/", "/sys/", "/etc/", "/usr/", "/bin/", "/lib/", "/tmp/", "/var/")
# Mount points of hosted platforms: reading from them is the platform's convention.
_PLATFORM = ("/kaggle/", "/content/", "/opt/ml/", "/dbfs/", "/databricks/", "/workspace/", "/gcs/")
_PERSONAL = re.compile(r"^(~|/home/[^/]+|/Users/[^/]+|/root(?=/)|[A-Za-z]:[\\/]Users[\\/][^\\/]+)")
_DATA_SUFFIX = re.compile(
    r"\.(csv|tsv|parquet|pq|json|jsonl|feather|arrow|pkl|pickle|joblib|npy|npz|h5|hdf5|txt|xlsx?|"
    r"avro|orc|tfrecords?|pt|pth|bin|onnx|safetensors|db|sqlite)$",
    re.I,
)


class UndeclaredDataDependency(Rule):
    id = "MLD201"
    name = "undeclared-data-dependency"

    def check(self, built: Built) -> Iterator[Hit]:
        declared = _declared_paths(built)
        declaration = _declaration_file(built)
        for site in built.io_sites:
            fact = site.fact
            if fact.op != "read" or fact.format or is_test_path(site.path):
                continue
            for r in site.resolved:
                literal = r.how is Resolution.EXACT or (r.how is Resolution.PARAMETER and r.passed_literal)
                if not literal or "*" in r.artifact or is_test_path(site.actor(r)):
                    continue
                path = r.artifact
                where = site.actor_site(r)
                if _PERSONAL.match(path):
                    yield Hit(
                        where,
                        f"reads `{path}`, a path on one person's machine written into the code; "
                        "nobody else can run this, and the dependency is declared nowhere",
                        key=f"{fact.function}|{path}",
                        confidence=Confidence.HIGH,
                    )
                elif _is_absolute(path) and not path.startswith(_SYSTEM + _PLATFORM):
                    yield Hit(
                        where,
                        f"reads `{path}`, an absolute path written into the code; the data dependency is "
                        "tied to one machine and declared nowhere",
                        key=f"{fact.function}|{path}",
                        confidence=Confidence.HIGH,
                    )
                elif declaration and not _is_absolute(path) and _looks_like_data(path) and not _is_declared(path, declared):
                    decl_path, decl_line = declaration
                    yield Hit(
                        where,
                        f"reads `{path}` through a path written into the code; the project declares its data "
                        f"in `{decl_path}`, which does not list it",
                        related=(Site(decl_path, decl_line, 1, note="where the project declares its data paths"),),
                        key=f"{fact.function}|{path}",
                        confidence=Confidence.MEDIUM,
                    )


def _is_absolute(path: str) -> bool:
    return path.startswith(("/", "~")) or bool(re.match(r"^[A-Za-z]:[\\/]", path))


def _looks_like_data(path: str) -> bool:
    return bool(_DATA_SUFFIX.search(path)) or path.endswith("/")


def _declared_paths(built: Built) -> list[str]:
    out: list[str] = []
    for cfg_path, d in built.project.declared_values():
        if d.value.kind == "str" and ("/" in d.value.text or _DATA_SUFFIX.search(d.value.text)):
            out.append(normalise(d.value.text))
            out.append(normalise(posixpath.join(posixpath.dirname(cfg_path), d.value.text)))
    return out


def _is_declared(path: str, declared: list[str]) -> bool:
    for d in declared:
        if path == d or fnmatch.fnmatchcase(path, d) or path.startswith(d.rstrip("/") + "/"):
            return True
    return False


def _declaration_file(built: Built) -> tuple[str, int] | None:
    """The config file where the project declares data paths (the one declaring the most)."""
    counts: dict[str, tuple[int, int]] = {}
    for cfg_path, d in built.project.declared_values():
        if d.value.kind == "str" and _DATA_SUFFIX.search(d.value.text) and not _is_absolute(d.value.text):
            n, line = counts.get(cfg_path, (0, d.span.line))
            counts[cfg_path] = (n + 1, min(line, d.span.line))
    if not counts:
        return None
    best = sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0]))[0]
    return best[0], best[1][1]
