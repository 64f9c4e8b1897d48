"""Training: one epoch (`train_epoch`, `evaluate`) and the resumable loop every stage and
workflow runs (`EpochLoop`)."""

from cpg.engine.epoch import (EpochStats, LossFn, NonFiniteError, StepHook, TrainStep, check_finite, correct_predictions,
                              evaluate, train_epoch)
from cpg.engine.loop import (EpochLoop, EpochRecord, EpochReport, LoopHook, LoopPosition, LoopStore, MemoryStore,
                              Schedule, Score, state_copy)

__all__ = [
    "EpochLoop",
    "EpochRecord",
    "EpochReport",
    "EpochStats",
    "LoopHook",
    "LoopPosition",
    "LoopStore",
    "LossFn",
    "MemoryStore",
    "NonFiniteError",
    "Schedule",
    "Score",
    "StepHook",
    "TrainStep",
    "check_finite",
    "correct_predictions",
    "evaluate",
    "state_copy",
    "train_epoch",
]
