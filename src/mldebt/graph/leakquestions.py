"""The per-rule questions of leakage across modules: MLD801, MLD802 and MLD805 asked of a step
(a fit, a statistic or a resampling) that a summary instantiated by graph/leakage.py made, when
its rows reach a split or a cross-validation (or, for MLD805, when it is fit). Each decides its
rule's finding and words it; graph/leakage.py instantiates the summaries, finds which steps'
rows cross a module into which split, and keeps one finding per place.

They live here, not in the rule modules beside the parse phase's questions: the project phase
runs in the graph layer (graph/build.py puts its findings in `Built.smells`), and the graph layer
imports nothing of `mldebt.rules` (tests/test_layers.py). They ask the summaries' records (spans
in other files, no `ast`), so they do not share code with the parse phase's questions.
"""

from __future__ import annotations

from dataclasses import dataclass

from mldebt.parse.facts import Evidence, LeakEvent, Smell, Span

Tokens = frozenset[str]
Origin = tuple[str, str, Span, str]  # (callee label, its file, its line, its source)


@dataclass(frozen=True, slots=True)
class Step:
    """A fit, a statistic or a resampling, with where it happens and what it saw."""

    token: str
    op: str  # "fit" | "stat" | "resample"
    cls: str
    kind: str
    data: Tokens
    site: tuple[str, Span]  # the caller's line: its own fit, or the call that leads to the callee's
    origin: Origin | None  # where in a callee it happens, or None (the caller itself)
    instance: int  # which instance of a callee made it (0: the caller itself)


def joined(tokens: Tokens) -> str:
    """A train+test concatenation the rows went through: the first, as a token ("" if none)."""
    return min((t for t in tokens if t.startswith("transductive")), default="")


def side(token: str) -> str:
    """ "train" / "test" for a split side (of the caller, or "K/train:#I" of a callee's), else ""."""
    kind = token.rpartition("/")[2].partition(":")[0]
    return kind if kind in ("train", "test") else ""


def preprocessing_leak(
    step: Step, ev: LeakEvent, site: tuple[str, Span], origin: Origin | None, cv: bool
) -> tuple[Smell, str] | None:
    """MLD801: a fit's or a statistic's rows reach the split or cross-validation `ev` (inside the
    callee `origin`, or the caller's own when None); no finding when it saw only a side of a
    split (a test side is MLD805's)."""
    if any(side(t) for t in step.data):
        return None  # fit on a training side (or a test side: MLD805's finding)
    path, span = step.site
    cls = step.cls.rsplit(".", 1)[-1]
    supervised = step.kind == "supervised"
    how = "are then cross-validated by" if cv else "are then split into train and test by"
    where = f"`{ev.text}`"
    if origin is not None:
        where += f" inside `{origin[0]}()` in `{origin[1]}`"
    if step.op == "stat":
        what = f"`{step.origin[3] if step.origin else cls}` is a statistic of all rows, and the data built from it"
        tail = "the test rows shaped the training data"
    elif supervised:
        what = f"`{cls}` learns from the target and the features of rows that"
        tail = "the evaluation sees data the preprocessing was fit on"
    else:
        what = f"`{cls}` learns its statistics from rows that"
        tail = "the evaluation sees data the preprocessing was fit on"
    message = f"{what} {how} {where}: {tail}"
    confidence = "medium" if cv and not supervised else ""
    concat = joined(step.data)
    if concat:
        confidence = "medium"
        at = ""
        if concat.startswith("transductive:"):
            label, _, file = concat.removeprefix("transductive:").partition(":")
            at = f" inside `{label}()` in `{file}`"
        if step.op == "stat":
            subject, verb, made = (
                f"`{step.origin[3] if step.origin else ev.text}`",
                "computed",
                "statistic was computed",
            )
        else:
            subject, verb, made = f"`{cls}`", "fit", "preprocessing was fit"
        message = (
            f"{subject} is {verb} on the training rows and the unlabelled test rows together (transductive "
            f"preprocessing: train and test are concatenated{at} before the {verb}), and the training rows {how} "
            f"{where}: the validation score comes from rows the {made} on"
        )
    related: list[Evidence] = []
    if step.origin is not None:
        label, opath, ospan, otext = step.origin
        verb = "statistic is computed" if step.op == "stat" else "fit happens"
        message += f" (the {verb} inside `{label}()` in `{opath}`, line {ospan.line}: `{otext}`)"
        done = f"`{otext}` is computed" if step.op == "stat" else f"`{cls}` is fit"
        related.append(Evidence(ospan, f"{done} here, inside `{label}()`", opath))
    if origin is not None:
        related.append(Evidence(ev.span, f"the rows are {'cross-validated' if cv else 'split'} here", origin[1]))
    if site[0] == path and site[1] != span:
        reach = "the rows it summarises" if step.op == "stat" else "the rows it was fit on"
        related.append(Evidence(site[1], f"{reach} reach the evaluation here"))
    text = step.origin[3] if step.origin else ev.text
    smell = Smell(
        "MLD801",
        span,
        message,
        key=f"cross:{step.op}:{cls}:{text}",
        related=tuple(related),
        confidence=confidence,
        data=(("supervised", "yes" if supervised else "no"),),
    )
    return smell, path


def resampled_before_split(step: Step, ev: LeakEvent, origin: Origin | None) -> tuple[Smell, str]:
    """MLD802: rows a resampling made reach the split `ev`: copies of training rows land in the
    test set."""
    path, span = step.site
    related = []
    text = step.origin[3] if step.origin else step.cls
    if step.origin is not None:
        related.append(
            Evidence(step.origin[2], f"rows are resampled here, inside `{step.origin[0]}()`", step.origin[1])
        )
    if origin is not None:
        related.append(Evidence(ev.span, "the resampled data is split here", origin[1]))
    message = (
        f"`{text}` makes new rows before the split `{ev.text}`"
        f"{f' inside `{origin[0]}()` in `{origin[1]}`' if origin else ''}: copies and synthetic "
        "neighbours of training rows land in the test set"
    )
    if step.origin is not None:
        message += f" (the rows are made inside `{step.origin[0]}()` in `{step.origin[1]}`, line {step.origin[2].line})"
    return Smell("MLD802", span, message, key=f"cross-resample:{text}", related=tuple(related)), path


def fit_on_test_side(step: Step, prefix: str) -> tuple[Smell, str] | None:
    """MLD805: a helper fits a preprocessor on rows that are only a test side of the caller's split
    (`prefix`: the tokens of the helper's own instance, whose splits are its own business)."""
    tests = [t for t in step.data if side(t) == "test"]
    trains = [t for t in step.data if side(t) == "train"]
    if not tests or trains or all(t.startswith(prefix) for t in tests) or step.origin is None:
        return None
    label, opath, ospan, otext = step.origin
    cls = step.cls.rsplit(".", 1)[-1]
    where = f"inside `{label}()` in `{opath}` (line {ospan.line}: `{otext}`)"
    fit = Evidence(ospan, f"`{cls}` is fit here, inside `{label}()`", opath)
    return _test_side_fit(step, cls, where, fit, f"cross-test-refit:{cls}:{otext}")


def own_fit_on_test_side(step: Step, text: str, split_at: dict[str, tuple[str, str, Span]]) -> tuple[Smell, str] | None:
    """MLD805: the caller fits a preprocessor on rows that are only a test side a helper in another
    module split off (and returned, in a tuple or a dict: `load_splits(...)["test"]`)."""
    tests = sorted(t for t in step.data if side(t) == "test" and t in split_at)
    if not tests or any(side(t) == "train" for t in step.data):
        return None
    label, spath, sspan = split_at[tests[0]]
    cls = step.cls.rsplit(".", 1)[-1]
    where = f"split off inside `{label}()` in `{spath}` (line {sspan.line})"
    split = Evidence(sspan, f"the rows are split here, inside `{label}()`", spath)
    return _test_side_fit(step, cls, where, split, f"cross-own-test-fit:{cls}:{text}")


def _test_side_fit(step: Step, cls: str, where: str, evidence: Evidence, key: str) -> tuple[Smell, str]:
    message = (
        f"`{cls}` is fit on a test side {where}: the test rows are transformed with their own "
        "statistics instead of the training set's, so train and test are on different scales"
    )
    path, span = step.site
    return Smell("MLD805", span, message, key=key, related=(evidence,)), path
