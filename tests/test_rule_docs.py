"""Every rule doc: fixed headings, metadata matching the registry, and examples that run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import actual, expected, scan

from mldebt.catalog import FIX_HEADING, HEADINGS, load_rules, parse_doc, section
from mldebt.rules import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "rules").glob("MLD*.md"))
_BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)


def _materialise(body: str, into: Path) -> None:
    for _lang, code in _BLOCK.findall(body):
        first, _, rest = code.partition("\n")
        m = re.match(r"#\s*file:\s*(\S+)", first)
        if not m:
            continue  # a config snippet for the reader, not a file of the example
        target = into / m.group(1)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(rest, encoding="utf-8")


def test_every_registered_rule_has_a_doc_and_fixtures() -> None:
    infos = load_rules()
    assert sorted(infos) == sorted(r.id for r in REGISTRY)
    for rule in REGISTRY:
        info = infos[rule.id]
        assert info.name == rule.name
        module = rule.__module__.rsplit(".", 1)[-1]
        assert module == f"{rule.id.lower()}_{rule.name.replace('-', '_')}"
        assert rule.__name__ == "".join(p.capitalize() for p in rule.name.split("-"))
        assert (ROOT / "rules" / f"{rule.id}-{rule.name}.md").is_file()
        fixture = ROOT / "fixtures" / f"{rule.id}-{rule.name}"
        assert (fixture / "positive").is_dir() and (fixture / "negative").is_dir()


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.stem)
def test_doc_headings_are_fixed(doc: Path) -> None:
    info = parse_doc(doc.read_text(encoding="utf-8"), str(doc))
    assert doc.stem == f"{info.id}-{info.name}"
    assert info.doc.startswith(f"# {info.id}: {info.name}\n")
    headings = re.findall(r"^## (.+)$", info.doc, re.M)
    if FIX_HEADING in headings:  # optional, right after "Use instead", for rules with a fix
        assert headings[headings.index(FIX_HEADING) - 1] == "Use instead"
        headings.remove(FIX_HEADING)
        assert re.match(r"\s*Applicability: (safe|unsafe)\b", section(info.doc, FIX_HEADING))
    assert tuple(headings) == HEADINGS
    assert info.summary
    assert info.status in ("preview", "stable", "deprecated")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.stem)
@pytest.mark.parametrize("heading", ["Example", "Use instead"])
def test_doc_examples_run(doc: Path, heading: str, tmp_path: Path) -> None:
    info = parse_doc(doc.read_text(encoding="utf-8"), str(doc))
    _materialise(section(info.doc, heading), tmp_path)
    want = expected(tmp_path)
    if heading == "Example":
        assert any(rule == info.id for _, _, rule in want), "the Example must show the rule firing"
    else:
        assert not want
    assert actual(scan(tmp_path, **{"extend-select": [info.id]})) == want
