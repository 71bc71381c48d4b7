"""Rule metadata, read from the rule docs (`rules/MLDnnn-name.md`): the single source of truth.

Each doc starts with TOML front matter between `+++` lines (id, name, category, severity,
confidence, status), then fixed headings. Installed wheels carry the docs as `mldebt/_rules`;
a source checkout reads them from the repository's `rules/`.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from pathlib import Path

from mldebt.model import Confidence, RuleInfo, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HEADINGS = (
    "What it does",
    "Why is this bad?",
    "Example",
    "Use instead",
    "Known limitations",
    "Options",
    "References",
)
# Optional, right after "Use instead": how a rule's findings are fixed and whether the fix is
# safe (rules with a fix in `mldebt.fix` have it; tests/test_rule_docs.py checks both ways).
FIX_HEADING = "Fix"
CATEGORIES = (
    "entanglement",
    "correction-cascade",
    "undeclared-consumer",
    "unstable-data-dependency",
    "underutilized-data-dependency",
    "undeclared-data-dependency",
    "feedback-loop",
    "glue-code",
    "pipeline-jungle",
    "dead-experimental-codepath",
    "abstraction-debt",
    "plain-old-data",
    "multiple-language",
    "prototype",
    "configuration-debt",
    "fixed-threshold",
    "monitoring-debt",
    "data-testing-debt",
    "reproducibility-debt",
    "data-leakage",
    "code-smell",
    "self-admitted-debt",
)
_FRONT = re.compile(r"\A\+\+\+\n(.*?)\n\+\+\+\n", re.S)


def docs_dir() -> Path:
    packaged = Path(__file__).resolve().parent / "_rules"  # installed: `importlib.resources` costs 5 ms
    if packaged.is_dir():
        return packaged
    source = Path(__file__).resolve().parents[2] / "rules"
    if source.is_dir():
        return source
    from importlib import resources  # a zipped install

    return Path(str(resources.files("mldebt") / "_rules"))


def parse_doc(text: str, source: str = "") -> RuleInfo:
    m = _FRONT.match(text)
    if m is None:
        raise ValueError(f"{source}: missing +++ front matter")
    meta = tomllib.loads(m.group(1))
    body = text[m.end() :].lstrip("\n")
    what = section(body, "What it does")
    summary = what.strip().split("\n\n")[0].replace("\n", " ").strip()
    if meta["category"] not in CATEGORIES:
        raise ValueError(f"{source}: unknown category {meta['category']!r}")
    return RuleInfo(
        id=meta["id"],
        name=meta["name"],
        category=meta["category"],
        severity=Severity(meta["severity"]),
        confidence=Confidence(meta["confidence"]),
        status=meta["status"],
        summary=summary,
        doc=body,
        default=bool(meta.get("default", True)),
    )


def section(body: str, heading: str) -> str:
    """The text under `## heading`, up to the next `## `."""
    m = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", body, re.S | re.M)
    return m.group(1) if m else ""


@lru_cache(maxsize=1)
def load_rules() -> dict[str, RuleInfo]:
    out: dict[str, RuleInfo] = {}
    for path in sorted(docs_dir().glob("MLD*.md")):
        info = parse_doc(path.read_text(encoding="utf-8"), str(path))
        out[info.id] = info
    return out
