"""File rules' detectors: functions over one file's `ast` tree that report smells.

A detector takes a `FileContext` and yields `Smell`s (a file rule's findings) and `KeyUse`s
(configuration keys, joined across files by the graph rules). A file rule's detector lives in
its rule module, next to its options: `mldebt.rules.mldNNN_name.detect` (as in ruff, the
checker calls the rules: `FILE_RULES` names them, imported lazily, so this layer has no import
of `mldebt.rules`). Analyses several rules share are modules here (`context.py` names and
scopes, `types.py` value kinds, ...), memoised per file (`FileContext.analysis`). The area
modules not moved yet list their detectors in `DETECTORS`, as does `config_keys.py`, a shared
analysis whose facts (`KeyUse`s) no file rule owns: MLD501-MLD503 and the graph read them. All of them share the file's one
`ast` parse. A detector that raises costs its own findings in that file, never the file's other
facts (with MLDEBT_STRICT=1, as in the tests, it raises).
"""

from __future__ import annotations

import ast
import importlib
import os
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.facts import IO, KeyUse, LeakSummary, Smell, Summary
from mldebt.parse.values import Text

Detector = Callable[[FileContext], Iterable[Smell | KeyUse | LeakSummary | Summary]]


# the modules whose detectors run, in this order: file rule modules (their `detect`), and
# shared analyses that emit facts no file rule owns: `config_keys` (key uses for the graph
# rules; its `DETECTORS`) and `leakflow` (the leakage summaries for the project phase; its
# `detect`). The facts cache key hashes these files (`parse/cache.py`), so a changed detector never serves stale smells.
FILE_RULES: tuple[str, ...] = (
    "mldebt.rules.mld202_unstable_data_dependency",
    "mldebt.rules.mld203_underutilized_data_dependency",
    "mldebt.rules.mld410_plain_old_data",
    "mldebt.rules.mld404_commented_out_code",
    "mldebt.rules.mld403_dead_experimental_codepath",
    "mldebt.rules.mld405_abstraction_debt",
    "mldebt.rules.mld402_glue_code",
    "mldebt.rules.mld406_multiple_language",
    "mldebt.rules.mld407_sys_path_hack",
    "mldebt.rules.mld408_swallowed_model_error",
    "mldebt.rules.mld409_scratch_code_import",
    "mldebt.parse.detectors.config_keys",
    "mldebt.rules.mld504_hardcoded_hyperparameter",
    "mldebt.rules.mld505_exec_as_config",
    "mldebt.rules.mld601_fixed_threshold",
    "mldebt.rules.mld602_unmonitored_prediction",
    "mldebt.rules.mld701_unvalidated_external_data",
    "mldebt.rules.mld706_self_admitted_debt",
    "mldebt.rules.mld811_nan_equivalence",
    "mldebt.rules.mld812_unnecessary_iteration",
    "mldebt.rules.mld813_chain_indexing",
    "mldebt.rules.mld814_columns_and_dtype_not_set",
    "mldebt.rules.mld815_empty_column_misinitialization",
    "mldebt.rules.mld816_merge_parameters_not_set",
    "mldebt.rules.mld817_inplace_api_misused",
    "mldebt.rules.mld818_dataframe_conversion_api_misused",
    "mldebt.rules.mld819_matrix_multiplication_api_misused",
    "mldebt.rules.mld820_broadcasting_feature_not_used",
    "mldebt.rules.mld821_missing_mask_of_invalid_value",
    "mldebt.rules.mld823_scaling_missing",
    "mldebt.rules.mld824_hyperparameters_not_set",
    "mldebt.rules.mld825_memory_not_freed",
    "mldebt.rules.mld826_train_eval_mode_not_toggled",
    "mldebt.rules.mld827_forward_called_directly",
    "mldebt.rules.mld828_gradients_not_cleared",
    "mldebt.rules.mld829_tensorarray_not_used",
    "mldebt.rules.mld830_threshold_dependent_validation",
    "mldebt.parse.detectors.leakflow",  # the leakage data flow's function summaries (facts, no smells)
    "mldebt.rules.mld801_preprocessing_leakage",
    "mldebt.rules.mld802_overlap_leakage",
    "mldebt.rules.mld803_multi_test_leakage",
    "mldebt.rules.mld804_evaluation_on_training_data",
    "mldebt.rules.mld805_refit_on_test_split",
    "mldebt.rules.mld702_unseeded_randomness",
    "mldebt.rules.mld703_missing_random_state",
    "mldebt.rules.mld704_nondeterministic_algorithm",
)


@lru_cache(maxsize=1)
def detectors() -> tuple[Detector, ...]:
    # imported here, not at the top: a run served from the cache needs no detector
    out: list[Detector] = []
    for name in FILE_RULES:
        module = importlib.import_module(name)
        detect: Detector | None = getattr(module, "detect", None)
        out.extend([detect] if detect is not None else module.DETECTORS)
    return tuple(out)


def run_detectors(
    rel: str, module: str, text: str, tree: ast.Module, cell_starts: tuple[int, ...] = ()
) -> tuple[tuple[Smell, ...], tuple[KeyUse, ...], tuple[LeakSummary, ...]]:
    smells, uses, leaks, _ = run_all(rel, module, text, tree, cell_starts)
    return smells, uses, leaks


def run_all(
    rel: str,
    module: str,
    text: str,
    tree: ast.Module,
    cell_starts: tuple[int, ...] = (),
    io_sites: Mapping[int, IO] | None = None,
    shown_sites: Mapping[int, Text | None] | None = None,
    bound_sites: Mapping[int, ast.expr] | None = None,
) -> tuple[tuple[Smell, ...], tuple[KeyUse, ...], tuple[LeakSummary, ...], tuple[Summary, ...]]:
    """Smells, key uses and function summaries (leakage flows through calls; what functions
    return, for file rules across functions): all that the project phase needs of the detectors.
    `io_sites` are the extractor's I/O facts by call node (`FileContext.io_of`), `shown_sites`
    their targets as the file shows them (`FileContext.text_of`), `bound_sites` the expressions
    names are bound to where detectors ask (`FileContext.bound_of`)."""
    ctx = FileContext(
        rel,
        module,
        text,
        tree,
        notebook=rel.endswith(".ipynb"),
        cell_starts=cell_starts,
        io_sites=io_sites,
        shown_sites=shown_sites,
        bound_sites=bound_sites,
    )
    smells: list[Smell] = []
    uses: list[KeyUse] = []
    leaks: list[LeakSummary] = []
    summaries: list[Summary] = []
    strict = os.environ.get("MLDEBT_STRICT") == "1"
    for detect in detectors():
        try:
            found = list(detect(ctx))
        except Exception:
            if strict:
                raise
            continue
        for item in found:
            if isinstance(item, Smell):
                smells.append(item)
            elif isinstance(item, LeakSummary):
                leaks.append(item)
            elif isinstance(item, Summary):
                summaries.append(item)
            else:
                uses.append(item)
    smells.sort(key=lambda s: (s.span.line, s.span.column, s.rule, s.message))
    uses.sort(key=lambda u: (u.span.line, u.span.column, u.source, u.op, u.key))
    summaries.sort(key=lambda x: (x.function, x.span.line, x.span.column, x.kind))
    return tuple(smells), tuple(uses), tuple(leaks), tuple(summaries)
