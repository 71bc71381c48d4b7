"""MLD504 hardcoded-hyperparameter: literal hyper-parameters beside a configuration system.

`detect` (below) asks the file's configuration scan (parse/detectors/config_keys.py, shared with
the key uses) whether the file reads a configuration system, or which functions receive one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from mldebt.parse.detectors import config_keys
from mldebt.parse.detectors.config_keys import literal_value
from mldebt.parse.detectors.context import FileContext, function_of
from mldebt.parse.facts import KeyUse, Smell, Span
from mldebt.rules.base import FileRule, Hit, data

if TYPE_CHECKING:
    from mldebt.graph.build import Built
    from mldebt.graph.configflow import Param


class HardcodedHyperparameter(FileRule):
    id = "MLD504"
    name = "hardcoded-hyperparameter"

    def check(self, built: Built) -> Iterator[Hit]:
        """A smell found in a function that receives a configuration parameter (`data`
        "carriers") stands only where some caller passes it a real configuration
        (graph/configflow.py); the call site is the evidence."""
        from mldebt.rules.mld501_undefined_config_key import site

        receivers = built.project.config_flow.receivers() if _any_carried(built) else {}
        yield from super().check(built)
        for path in sorted(built.project.files):
            for smell in built.project.files[path].smells:
                carriers = data(smell, "carriers") if smell.rule == self.id else ""
                if not carriers:
                    continue
                passed = _passed(receivers, path, carriers.split())
                if passed is None:
                    continue
                caller, span = passed
                yield Hit(
                    site=site(path, smell.span),
                    message=smell.message,
                    related=(site(caller, span, "the configuration is passed here"),),
                    key=smell.key,
                )

    def accept(self, smell: Smell) -> bool:
        return not data(smell, "carriers")


def _any_carried(built: Built) -> bool:
    return any(s.rule == "MLD504" and data(s, "carriers") for f in built.project.files.values() for s in f.smells)


def _passed(receivers: dict[Param, tuple[str, Span]], path: str, carriers: list[str]) -> tuple[str, Span] | None:
    from mldebt.graph.configflow import Param

    found = [receivers[p] for c in carriers if (p := Param(path, *c.rsplit(":", 1))) in receivers]
    return min(found, key=lambda s: (s[0], s[1].line, s[1].column)) if found else None


# detection ------------------------------------------------------------------------------


def detect(ctx: FileContext) -> Iterator[Smell]:
    """MLD504 candidates: every literal hyper-parameter in a file that reads a configuration
    system, or else those in functions that receive a configuration parameter (the rule keeps
    them where a caller passes one). Which of the two, the file's configuration scan says."""
    found = config_keys.scan(ctx)
    if found is None:
        return
    uses = found.uses
    if any(u.op in ("read", "pass") and u.source in ("config", "hydra", "argparse") for u in uses):
        yield from _hardcoded_hyperparameters(ctx)
    elif any(u.source == "param" for u in uses):
        # the graph phase keeps these only where a caller really passes a configuration
        yield from _hardcoded_hyperparameters(ctx, _carriers(ctx, uses))


def _carriers(ctx: FileContext, uses: tuple[KeyUse, ...]) -> dict[str, frozenset[str]]:
    """Per function (qualname): the summarised parameters whose configuration it reads, as
    `owner:param`; a method counts those of every method of its class (`self.cfg`)."""
    out: dict[str, set[str]] = {}
    for u in uses:
        if u.source == "param" and u.file.keys:
            out.setdefault(u.function, set()).add(f"{u.file.keys[0]}:{u.file.text}")
    classes = {n.name for n in ctx.tree.body if isinstance(n, ast.ClassDef)}
    by_class: dict[str, set[str]] = {}
    for function, found in out.items():
        head = function.rsplit(".", 1)[0] if "." in function else ""
        if head in classes:
            by_class.setdefault(head, set()).update(found)
    merged: dict[str, frozenset[str]] = {}
    for fn in ctx.functions:
        name = function_of(ctx, fn.body[0]) if fn.body else fn.name
        head = name.rsplit(".", 1)[0] if "." in name else ""
        found = out.get(name, set()) | by_class.get(head, set())
        if found:
            merged[name] = frozenset(found)
    return merged


_ESTIMATOR_MODULES = (
    "sklearn.ensemble.",
    "sklearn.linear_model.",
    "sklearn.svm.",
    "sklearn.tree.",
    "sklearn.neighbors.",
    "sklearn.naive_bayes.",
    "sklearn.neural_network.",
    "sklearn.gaussian_process.",
    "sklearn.kernel_ridge.",
    "sklearn.cluster.",
    "xgboost.",
    "lightgbm.",
    "catboost.",
    "torch.optim.",
    "tensorflow.keras.optimizers.",
    "keras.optimizers.",
)
_HF_ARGS = frozenset({"transformers.TrainingArguments", "transformers.Seq2SeqTrainingArguments"})
_NOT_HYPER = frozenset(
    {
        "random_state",
        "seed",
        "n_jobs",
        "nthread",
        "num_threads",
        "thread_count",
        "verbose",
        "verbosity",
        "silent",
        "device",
        "gpu_id",
        "devices",
        "cache_size",
        "logging_steps",
        "save_steps",
        "eval_steps",
        "save_total_limit",
        "dataloader_num_workers",
        "local_rank",
        "max_bin",
        "num_workers",
    }
)


def _hardcoded_hyperparameters(ctx: FileContext, carriers: dict[str, frozenset[str]] | None = None) -> Iterator[Smell]:
    """MLD504: a model or optimizer constructed with literal hyper-parameters in a file that reads
    a configuration system (the caller checks that), or, given `carriers`, in a function that
    reads a configuration parameter (`data` "carriers": which; the rule keeps the smell only when
    some caller passes it a configuration)."""
    for node in ctx.walk():
        if not isinstance(node, ast.Call):
            continue
        name = ctx.call_name(node) or ""
        last = name.rsplit(".", 1)[-1]
        if not (name in _HF_ARGS or (name.startswith(_ESTIMATOR_MODULES) and last[:1].isupper())):
            continue
        if "lr_scheduler" in name or "swa_utils" in name:
            continue
        literals = []
        for kw in node.keywords:
            if kw.arg is None or kw.arg in _NOT_HYPER:
                continue
            v = literal_value(kw.value)
            if v.kind == "num":
                literals.append(f"{kw.arg}={v.text}")
        if name.startswith("torch.optim.") and len(node.args) > 1 and literal_value(node.args[1]).kind == "num":
            literals.insert(0, f"lr={literal_value(node.args[1]).text}")
        if not literals:
            continue
        shown = ", ".join(literals[:4]) + (", ..." if len(literals) > 4 else "")
        if carriers is None:
            yield ctx.smell(
                "MLD504",
                node,
                f"`{last}` is given hard-coded hyper-parameters ({shown}) in a file that reads its settings "
                "from a configuration system: these bypass it",
                key=f"{name}|{shown}",
            )
            continue
        function = function_of(ctx, node)
        held = carriers.get(function)
        if not held:
            continue
        params = ", ".join(sorted({c.rsplit(":", 1)[1] for c in held}))
        own = all(c.rsplit(":", 1)[0] == function for c in held)
        where = "which receives" if own else "whose class keeps"
        yield ctx.smell(
            "MLD504",
            node,
            f"`{last}` is given hard-coded hyper-parameters ({shown}) in `{function}`, {where} its "
            f"settings as a configuration (`{params}`): these bypass it",
            key=f"{name}|{shown}",
            data=(("carriers", " ".join(sorted(held))),),
        )
