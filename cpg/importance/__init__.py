"""Importance scores that pruners turn into masks: per weight (`WeightScore`) or per output
channel (`ChannelMetric`), one interface for both (see `cpg.importance.base`)."""

from cpg.importance.base import Batches, ChannelMetric, WeightScore
from cpg.importance.batchnorm import BatchNormScale
from cpg.importance.build import METRICS, build_metric
from cpg.importance.class_relevance import ClassRelevance, class_relevance, min_max
from cpg.importance.learned_mask import LearnedMask
from cpg.importance.magnitude import magnitude
from cpg.importance.norm import ChannelNorm, L1Norm, L2Norm
from cpg.importance.taps import LayerTap, per_channel
from cpg.importance.taylor import Taylor

__all__ = [
    "METRICS",
    "Batches",
    "BatchNormScale",
    "ChannelMetric",
    "ChannelNorm",
    "ClassRelevance",
    "L1Norm",
    "L2Norm",
    "LayerTap",
    "LearnedMask",
    "Taylor",
    "WeightScore",
    "build_metric",
    "class_relevance",
    "magnitude",
    "min_max",
    "per_channel",
]
