"""MLD202 unstable-data-dependency: reads of sources that change under the reader (found by
`detect` below): unversioned URLs, `latest` paths, bucket prefixes and globs, SQL
tables with no snapshot, hub datasets and models with no pinned revision.

A source the file does not show, built from a name another module defines, is pending in the
detector; it is judged here on the text the project's resolver gives the read's `Value` (the
extractor's I/O fact at the same place), with the detector's own judges."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from mldebt.model import Confidence, Resolution
from mldebt.parse import apis
from mldebt.parse.apis import PANDAS_FILE_READERS
from mldebt.parse.apis import short_api as _api
from mldebt.parse.detectors.context import FUNCTIONS, FileContext, arg, has_kw, is_test_path, splats
from mldebt.parse.facts import Smell, Value
from mldebt.parse.sql import query_tables
from mldebt.parse.values import HOLE, Text
from mldebt.rules.base import FileRule, Hit, data, site_of, smell_hit

if TYPE_CHECKING:
    from mldebt.graph.build import Built, IOSite
    from mldebt.graph.project import Resolved


class UnstableDataDependency(FileRule):
    id = "MLD202"
    name = "unstable-data-dependency"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {"hub-revisions": (bool, True), "globs": (bool, True)}

    def accept(self, smell: Smell) -> bool:
        kind = data(smell, "kind")
        if kind == "hub" and not self.options["hub-revisions"]:
            return False
        return not (kind == "glob" and not self.options["globs"])

    def check(self, built: Built) -> Iterator[Hit]:
        sites = {(s.path, s.fact.span.line, s.fact.span.column): s for s in built.io_sites if s.fact.op == "read"}
        for path in sorted(built.project.files):
            for smell in built.project.files[path].smells:
                if smell.rule != self.id:
                    continue
                category = data(smell, "pending")
                if not category:
                    if self.accept(smell):
                        yield smell_hit(path, smell)
                    continue
                site = sites.get((path, smell.span.line, smell.span.column))
                hit = self._judge(built, site, category, data(smell, "api")) if site is not None else None
                if hit is not None:
                    yield hit

    def _judge(self, built: Built, site: IOSite, category: str, api: str) -> Hit | None:
        for r in site.resolved:
            origin = _origin(r)
            if origin is None:
                continue
            judged = judge_resolved(category, r.artifact, _written_by(built, site.path, r.artifact), api, origin)
            if judged is None:
                continue
            message, confidence, kind = judged
            if (kind == "hub" and not self.options["hub-revisions"]) or (kind == "glob" and not self.options["globs"]):
                return None
            return Hit(
                site=site_of(site.path, site.fact.span),
                message=message,
                key=f"{kind}|{r.artifact}",
                confidence=Confidence(confidence),
            )
        return None


def _origin(r: Resolved) -> str | None:
    """Where another module defines the source, as a phrase; None unless it came from there."""
    if r.how not in (Resolution.EXACT, Resolution.IMPORTED):
        return None
    constants = [v for v in r.via if v.kind == "constant"]
    if not constants or len(constants) != len(r.via):
        return None
    names = ", ".join(f"`{v.name}` of `{v.path}`" for v in constants[:2])
    return f"from {names}"


def _written_by(built: Built, path: str, artifact: str) -> bool:
    """Does the reading file write this artifact too (a training loop's own `latest` checkpoint)?"""
    from mldebt.graph.build import artifact_id

    node = artifact_id(artifact)
    if node not in built.graph:
        return False
    return any(e.source.startswith(f"function:{path}::") for e in built.graph.in_edges(node, ["writes"]))


# ---------------------------------------------------------------- detection (parse phase)

# tabular readers: qualified name -> (position, keyword) of the path
_READERS: dict[str, tuple[int, str]] = {
    **{f"pandas.{n}": (0, "filepath_or_buffer") for n in PANDAS_FILE_READERS},
    **{f"polars.{n}": (0, "source") for n in ("read_csv", "read_parquet", "read_json", "read_ipc", "scan_csv")},
    "polars.scan_parquet": (0, "source"),
    **{f"dask.dataframe.{n}": (0, "urlpath") for n in ("read_csv", "read_parquet", "read_json")},
    **{f"ray.data.{n}": (0, "paths") for n in ("read_csv", "read_parquet", "read_json", "read_text", "read_images")},
    "numpy.loadtxt": (0, "fname"),
    "numpy.genfromtxt": (0, "fname"),
    "numpy.load": (0, "file"),
}
# downloads of a URL to a file: qualified name -> (position, keyword, checksum keywords)
_DOWNLOADS: dict[str, tuple[int, str, tuple[str, ...]]] = {
    "urllib.request.urlretrieve": (0, "url", ()),
    "wget.download": (0, "url", ()),
    "gdown.download": (0, "url", ("md5",)),
    "gdown.cached_download": (0, "url", ("md5", "hash")),
    "tensorflow.keras.utils.get_file": (1, "origin", ("file_hash", "md5_hash")),
    "keras.utils.get_file": (1, "origin", ("file_hash", "md5_hash")),
    "tensorflow.keras.utils.data_utils.get_file": (1, "origin", ("file_hash", "md5_hash")),
    "torchvision.datasets.utils.download_url": (0, "url", ("md5",)),
    "torchvision.datasets.utils.download_and_extract_archive": (0, "url", ("md5",)),
    "torch.hub.download_url_to_file": (0, "url", ("hash_prefix",)),
    "torch.hub.load_state_dict_from_url": (0, "url", ("check_hash",)),
    "torch.utils.model_zoo.load_url": (0, "url", ("check_hash",)),
}
# HTTP clients: a data read only when the URL names a data file
_HTTP = frozenset(
    {"requests.get", "httpx.get", "urllib.request.urlopen", "urllib2.urlopen", "urllib.urlopen", "requests.request"}
)
_DATA_FILE = re.compile(
    r"\.(csv|tsv|parquet|pq|json|jsonl|ndjson|feather|arrow|xlsx?|zip|tar|tgz|gz|bz2|xz|7z|npz|npy|pkl|pickle|"
    r"h5|hdf5|data|txt|dat|arff|libsvm|tfrecords?|avro|orc)$",
    re.I,
)
_MODEL_LOADS: dict[str, tuple[int, str]] = {
    "torch.load": (0, "f"),
    "joblib.load": (0, "filename"),
    "pickle.load": (0, "file"),
    "tensorflow.keras.models.load_model": (0, "filepath"),
    "keras.models.load_model": (0, "filepath"),
    "keras.saving.load_model": (0, "filepath"),
}
_VERSION_HOLE = re.compile(
    r"(?i)version|\bver\b|_ver\b|tag|rev|sha|hash|commit|date|day|month|year|week|release|snapshot|\bds\b|\bdt\b"
)
_MOVING = frozenset({"latest", "current", "newest"})
_BRANCHES = frozenset({"master", "main", "head", "trunk", "nightly", "develop", "dev"})
_GIT_HOSTS = re.compile(r"(^|\.)(github\.com|githubusercontent\.com|gitlab\.com|bitbucket\.org|huggingface\.co)$")
_BUCKETS = ("s3://", "s3a://", "s3n://", "gs://", "gcs://", "az://", "abfs://", "abfss://", "adl://", "hdfs://")


def _tokens(segment: str) -> list[str]:
    return [t for t in re.split(r"[^A-Za-z0-9]+", segment.lower()) if t]


def _versioned(path: str, query: str) -> str | None:
    """Why a URL or object path is pinned (a version, date, hash or immutable record), if it is."""
    q = query.lower()
    if re.search(r"(^|&)(version|v|rev|revision|sha|commit|versionid|generation|tag|ref|hash|md5|checksum)=", q):
        return "a version in its query"
    for seg in path.split("/"):
        s = seg.lower()
        if re.search(r"(?<![a-z])v\d+([._-]\d+)*(?![a-z])", s) or re.search(r"(?<![\d.])\d+\.\d+(\.\d+)*(?!\d)", s):
            return "a version in its path"
        if re.fullmatch(r"[0-9a-f]{7,64}", s) and re.search(r"\d", s) and re.search(r"[a-f]", s):
            return "a commit or content hash in its path"
        if re.search(r"[-_.][0-9a-f]{8,64}\.[a-z0-9]+$", s) and re.search(r"\d", s):
            return "a content hash in its file name"
        if re.search(r"(19|20)\d\d-?[01]\d-?[0-3]\d", s) or re.search(r"(^|[^\d])(19|20)\d\d[-_]?[01]\d($|[^\d])", s):
            return "a date in its path"
        if re.match(r"(ds|dt|date|day|snapshot|version|partition)=", s):
            return "a partition in its path"
    name = path.rstrip("/").rsplit("/", 1)[-1]
    if any(re.fullmatch(r"(19|20)\d\d", tok) for tok in _tokens(name.rsplit(".", 1)[0])):
        return "a year in its file name"
    if re.search(r"/(19|20)\d\d/[01]\d(/[0-3]\d)?(/|$)", path):
        return "a date in its path"
    if re.search(r"/releases/download/(?!latest/)[^/]+/", path):
        return "a release tag"
    if re.search(r"(zenodo\.org/records?/\d+|doi\.org/|figshare\.com/.*/\d+|/record/\d+)", path):
        return "an immutable record"
    return None


def _moving_ref(host: str, path: str) -> str | None:
    """The moving part of a URL or path (`latest`, a branch), if it names one."""
    segments = [s for s in path.split("/") if s]
    for seg in segments:
        stem = seg.lower().split(".", 1)[0]
        for tok in _tokens(seg):
            # `current` only as a whole name: `current_population_survey` is not a pointer
            if tok in ("latest", "newest") or (tok == "current" and stem == "current"):
                return f"`{tok}`"
    if _GIT_HOSTS.search(host):
        for seg in segments[:6]:
            if seg.lower() in _BRANCHES:
                return f"the branch `{seg}`"
    return None


def _split_url(url: str) -> tuple[str, str, str, str]:
    scheme, _, rest = url.partition("://")
    rest, _, query = rest.partition("?")
    host, _, path = rest.partition("/")
    return scheme.lower(), host.lower(), "/" + path, query


@dataclass
class _Verdict:
    what: str  # the phrase for the message
    confidence: str
    kind: str  # url | bucket | latest | sql | hub | glob


def _judge_url(t: Text) -> _Verdict | None:
    url = t.text
    scheme, host, path, query = _split_url(url)
    if scheme not in ("http", "https", "ftp") or not host or HOLE in host:
        return None
    if host.startswith(("localhost", "127.", "0.0.0.0")) or host.endswith(".local"):
        return None
    if any(_VERSION_HOLE.search(h) for h in t.holes):
        return None
    shown = path.replace(HOLE, "")
    moving = _moving_ref(host, shown)
    if moving is not None:
        return _Verdict(f"a URL that follows {moving}, which moves", "high", "url")
    if _versioned(shown, query) is not None or HOLE in path.rsplit("/", 1)[0] or HOLE in query:
        return None  # a directory the file does not show may be the version
    return _Verdict("an unversioned URL (no version, date, hash or checksum)", "medium", "url")


def _judge_bucket(t: Text) -> _Verdict | None:
    path = t.text
    if not path.startswith(_BUCKETS) or t.holes or HOLE in path:
        return None
    _, _, rest = path.partition("://")
    _, _, key = rest.partition("/")
    if _versioned("/" + key, "") is not None:
        return None
    moving = _moving_ref("", key)
    if moving is not None:
        return _Verdict(f"an object path that follows {moving}, which moves", "high", "bucket")
    last = key.rstrip("/").rsplit("/", 1)[-1]
    if "*" in key or "?" in key or "[" in key:
        return _Verdict("a bucket glob, whose matches change as objects are added", "medium", "bucket")
    if key.endswith("/") or not key or "." not in last:
        return _Verdict("a bucket prefix, whose contents change as objects are added", "medium", "bucket")
    return None


def _judge_local(t: Text) -> _Verdict | None:
    path = t.text.replace("\\", "/")
    if "://" in path or t.holes:
        return None
    moving = _moving_ref("", path)
    if moving is None:
        return None
    return _Verdict(f"a path that follows {moving}, which is repointed as new data arrives", "high", "latest")


def _judge_path(t: Text) -> _Verdict | None:
    if "://" in t.text:
        if t.text.startswith(_BUCKETS):
            return _judge_bucket(t)
        return _judge_url(t)
    return _judge_local(t)


# SQL: a query with no snapshot, date or version filter
_SQL_SNAPSHOT = re.compile(
    r"(?is)\b(as\s+of|for\s+system_time|version\s+as\s+of|timestamp\s+as\s+of|_partitiontime|_partitiondate|"
    r"_table_suffix)\b|\bwhere\b.*\b(ds|dt|date|day|snapshot\w*|partition\w*|version|as_of\w*|\w+_date|date_\w+|"
    r"\w+_dt|\w+_ts|timestamp|created_at|updated_at|event_time|\w+_time)\b"
)
_SQL_VERSIONED_TABLE = re.compile(r"(?i)(_v\d+|_(19|20)\d\d[01]?\d?[0-3]?\d?|_snapshot\w*|@\d+)$")
_SQL_CALLS = apis.SQL_READS
_SPARKISH = re.compile(r"(?i)(^|\.)(spark|sparksession|session|ss|sqlcontext|sql_context|hive_context|hc)$")


def _judge_sql(t: Text, table_only: bool) -> tuple[_Verdict, str] | None:
    if t.holes:
        return None  # parameterised: the hole may well be the snapshot
    text = t.text.strip()
    if table_only:
        tables = [text] if re.fullmatch(r"[\w.$`\"\[\]]+", text) else []
    else:
        if not re.match(r"(?is)^\s*(with|select)\b", text) or _SQL_SNAPSHOT.search(text):
            return None
        if re.search(r"(?i)\blimit\s+\d+|\btablesample\b|\bsample\b", text):
            return None
        tables = list(query_tables(text))
    tables = [x for x in tables if x.lower() not in ("dual", "unnest", "lateral")]
    if not tables or any(_SQL_VERSIONED_TABLE.search(x.strip('`"[]')) for x in tables):
        return None
    names = list(dict.fromkeys(x.strip('`"[]') for x in tables))
    shown = "`, `".join(names[:3]) + ("`, ..." if len(names) > 3 else "")
    return _Verdict("a table read with no snapshot, date or version filter", "medium", "sql"), shown


# Hugging Face hub
_HF_BUILDERS = frozenset(
    [
        "csv",
        "json",
        "parquet",
        "text",
        "imagefolder",
        "audiofolder",
        "videofolder",
        "arrow",
        "pandas",
        "webdataset",
        "sql",
        "generator",
        "spark",
        "cache",
    ]
)
_LOCAL_HEADS = frozenset(
    [
        "models",
        "model",
        "output",
        "outputs",
        "checkpoints",
        "checkpoint",
        "ckpt",
        "ckpts",
        "saved_models",
        "saved_model",
        "results",
        "runs",
        "data",
        "tmp",
        "pretrained",
        "weights",
        "artifacts",
        "exp",
        "exps",
        "experiments",
        "logs",
        "cache",
        "save",
        "saves",
        "trained",
    ]
)
_LEGACY_MODELS = re.compile(
    r"^(bert|roberta|distilbert|distilroberta|gpt2|openai-gpt|t5|bart|xlnet|albert|electra|xlm|camembert|"
    r"flaubert|deberta|longformer|ctrl|transfo-xl|distilgpt2|mbart|marian|pegasus)(-[\w.-]+)?$"
)


def _hub_id(t: Text, bare_ok: bool) -> str | None:
    if t.holes:
        return None
    s = t.text.strip()
    if not s or s.startswith((".", "/", "~", "\\")) or "://" in s or re.match(r"^[A-Za-z]:[\\/]", s):
        return None
    if re.search(r"\.(py|json|bin|pt|pth|ckpt|safetensors|h5|pkl|onnx|zip|gz|csv|txt|yaml|yml|msgpack)$", s, re.I):
        return None
    parts = s.split("/")
    if len(parts) == 2 and all(re.fullmatch(r"[\w][\w.-]*", p) for p in parts):
        if parts[0].lower() in _LOCAL_HEADS:
            return None
        return s
    if len(parts) == 1 and re.fullmatch(r"[\w][\w.-]*", s) and (bare_ok or _LEGACY_MODELS.match(s)):
        return s
    return None


def _revision(call: ast.Call, kw: str = "revision") -> tuple[bool, str]:
    """(pinned?, what the revision says). A revision the file does not show counts as pinned."""
    for k in call.keywords:
        if k.arg == kw:
            if isinstance(k.value, ast.Constant) and isinstance(k.value.value, str):
                rev = k.value.value
                if re.fullmatch(r"[0-9a-f]{7,40}", rev) or re.match(r"(?i)^v?\d+(\.\d+)*([-.+]\w+)?$", rev):
                    return True, rev
                if rev.startswith("refs/pr/") or re.fullmatch(r"(?i)refs/tags/.+", rev):
                    return True, rev
                return False, rev
            if isinstance(k.value, ast.Constant) and k.value.value is None:
                return False, ""
            return True, ""
    return False, ""


def _hub_target(ctx: FileContext, call: ast.Call, name: str) -> tuple[str, str] | None:
    """(hub id, API) of a hub read, when the file shows the id."""
    if name == "datasets.load_dataset":
        t = ctx.read_text(call, arg(call, 0, "path"))
        if t is None or t.text.strip() in _HF_BUILDERS:
            return None
        hub = _hub_id(t, bare_ok=True)
        return (hub, "load_dataset") if hub else None
    if name in ("huggingface_hub.hf_hub_download", "huggingface_hub.snapshot_download"):
        t = ctx.read_text(call, arg(call, 0, "repo_id"))
        hub = _hub_id(t, bare_ok=False) if t else None
        return (hub, name.rsplit(".", 1)[1]) if hub else None
    if name in ("sentence_transformers.SentenceTransformer", "sentence_transformers.CrossEncoder"):
        t = ctx.read_text(call, arg(call, 0, "model_name_or_path"))
        hub = _hub_id(t, bare_ok=True) if t else None
        return (hub, name.rsplit(".", 1)[1]) if hub else None
    if name == "transformers.pipeline":
        t = ctx.read_text(call, arg(call, None, "model"))
        hub = _hub_id(t, bare_ok=False) if t else None
        return (hub, "pipeline") if hub else None
    if isinstance(call.func, ast.Attribute) and call.func.attr == "from_pretrained":
        t = ctx.read_text(call, arg(call, 0, "pretrained_model_name_or_path"))
        hub = _hub_id(t, bare_ok=False) if t else None
        return (hub, f"{ctx.source(call.func.value)}.from_pretrained") if hub else None
    return None


_INTERESTING = (
    "://",
    "latest",
    "current",
    "newest",
    "from_pretrained",
    "load_dataset",
    "hub",
    "sql",
    "SQL",
    "SentenceTransformer",
    "fetch_openml",
    "pipeline",
    "table",
)


def unstable_data_dependency(ctx: FileContext) -> Iterator[Smell]:
    """MLD202: reads of sources that change under the reader.

    A source the file does not show, built from a name imported from another module
    (`pd.read_csv(settings.DATA_URL)`, `BASE_URL.format(...)`), is left pending: the rule judges
    the text the project's resolver gives the read's `Value` (see `judge_resolved`)."""
    if is_test_path(ctx.rel):
        return
    interesting = any(s in ctx.text for s in _INTERESTING)
    if not interesting and not _may_import_sources(ctx):
        return
    written: set[str] | None = None  # built on the first read worth a look: it reads the whole file
    for node in ctx.walk():
        if not isinstance(node, ast.Call):
            continue
        name = ctx.call_name(node) or ""
        if not interesting and not _pending_api(node, name):
            continue
        found = None
        if interesting:
            if written is None:
                written = _written_texts(ctx)
            found = _unstable(ctx, node, name, written)
        if found is None:
            pending = _pending(ctx, node, name)
            if pending is not None:
                category, api = pending
                yield ctx.smell(
                    "MLD202",
                    node,
                    f"`{api}` reads a source built from another module's value",
                    data=(("pending", category), ("api", api)),
                )
            continue
        verdict, shown, api, key = found
        message = _MESSAGES[verdict.kind].format(api=api, shown=shown, what=verdict.what)
        yield ctx.smell(
            "MLD202",
            node,
            message,
            key=f"{verdict.kind}|{key}",
            confidence=verdict.confidence,
            data=(("kind", verdict.kind),),
        )


_CHANGES = "the data can change under the model with no change to the code"
_MESSAGES = {
    "url": "`{api}` reads `{shown}`, {what}: " + _CHANGES,
    "bucket": "`{api}` reads `{shown}`, {what}: " + _CHANGES,
    "latest": "`{api}` reads `{shown}`, {what}: " + _CHANGES,
    "glob": "`{api}` reads every file matching `{shown}`: whatever files match when it runs become the data",
    "sql": "`{api}` reads `{shown}` with no snapshot, date or version filter: each run sees whatever "
    "the table holds that day",
    "hub": "`{api}` loads `{shown}` from the hub {what}: what it downloads changes when the repository is updated",
    "openml": "`{api}` fetches the OpenML dataset `{shown}` {what}: the active version can change",
}


def _short(text: str) -> str:
    text = text.replace(HOLE, "{…}")
    return text if len(text) <= 90 else text[:87] + "..."


def _unstable(ctx: FileContext, node: ast.Call, name: str, written: set[str]) -> tuple[_Verdict, str, str, str] | None:
    short = name.rsplit(".", 1)[-1] if name else ""
    if name in _READERS:
        pos, kw = _READERS[name]
        target = arg(node, pos, kw)
        t = ctx.read_text(node, target)
        if t is None or (isinstance(target, ast.Name) and any(c in t.text for c in "*?[")):
            return _glob_read(ctx, node, target, name)  # a name holding a pattern or a match of one
        verdict = _judge_path(t)
        if verdict is None or (verdict.kind == "latest" and t.text in written):
            return None
        return verdict, _short(t.text), _api(name), t.text
    if name in _DOWNLOADS:
        pos, kw, checks = _DOWNLOADS[name]
        if has_kw(node, *checks) or splats(node):
            return None
        t = ctx.read_text(node, arg(node, pos, kw))
        if t is None:
            return None
        verdict = _judge_url(t)
        return (verdict, _short(t.text), _api(name), t.text) if verdict else None
    if name in _HTTP:
        t = ctx.read_text(node, arg(node, 0 if name != "requests.request" else 1, "url"))
        if t is None:
            return None
        _, _, path, _ = _split_url(t.text)
        if not _DATA_FILE.search(path.replace(HOLE, "x")):
            return None  # an API call, not a data file
        verdict = _judge_url(t)
        return (verdict, _short(t.text), _api(name), t.text) if verdict else None
    if name in _MODEL_LOADS:
        pos, kw = _MODEL_LOADS[name]
        t = ctx.read_text(node, arg(node, pos, kw))
        if t is None or "://" in t.text:
            return None
        verdict = _judge_local(t)
        if verdict is None or t.text in written:
            return None
        verdict.confidence = "medium"
        return verdict, _short(t.text), _api(name), t.text
    if name in _SQL_CALLS or name == "pandas.read_sql_table" or _is_spark_sql(ctx, node):
        return _sql(ctx, node, name)
    if name == "sklearn.datasets.fetch_openml":
        if has_kw(node, "data_id") or splats(node):
            return None
        version = arg(node, 1, "version")
        if version is not None and not (isinstance(version, ast.Constant) and version.value == "active"):
            return None
        t = ctx.shown(arg(node, 0, "name"))
        if t is None or t.holes:
            return None
        what = "with no `version=` (the default is `'active'`)" if version is None else "at `version='active'`"
        return _Verdict(what, "medium", "openml"), t.text, "fetch_openml", t.text
    if name == "torch.hub.load" or short == "from_pretrained" or name.startswith(_HUB_PREFIXES):
        return _hub(ctx, node, name)
    return None


_HUB_PREFIXES = ("datasets.load_dataset", "huggingface_hub.", "sentence_transformers.", "transformers.pipeline")


# ---------------------------------------------------------------- MLD202 across modules


def _may_import_sources(ctx: FileContext) -> bool:
    """Could a read in this file take its source from a name another module defines?"""
    return bool(ctx.aliases) and any(
        s in ctx.text for s in ("read_", "load", "urlretrieve", "download", "get(", "urlopen", "from_pretrained")
    )


def _pending_api(node: ast.Call, name: str) -> bool:
    """Is the call a read whose source MLD202 may judge across modules?"""
    return (
        name in _READERS
        or name in _DOWNLOADS
        or name in _HTTP
        or name in _MODEL_LOADS
        or name in _HUB_ARGS
        or (isinstance(node.func, ast.Attribute) and node.func.attr == "from_pretrained")
    )


def _pending(ctx: FileContext, node: ast.Call, name: str) -> tuple[str, str] | None:
    """(category, API) of a read whose source the file does not show, built from an imported name."""
    if splats(node):
        return None
    target: ast.expr | None
    if name in _READERS:
        category, target = "reader", arg(node, *_READERS[name])
    elif name in _DOWNLOADS:
        pos, kw, checks = _DOWNLOADS[name]
        if has_kw(node, *checks):
            return None
        category, target = "download", arg(node, pos, kw)
    elif name in _HTTP:
        category, target = "http", arg(node, 0 if name != "requests.request" else 1, "url")
    elif name in _MODEL_LOADS:
        category, target = "model", arg(node, *_MODEL_LOADS[name])
    elif name in _HUB_ARGS or (isinstance(node.func, ast.Attribute) and node.func.attr == "from_pretrained"):
        local = arg(node, None, "local_files_only")
        if (isinstance(local, ast.Constant) and local.value is True) or _revision(node)[0]:
            return None
        pos_kw, bare = _HUB_ARGS.get(name, ((0, "pretrained_model_name_or_path"), False))
        category, target = ("hub-bare" if bare else "hub"), arg(node, *pos_kw)
    else:
        return None
    io = ctx.io_of(node)
    if target is None or io is None or io.op != "read" or not _from_elsewhere(io.target):
        return None  # no read the graph resolves, or the file shows the whole source: judged above
    if category.startswith("hub"):
        api = name.rsplit(".", 1)[1] if name in _HUB_ARGS else f"{ctx.source(node.func)}"
        return category, "load_dataset" if name == "datasets.load_dataset" else api
    return category, _api(name)


# hub loaders: qualified name -> ((position, keyword) of the id, bare names count as hub ids)
_HUB_ARGS: dict[str, tuple[tuple[int | None, str | None], bool]] = {
    "datasets.load_dataset": ((0, "path"), True),
    "huggingface_hub.hf_hub_download": ((0, "repo_id"), False),
    "huggingface_hub.snapshot_download": ((0, "repo_id"), False),
    "sentence_transformers.SentenceTransformer": ((0, "model_name_or_path"), True),
    "sentence_transformers.CrossEncoder": ((0, "model_name_or_path"), True),
    "transformers.pipeline": ((None, "model"), False),
}


def _from_elsewhere(value: Value) -> bool:
    """Is the extractor's value built from a name another module defines (`ref`) or from what a
    project function returns (`ret`)? Only those can resolve to another module's constant."""
    if value.kind in ("ref", "ret"):
        return True
    return any(_from_elsewhere(p) for p in value.parts)


def judge_resolved(category: str, text: str, written: bool, api: str, origin: str) -> tuple[str, str, str] | None:
    """MLD202's verdict on a source's text as the project resolves it (a pending read):
    (message, confidence, kind), or None. The same judges as a source the file shows; `origin`
    says where the text comes from ("from `DATA_URL` of `settings.py`")."""
    if "*" in text or not text:
        return None  # a part no one can name: it may be the version
    t = Text(text, [])
    verdict: _Verdict | None
    if category == "reader":
        verdict = _judge_path(t)
        if verdict is not None and verdict.kind == "latest" and written:
            return None
    elif category in ("download", "http"):
        if category == "http" and not _DATA_FILE.search(_split_url(text)[2]):
            return None
        verdict = _judge_url(t)
    elif category == "model":
        verdict = None if "://" in text or written else _judge_local(t)
        if verdict is not None:
            verdict.confidence = "medium"
    elif category.startswith("hub"):
        hub = _hub_id(t, bare_ok=category == "hub-bare")
        if hub is None or (category == "hub-bare" and hub in _HF_BUILDERS):
            return None
        verdict = _Verdict("with no pinned `revision=`", "low", "hub")
    else:
        return None
    if verdict is None:
        return None
    shown = _short(text)
    message = _MESSAGES[verdict.kind].format(api=api, shown=shown, what=verdict.what)
    return message.replace(f"`{shown}`", f"`{shown}` ({origin})", 1), verdict.confidence, verdict.kind


def _hub(ctx: FileContext, node: ast.Call, name: str) -> tuple[_Verdict, str, str, str] | None:
    if splats(node):
        return None
    if name == "torch.hub.load":
        t = ctx.shown(arg(node, 0, "repo_or_dir"))
        source = arg(node, None, "source")
        if t is None or t.holes or (isinstance(source, ast.Constant) and source.value == "local"):
            return None
        repo = t.text
        if ":" in repo or not re.fullmatch(r"[\w.-]+/[\w.-]+", repo) or repo.split("/")[0].lower() in _LOCAL_HEADS:
            return None
        verdict = _Verdict("at its default branch (no `:tag` in the repository)", "low", "hub")
        return verdict, repo, "torch.hub.load", repo
    local = arg(node, None, "local_files_only")
    if isinstance(local, ast.Constant) and local.value is True:
        return None
    found = _hub_target(ctx, node, name)
    if found is None:
        return None
    hub, api = found
    pinned, rev = _revision(node)
    if pinned:
        return None
    if rev:
        what = f"at `revision={rev!r}`, a branch"
    else:
        what = "with no pinned `revision=`"
    return _Verdict(what, "low", "hub"), hub, api, hub


def _is_spark_sql(ctx: FileContext, node: ast.Call) -> bool:
    func = node.func
    if not isinstance(func, ast.Attribute) or func.attr not in ("sql", "table"):
        return False
    receiver = ctx.dotted(func.value) or ""
    if func.attr == "table" and receiver.endswith(".read"):
        receiver = receiver[: -len(".read")]
    return bool(_SPARKISH.search(receiver)) and ctx.imports_any("pyspark", "databricks", "delta")


def _sql(ctx: FileContext, node: ast.Call, name: str) -> tuple[_Verdict, str, str, str] | None:
    if splats(node) or has_kw(node, "params"):
        return None
    if name in _SQL_CALLS:
        pos, kw = _SQL_CALLS[name]
        table_only = False
    elif name == "pandas.read_sql_table":
        pos, kw, table_only = 0, "table_name", True
    else:
        pos, kw = 0, "sqlQuery"
        table_only = isinstance(node.func, ast.Attribute) and node.func.attr == "table"
        if table_only:
            kw = "tableName"
    t = ctx.read_text(node, arg(node, pos, kw))
    if t is None:
        return None
    if name.startswith("pandas.") and _local_connection(ctx, node):
        return None
    found = _judge_sql(t, table_only or (name == "pandas.read_sql" and bool(re.fullmatch(r"\s*[\w.]+\s*", t.text))))
    if found is None:
        return None
    verdict, table = found
    api = _api(name) if name in _SQL_CALLS or name == "pandas.read_sql_table" else ctx.source(node.func)
    return verdict, table, api, table


def _local_connection(ctx: FileContext, node: ast.Call) -> bool:
    """A SQLite file (or an in-memory database) is as stable as any file: not a live table."""
    con = arg(node, 1, "con")
    if con is None:
        return False
    if isinstance(con, ast.Name):
        bound = ctx.bound_of(con)
        if bound is not None:
            con = bound
    if isinstance(con, ast.Call):
        cname = ctx.call_name(con) or ""
        if cname.startswith(("sqlite3.", "duckdb.")):
            return True
        if cname.endswith("create_engine"):
            t = ctx.shown(arg(con, 0, "url"))
            return t is not None and t.text.startswith(("sqlite", "duckdb"))
    return False


def _glob_read(
    ctx: FileContext, node: ast.Call, target: ast.expr | None, name: str
) -> tuple[_Verdict, str, str, str] | None:
    """`pd.read_csv(f) for f in glob("data/*.csv")`: whatever files match feed the data."""
    if not isinstance(target, ast.Name) or name.startswith("numpy.load"):
        return None
    for a in ctx.ancestors(node):
        iters: list[ast.expr] = []
        if isinstance(a, (ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp)):
            iters = [g.iter for g in a.generators if any(_names_in(g.target, target.id))]
        elif isinstance(a, ast.For) and any(_names_in(a.target, target.id)):
            iters = [a.iter]
        elif isinstance(a, (*FUNCTIONS, ast.ClassDef, ast.Lambda)):
            return None
        for it in iters:
            if isinstance(it, ast.Name):
                bound = ctx.bound_of(it)
                it = bound if bound is not None else it
            if isinstance(it, ast.Call) and ctx.qualify(it.func) == "sorted" and it.args:
                it = it.args[0]
            if not isinstance(it, ast.Call):
                continue
            gname = ctx.qualify(it.func) or ""
            pattern: Text | None = None
            if gname in ("glob.glob", "glob.iglob", "tensorflow.io.gfile.glob"):
                pattern = ctx.shown(arg(it, *apis.SHOWN_ARGS[gname]))
            elif isinstance(it.func, ast.Attribute) and it.func.attr in ("glob", "rglob") and it.args:
                base = ctx.shown(it.func.value)
                pat = ctx.shown(it.args[0])
                if base is not None and pat is not None:
                    pattern = Text(base.text.rstrip("/") + "/" + pat.text, base.holes + pat.holes)
            if pattern is None or "*" not in pattern.text or "://" in pattern.text:
                continue
            shown = pattern.text
            verdict = _Verdict("a glob: whatever files match when it runs become the data", "low", "glob")
            return verdict, _short(shown), _api(name), shown
    return None


def _names_in(target: ast.expr, name: str) -> Iterator[bool]:
    for n in ast.walk(target):
        if isinstance(n, ast.Name) and n.id == name:
            yield True


def _written_texts(ctx: FileContext) -> set[str]:
    """Paths this file writes (the targets of the extractor's write facts, copies made with
    `shutil.copy`, models saved): a `latest` file the same code writes is its own checkpoint."""
    out: set[str] = set()
    if not any(s in ctx.text for s in _MOVING):
        return out
    for node in ctx.walk():
        if not isinstance(node, ast.Call):
            continue
        io = ctx.io_of(node)
        if io is not None and io.op == "write":
            t = ctx.text_of(node)
        elif ctx.call_name(node) == "shutil.copy":
            t = ctx.shown(arg(node, 1, "dst"))
        elif isinstance(node.func, ast.Attribute) and node.func.attr in apis.MODEL_SAVE_METHODS and node.args:
            t = ctx.shown(node.args[0])  # `x.save_pretrained(p)` on an object the extractor knows no model in
        else:
            continue
        if t is not None:
            out.add(t.text)
    return out


detect = unstable_data_dependency
