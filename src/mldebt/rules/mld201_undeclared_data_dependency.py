"""MLD201 undeclared-data-dependency: a data path hard-coded in code, declared nowhere."""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterator

from mldebt.graph.build import Built
from mldebt.graph.facade import Site
from mldebt.graph.project import Resolved, normalise
from mldebt.model import Confidence, Resolution
from mldebt.parse.configs import kedro_conf_kind
from mldebt.parse.facts import ConfigDef
from mldebt.rules.base import Hit, Rule, is_test_path

# Absolute paths that name the machine, not the project's data.
_SYSTEM = ("/dev/", "/proc/", "/sys/", "/etc/", "/usr/", "/bin/", "/lib/", "/tmp/", "/var/")
# Mount points of hosted platforms: reading from them is the platform's convention.
_PLATFORM = ("/kaggle/", "/content/", "/opt/ml/", "/dbfs/", "/databricks/", "/workspace/", "/gcs/")
# Credentials mounted into a container or a job (`/secret/kaggle/KAGGLE_KEY`, `/run/secrets/db`):
# a secret read from its mount is configuration of the deployment, not a data dependency.
_SECRET = re.compile(r"/(?:[\w.]*[-_])?secrets?(?:[-_][\w.]*)?/", re.I)
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
        mounts = _mounts(built)
        declarations = _Declarations(built)
        seen: set[tuple[Site, str]] = set()
        for site in built.io_sites:
            fact = site.fact
            if fact.op != "read" or fact.format or is_test_path(site.path):
                continue
            for r in site.resolved:
                path = r.artifact
                where = site.actor_site(r)
                if "*" in path or "://" in path or is_test_path(site.actor(r)) or (where, path) in seen:
                    continue
                if is_placeholder(path):
                    continue  # `/path/to/your/data`: documentation telling the user what to pass
                origin = _origin(r)
                if origin is None and _cli_default(r) is None:
                    continue  # declared in a config file, or not known from the code
                if _is_absolute(path):
                    if _PERSONAL.match(path):
                        smell = "a path on one person's machine; nobody else can run this"
                    elif (
                        not path.startswith(_SYSTEM + _PLATFORM)
                        and not _SECRET.search(path)
                        and not _mounted(path, site.actor(r), mounts)
                    ):
                        smell = "an absolute path; the data dependency is tied to one machine"
                    else:
                        continue
                    seen.add((where, path))
                    cli = _cli_default(r)
                    if cli is not None:  # declared as an option, but its default only works on one machine
                        option, default_site = cli
                        yield Hit(
                            where,
                            f"reads `{path}`, the default of `{option}`: {smell} unless the option is given",
                            related=(default_site,),
                            key=f"{fact.function}|{path}",
                            confidence=Confidence.MEDIUM,
                        )
                        continue
                    yield Hit(
                        where,
                        f"reads `{path}`{origin}, {smell}, and it is declared nowhere",
                        key=f"{fact.function}|{path}",
                        confidence=Confidence.HIGH,
                    )
                elif (
                    (declaration := declarations.for_file(site.actor(r))) is not None
                    and r.how in (Resolution.EXACT, Resolution.PARAMETER)
                    and _looks_like_data(path)
                    and not _NOT_DATA.search(path)  # `setup.py` reading `requirements.txt`
                    and not _is_declared(path, declared)
                ):
                    seen.add((where, path))
                    decl_path, decl_line = declaration
                    yield Hit(
                        where,
                        f"reads `{path}` through a path written into the code; the project declares its data "
                        f"in `{decl_path}`, which does not list it",
                        related=(Site(decl_path, decl_line, 1, note="where the project declares its data paths"),),
                        key=f"{fact.function}|{path}",
                        confidence=Confidence.MEDIUM,
                    )


def _mounts(built: Built) -> list[tuple[str, str]]:
    """Volumes the project mounts into its pipeline steps' containers (a Kubeflow pipeline's
    `pvolumes`, a manifest's `volumeMounts[].mountPath`), as (folder the declaration covers,
    mount point): a path under one is the step's declared storage, not a path on one machine.
    A declaration covers the folder above its own (`proj/k8s/job.yaml` covers `proj/`); one at
    the root or in a top-level deployment folder (`k8s/`, `deploy/`, `pipelines/`) covers the
    project; one in another top-level folder covers that folder (a sub-project of a monorepo)."""
    out: set[tuple[str, str]] = set()
    for path, f in built.project.files.items():
        points = set(f.mounts)
        points.update(
            d.value.text
            for d in f.config_defs
            if d.key and d.key[-1] in ("mountPath", "mount_path") and d.value.kind == "str"
        )
        folder = posixpath.dirname(path)
        parent = posixpath.dirname(folder)
        if not folder or (not parent and _DEPLOY_FOLDER.match(folder)):
            scope = ""  # at the root, or in the project's `k8s/`, `deploy/`, `pipelines/` folder
        else:
            scope = (parent or folder) + "/"
        out.update((scope, m.rstrip("/") + "/") for m in points if m.startswith("/") and m.rstrip("/"))
    return sorted(out)


_DEPLOY_FOLDER = re.compile(
    r"(?i)^(k8s|kube|kubernetes|kubeflow|deploy|deployments?|manifests?|helm|charts?|infra|argo|"
    r"workflows?|pipelines?|kfp|ops|mlops|\.github)$"
)


def _mounted(path: str, reader: str, mounts: list[tuple[str, str]]) -> bool:
    return any(reader.startswith(scope) and path.startswith(point) for scope, point in mounts)


def _cli_default(r: Resolved) -> tuple[str, Site] | None:
    """(`--option`, where its default is set) when the path is an argparse default."""
    step = next((v for v in r.via if v.kind == "cli-default"), None)
    if r.how not in (Resolution.CONFIG, Resolution.PARAMETER) or step is None:
        return None
    option = f"--{step.name}"
    return option, Site(step.path, step.line or 1, 1, note=f"the default of `{option}`")


def _origin(r: Resolved) -> str | None:
    """Where in the code the path is written, as a phrase for the message; None if not in code."""
    if r.how is Resolution.EXACT:
        return ""
    if r.how is Resolution.PARAMETER and r.passed_literal:
        return ""  # the literal is at the call site, where the finding is placed
    first = r.via[0] if r.via else None
    if r.how is Resolution.IMPORTED and first is not None and first.kind == "constant":
        return f" (the constant `{first.name}` of `{first.path}`)"
    if r.how is Resolution.PARAMETER and first is not None and first.kind == "param-default":
        return f" (the default of `{first.name}`)"
    return None


# Template placeholders in examples and docstrings: a path the user is told to fill in.
_PLACEHOLDER_PATH = re.compile(
    r"<[^<>/]*>|(?:^|[/_.-])(?:path[/_-]?to|your)(?:[/_.-]|$)"
    r"|(?:^|/)(?:x{3,}|\.{3}|change[_-]?me|placeholder|todo|fixme|some[_-]?(?:dir|path|file|folder))(?:[/.]|$)",
    re.I,
)


def is_placeholder(path: str) -> bool:
    """`/PATH/TO/YOUR/DATA`, `<path-to-data>/x.csv`, `your_data.csv`, `xxx/train.csv`."""
    return bool(_PLACEHOLDER_PATH.search(path))


def _is_absolute(path: str) -> bool:
    return path.startswith(("/", "~")) or bool(re.match(r"^[A-Za-z]:[\\/]", path))


def _looks_like_data(path: str) -> bool:
    return bool(_DATA_SUFFIX.search(path)) or path.endswith("/")


# Config files of tools, not of the project's data: their file names do not declare data.
_TOOLING = re.compile(
    r"(^|/)(pyproject\.toml|setup\.cfg|\.readthedocs\.ya?ml|\.pre-commit-config\.yaml|\.pre-commit-hooks\.yaml|"
    r"mkdocs\.ya?ml|environment[^/]*\.ya?ml|codecov\.ya?ml|\.codecov\.ya?ml|\.gitlab-ci\.yml|docker-compose[^/]*\.ya?ml|"
    r"package(-lock)?\.json|tsconfig\.json|\.?conda[^/]*\.ya?ml|meta\.yaml|\.?ruff\.toml|mypy\.ini|tox\.ini|"
    r"\.?(jupyter|vscode|devcontainer)[^/]*\.json|renovate\.json|\.?dependabot\.ya?ml|citation\.cff)$"
    r"|(^|/)(\.github|\.gitlab|\.circleci|docs?|\.vscode|\.devcontainer|\.dvc)/",
    re.I,
)
_NOT_DATA = re.compile(r"(?i)(requirements|constraints|license|licence|readme|changelog|notice|authors)[^/]*$")


def _project_values(built: Built) -> Iterator[tuple[str, ConfigDef]]:
    for cfg_path, d in built.project.declared_values():
        if d.value.kind == "str" and not _TOOLING.search(cfg_path) and not _NOT_DATA.search(d.value.text):
            yield cfg_path, d


def _tree_values(built: Built) -> Iterator[tuple[str, ConfigDef]]:
    """Values of the Hydra trees' files, interpolations between keys of the tree resolved."""
    project = built.project
    primaries = {p for ps in project.hydra_primaries.values() for p in ps}
    for primary in sorted(primaries):
        tree = project.hydra_tree(primary)
        for defs in tree.defs.values() if tree is not None else ():
            for t in defs:
                if t.d.value.kind == "str" and not _NOT_DATA.search(t.d.value.text):
                    yield t.file, t.d


_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|\{[^}]*\}")


def _as_glob(text: str) -> str | None:
    """A templated path (`data/${item}.csv`, Kedro's `data/{name}.csv`) as a glob; None if too vague."""
    glob = _PLACEHOLDER.sub("*", text)
    if glob != text and len(re.sub(r"[*/.]", "", glob)) < 3:
        return None  # `${oc.env:DATA}/` would declare everything
    return glob


def _declared_paths(built: Built) -> list[str]:
    out: list[str] = []
    for cfg_path, d in [*_project_values(built), *_tree_values(built)]:
        text = _as_glob(d.value.text)
        if text is not None and ("/" in text or _DATA_SUFFIX.search(text)):
            out.append(normalise(text))
            out.append(normalise(posixpath.join(posixpath.dirname(cfg_path), text)))
    for _, d in built.project.declared:  # DVC: already relative to the root
        text = _as_glob(d.value.text)
        if text is not None:
            out.append(normalise(text))
    return out


def _is_declared(path: str, declared: list[str]) -> bool:
    return any(path == d or fnmatch.fnmatchcase(path, d) or path.startswith(d.rstrip("/") + "/") for d in declared)


class _Declarations:
    """Which config file declares the data a given file reads.

    A config counts for a file when that file, or a project module it imports, reads it (the
    script's own configuration, a `@hydra.main` config tree), or when it is a pipeline's
    parameters (`dvc.yaml`, `params.yaml` and the params files dvc.yaml stages name, Kedro's
    `conf/<env>/catalog*.yml`, `catalog/*.yml`, `parameters*.yml`). Config templates a library
    ships, which users load by paths of their own, declare nothing about the code beside them. Of
    the candidates, the one declaring the most data paths is named.
    """

    def __init__(self, built: Built) -> None:
        self.built = built
        self.counts: dict[str, tuple[int, int]] = {}  # config file -> (data paths declared, first line)
        for cfg_path, d in [*_project_values(built), *_tree_values(built)]:
            text = d.value.text
            if _DATA_SUFFIX.search(text) and not _is_absolute(text) and "://" not in text:
                n, line = self.counts.get(cfg_path, (0, d.span.line))
                self.counts[cfg_path] = (n + 1, min(line, d.span.line))
        params_files = {normalise(d.value.text) for _, d in built.project.declared if d.key[:1] == ("params",)}
        self.pipeline = [
            p
            for p in self.counts
            if p.rsplit("/", 1)[-1] in _PIPELINE_CONFIGS or kedro_conf_kind(p) is not None or p in params_files
        ]
        self.memo: dict[str, tuple[str, int] | None] = {}
        # file that reads a config -> (config, the file on whose behalf it reads it: None when the
        # path is its own, not passed in by a caller)
        self.config_reads: dict[str, list[tuple[str, str | None]]] = {}
        reads = [(s.path, r) for s in built.io_sites if s.fact.op == "read" for r in s.resolved]
        for f in built.project.files.values():  # config reads are no I/O sites: resolved here
            for fact in f.io:
                if fact.op == "read" and fact.kind == "config":
                    reads.extend((f.path, r) for r in built.project.resolve_io(fact, f.path))
        for reader, r in reads:
            if r.artifact in self.counts:
                actor = r.call_site[0] if r.call_site is not None else None
                self.config_reads.setdefault(reader, []).append((r.artifact, actor))

    def for_file(self, path: str) -> tuple[str, int] | None:
        if path not in self.memo:
            candidates = set(self.pipeline) | (self._read_by(path) & set(self.counts))
            best = sorted(candidates, key=lambda p: (-self.counts[p][0], p))
            self.memo[path] = (best[0], self.counts[best[0]][1]) if best else None
        return self.memo[path]

    def _read_by(self, path: str) -> set[str]:
        """Config files read by `path` or by the project modules it imports (two levels), on its
        behalf: a helper's config read counts for `path` when the helper's own code names the
        file or `path` passes it, not when another script passes its own (a library's
        `load_yaml(filename)` that its tests call with a template)."""
        g, project = self.built.graph, self.built.project
        modules = {f"module:{path}"}
        for _ in range(2):
            modules |= {e.target for m in modules if m in g for e in g.out_edges(m, ["imports"])}
        out: set[str] = set()
        for m in modules:
            reader = m.removeprefix("module:")
            for primary in project.hydra_primaries.get(reader, ()):
                tree = project.hydra_tree(primary)
                out |= set(tree.files) if tree is not None else {primary}
            for artifact, actor in self.config_reads.get(reader, ()):
                if actor is None or actor == path or reader == path:
                    out.add(artifact)
        return out


_PIPELINE_CONFIGS = ("dvc.yaml", "params.yaml", "catalog.yml", "catalog.yaml")
