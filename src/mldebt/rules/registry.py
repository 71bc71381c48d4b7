"""The rule registry: an explicit tuple, in id order."""

from __future__ import annotations

from mldebt.rules.base import Rule
from mldebt.rules.mld101_entangled_model_inputs import EntangledModelInputs
from mldebt.rules.mld102_correction_cascade import CorrectionCascade
from mldebt.rules.mld103_undeclared_consumer import UndeclaredConsumer
from mldebt.rules.mld104_shared_feature_builder import SharedFeatureBuilder
from mldebt.rules.mld201_undeclared_data_dependency import UndeclaredDataDependency
from mldebt.rules.mld202_unstable_data_dependency import UnstableDataDependency
from mldebt.rules.mld203_underutilized_data_dependency import UnderutilizedDataDependency
from mldebt.rules.mld301_feedback_loop import FeedbackLoop
from mldebt.rules.mld401_pipeline_jungle import PipelineJungle
from mldebt.rules.mld402_glue_code import GlueCode
from mldebt.rules.mld403_dead_experimental_codepath import DeadExperimentalCodepath
from mldebt.rules.mld404_commented_out_code import CommentedOutCode
from mldebt.rules.mld405_abstraction_debt import AbstractionDebt
from mldebt.rules.mld406_multiple_language import MultipleLanguage
from mldebt.rules.mld407_sys_path_hack import SysPathHack
from mldebt.rules.mld408_swallowed_model_error import SwallowedModelError
from mldebt.rules.mld409_scratch_code_import import ScratchCodeImport
from mldebt.rules.mld410_plain_old_data import PlainOldData
from mldebt.rules.mld501_undefined_config_key import UndefinedConfigKey
from mldebt.rules.mld502_unused_config_key import UnusedConfigKey
from mldebt.rules.mld503_conflicting_config_defaults import ConflictingConfigDefaults
from mldebt.rules.mld504_hardcoded_hyperparameter import HardcodedHyperparameter
from mldebt.rules.mld505_exec_as_config import ExecAsConfig
from mldebt.rules.mld506_scattered_env_vars import ScatteredEnvVars
from mldebt.rules.mld601_fixed_threshold import FixedThreshold
from mldebt.rules.mld602_unmonitored_prediction import UnmonitoredPrediction
from mldebt.rules.mld701_unvalidated_external_data import UnvalidatedExternalData
from mldebt.rules.mld702_unseeded_randomness import UnseededRandomness
from mldebt.rules.mld703_missing_random_state import MissingRandomState
from mldebt.rules.mld704_nondeterministic_algorithm import NondeterministicAlgorithm
from mldebt.rules.mld705_unpinned_dependency import UnpinnedDependency
from mldebt.rules.mld706_self_admitted_debt import SelfAdmittedDebt
from mldebt.rules.mld707_unused_suppression import UnusedSuppression
from mldebt.rules.mld801_preprocessing_leakage import PreprocessingLeakage
from mldebt.rules.mld802_overlap_leakage import OverlapLeakage
from mldebt.rules.mld803_multi_test_leakage import MultiTestLeakage
from mldebt.rules.mld804_evaluation_on_training_data import EvaluationOnTrainingData
from mldebt.rules.mld805_refit_on_test_split import RefitOnTestSplit
from mldebt.rules.mld811_nan_equivalence import NanEquivalence
from mldebt.rules.mld812_unnecessary_iteration import UnnecessaryIteration
from mldebt.rules.mld813_chain_indexing import ChainIndexing
from mldebt.rules.mld814_columns_and_dtype_not_set import ColumnsAndDtypeNotSet
from mldebt.rules.mld815_empty_column_misinitialization import EmptyColumnMisinitialization
from mldebt.rules.mld816_merge_parameters_not_set import MergeParametersNotSet
from mldebt.rules.mld817_inplace_api_misused import InplaceApiMisused
from mldebt.rules.mld818_dataframe_conversion_api_misused import DataframeConversionApiMisused
from mldebt.rules.mld819_matrix_multiplication_api_misused import MatrixMultiplicationApiMisused
from mldebt.rules.mld820_broadcasting_feature_not_used import BroadcastingFeatureNotUsed
from mldebt.rules.mld821_missing_mask_of_invalid_value import MissingMaskOfInvalidValue
from mldebt.rules.mld823_scaling_missing import ScalingMissing
from mldebt.rules.mld824_hyperparameters_not_set import HyperparametersNotSet
from mldebt.rules.mld825_memory_not_freed import MemoryNotFreed
from mldebt.rules.mld826_train_eval_mode_not_toggled import TrainEvalModeNotToggled
from mldebt.rules.mld827_forward_called_directly import ForwardCalledDirectly
from mldebt.rules.mld828_gradients_not_cleared import GradientsNotCleared
from mldebt.rules.mld829_tensorarray_not_used import TensorarrayNotUsed
from mldebt.rules.mld830_threshold_dependent_validation import ThresholdDependentValidation

REGISTRY: tuple[type[Rule], ...] = (
    EntangledModelInputs,
    CorrectionCascade,
    UndeclaredConsumer,
    SharedFeatureBuilder,
    UndeclaredDataDependency,
    UnstableDataDependency,
    UnderutilizedDataDependency,
    FeedbackLoop,
    PipelineJungle,
    GlueCode,
    DeadExperimentalCodepath,
    CommentedOutCode,
    AbstractionDebt,
    MultipleLanguage,
    SysPathHack,
    SwallowedModelError,
    ScratchCodeImport,
    PlainOldData,
    UndefinedConfigKey,
    UnusedConfigKey,
    ConflictingConfigDefaults,
    HardcodedHyperparameter,
    ExecAsConfig,
    ScatteredEnvVars,
    FixedThreshold,
    UnmonitoredPrediction,
    UnvalidatedExternalData,
    UnseededRandomness,
    MissingRandomState,
    NondeterministicAlgorithm,
    UnpinnedDependency,
    SelfAdmittedDebt,
    UnusedSuppression,
    PreprocessingLeakage,
    OverlapLeakage,
    MultiTestLeakage,
    EvaluationOnTrainingData,
    RefitOnTestSplit,
    NanEquivalence,
    UnnecessaryIteration,
    ChainIndexing,
    ColumnsAndDtypeNotSet,
    EmptyColumnMisinitialization,
    MergeParametersNotSet,
    InplaceApiMisused,
    DataframeConversionApiMisused,
    MatrixMultiplicationApiMisused,
    BroadcastingFeatureNotUsed,
    MissingMaskOfInvalidValue,
    ScalingMissing,
    HyperparametersNotSet,
    MemoryNotFreed,
    TrainEvalModeNotToggled,
    ForwardCalledDirectly,
    GradientsNotCleared,
    TensorarrayNotUsed,
    ThresholdDependentValidation,
)
