"""The rule registry: an explicit tuple, in id order."""

from __future__ import annotations

from mldebt.rules.base import Hit, Rule
from mldebt.rules.mld101_entangled_model_inputs import EntangledModelInputs
from mldebt.rules.mld201_undeclared_data_dependency import UndeclaredDataDependency
from mldebt.rules.mld301_feedback_loop import FeedbackLoop
from mldebt.rules.mld401_pipeline_jungle import PipelineJungle
from mldebt.rules.mld801_preprocessing_leakage import PreprocessingLeakage
from mldebt.rules.mld802_overlap_leakage import OverlapLeakage
from mldebt.rules.mld803_multi_test_leakage import MultiTestLeakage
from mldebt.rules.mld804_evaluation_on_training_data import EvaluationOnTrainingData
from mldebt.rules.mld811_nan_equivalence import NanEquivalence

REGISTRY: tuple[type[Rule], ...] = (
    EntangledModelInputs,
    UndeclaredDataDependency,
    FeedbackLoop,
    PipelineJungle,
    PreprocessingLeakage,
    OverlapLeakage,
    MultiTestLeakage,
    EvaluationOnTrainingData,
    NanEquivalence,
)

__all__ = ["REGISTRY", "Hit", "Rule"]
