"""The rule registry: an explicit tuple, in id order."""

from __future__ import annotations

from mldebt.rules.base import Hit, Rule
from mldebt.rules.mld101_entangled_model_inputs import EntangledModelInputs
from mldebt.rules.mld201_undeclared_data_dependency import UndeclaredDataDependency
from mldebt.rules.mld301_feedback_loop import FeedbackLoop
from mldebt.rules.mld401_pipeline_jungle import PipelineJungle
from mldebt.rules.mld811_nan_equivalence import NanEquivalence

REGISTRY: tuple[type[Rule], ...] = (
    EntangledModelInputs,
    UndeclaredDataDependency,
    FeedbackLoop,
    PipelineJungle,
    NanEquivalence,
)

__all__ = ["REGISTRY", "Hit", "Rule"]
