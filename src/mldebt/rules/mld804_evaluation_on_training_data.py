"""MLD804 evaluation-on-training-data: a model scored only on the rows it was fit on (asked of
the leakage data flow of parse/detectors/leakflow.py)."""

from __future__ import annotations

from collections.abc import Iterator

from mldebt.parse.detectors.context import FileContext
from mldebt.parse.detectors.leakflow import Eval, flow_of, shown, signature
from mldebt.parse.facts import Smell
from mldebt.rules.base import FileRule


class EvaluationOnTrainingData(FileRule):
    id = "MLD804"
    name = "evaluation-on-training-data"
    skips_tests = True


# detection ------------------------------------------------------------------------------

# clustering and density models are scored on the data they describe
_UNSUPERVISED = (
    "sklearn.cluster.",
    "sklearn.mixture.",
    "sklearn.decomposition.",
    "sklearn.manifold.",
    "sklearn.neighbors.NearestNeighbors",
    "sklearn.neighbors.KernelDensity",
    "sklearn.neighbors.LocalOutlierFactor",
    "sklearn.ensemble.IsolationForest",
    "sklearn.svm.OneClassSVM",
    "sklearn.covariance.",
)


def detect(ctx: FileContext) -> Iterator[Smell]:
    """Every evaluation of a model scores the rows of the fit it scores (a model handed to code
    we do not see, or cross-validated, may be evaluated elsewhere)."""
    flow = flow_of(ctx)
    if flow is None:
        return
    for at in flow.scopes:
        by_model: dict[str, list[Eval]] = {}
        for ev in at.s.evals:
            by_model.setdefault(ev.model, []).append(ev)
        for name, evals in sorted(by_model.items()):
            fits = at.s.model_fits.get(name)
            if not fits or name in at.s.escaped or name in at.s.cv_evaluated:
                continue
            fit = fits[-1]
            if fit.cls.startswith(_UNSUPERVISED):
                continue
            scored = [fits[e.fit_no - 1] if 1 <= e.fit_no <= len(fits) else fit for e in evals]
            sigs = [signature(f.data) for f in scored]
            if any(not sig or any(t.startswith("test:") for t in sig) for sig in sigs):
                continue  # fit on test rows: MLD802's finding
            if all(signature(e.data) == sig for e, sig in zip(evals, sigs, strict=True)):
                fit = scored[0]
                ev = evals[0]
                yield ctx.smell(
                    "MLD804",
                    ev.node,
                    f"`{shown(name)}` is evaluated only on the data it was fit on: "
                    "the score measures memory, not generalisation",
                    key=f"train-eval:{shown(name)}",
                    related=((fit.node, "fit on this data"),),
                )
