"""Typed run configuration: schema, YAML loading, validation, epoch scaling."""

from cpg.config.loading import build_config, read_pipeline, read_yaml, to_mapping
from cpg.config.scale import one_shot_epochs, scale_epochs
from cpg.config.schema import FinetuneConfig, GoalConfig, PruneConfig, RetrainConfig, RunConfig
from cpg.config.validation import setting_value

__all__ = [
    "FinetuneConfig",
    "GoalConfig",
    "PruneConfig",
    "RetrainConfig",
    "RunConfig",
    "build_config",
    "read_pipeline",
    "read_yaml",
    "one_shot_epochs",
    "scale_epochs",
    "setting_value",
    "to_mapping",
]
