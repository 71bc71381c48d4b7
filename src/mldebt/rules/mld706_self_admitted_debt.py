"""MLD706 self-admitted-debt: TODO/FIXME/HACK/XXX comments in ML code (`detect`, below, reports
every tag it knows; `tags` picks the ones reported)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from mldebt.parse.detectors.context import FileContext, is_test_path
from mldebt.parse.detectors.external import _DATA_ROOTS, _ML_ROOTS
from mldebt.parse.facts import Smell, Span
from mldebt.rules.base import FileRule, data


class SelfAdmittedDebt(FileRule):
    id = "MLD706"
    name = "self-admitted-debt"
    OPTIONS: ClassVar[Mapping[str, tuple[type, Any]]] = {
        "tags": (list, ["TODO", "FIXME", "HACK", "XXX", "workaround", "temporary"])
    }

    def accept(self, smell: Smell) -> bool:
        wanted = {str(t).lower() for t in self.options["tags"]}
        return data(smell, "tag").lower() in wanted


# detection ------------------------------------------------------------------------------


# tag -> pattern over one comment segment (the text after `#`)
_TAGS: dict[str, re.Pattern[str]] = {
    word: re.compile(rf"(?<![A-Za-z0-9_]){word}(?![A-Za-z0-9_])|^(?i:{word})\b")
    for word in ("TODO", "FIXME", "HACK", "XXX", "KLUDGE", "BUG", "OPTIMIZE", "REFACTOR")
}
_TAGS["workaround"] = re.compile(r"(?i)\bwork[- ]?around\b")
_TAGS["temporary"] = re.compile(
    r"(?i)\btemporar(?:y|ily)\s+(?:fix|hack|solution|workaround|patch|measure|kludge|hard-?code[ds]?|until|disabled?)\b"
)
_PROSE_TAGS = frozenset({"workaround", "temporary"})
_ANY_TAG = re.compile(r"(?i)todo|fixme|hack|xxx|kludge|bug|optimize|refactor|work[- ]?around|temporar")
_PROSE_WINDOW = 8
_TOOL_MARKER = re.compile(
    r"^\s*(?:type:|noqa|pragma|expect:|mldebt:|fmt:|pylint:|isort:|nosec|pyright:|mypy:|ruff:|-\*-|!)",
    re.IGNORECASE,
)
_VENDORED = frozenset({"vendor", "vendored", "_vendor", "third_party", "thirdparty", "third-party", "site-packages"})


def _tagged(tag: str, pattern: re.Pattern[str], text: str, words_before: int) -> bool:
    match = pattern.search(text)
    if match is None:
        return False
    if tag in _PROSE_TAGS:
        # a word of prose: an admission says it first ("workaround for ..."), a paragraph of
        # documentation exported from a notebook mentions it in passing
        return words_before + len(text[: match.start()].split()) < _PROSE_WINDOW
    return True


def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD706: a TODO/FIXME/HACK/XXX (or "workaround") comment in ML code."""
    if is_test_path(ctx.rel) or _VENDORED & set(ctx.rel.split("/")[:-1]):
        return
    if not ctx.imports_any(*_ML_ROOTS, *_DATA_ROOTS) and ".fit(" not in ctx.text and ".predict(" not in ctx.text:
        return
    if not _ANY_TAG.search(ctx.text):
        return  # no tag word anywhere: spare the tokenizer (the costliest step on big files)
    previous = (0, 0, 0)  # line, column and words so far of the paragraph of full-line comments
    for line, col, text in ctx.comments:
        full_line = line <= len(ctx.lines) and not ctx.lines[line - 1][: col - 1].strip()
        before = previous[2] if full_line and previous[:2] == (line - 1, col) else 0
        previous = (line, col, before + len(text.lstrip("#").split())) if full_line else (0, 0, 0)
        segments = text.lstrip("#").split("#")
        for i, segment in enumerate(segments):
            if _TOOL_MARKER.match(segment):
                continue
            words = before + len("#".join(segments[:i]).split())
            tag = next((t for t, p in _TAGS.items() if _tagged(t, p, segment.strip(), words)), None)
            if tag is None:
                continue
            # quote from the tag's segment up to a tooling marker that follows it
            end = next((j for j in range(i + 1, len(segments)) if _TOOL_MARKER.match(segments[j])), len(segments))
            quoted = " ".join("#".join(segments[i:end]).split())
            if len(quoted) > 70:
                quoted = quoted[:67] + "..."
            yield Smell(
                rule="MLD706",
                span=Span(line, col, line, col + len(text)),
                message=f'{tag} comment admits debt: "{quoted}"',
                key=f"{tag}|{' '.join(text.split()).lower()}",
                data=(("tag", tag),),
            )
            break
