"""Importance scores that pruners turn into masks: per weight (`WeightScore`) or per output
channel (`ChannelMetric`), one interface for both (see `cpg.metrics.base`)."""

from cpg.metrics.base import Batches, ChannelMetric, WeightScore
from cpg.metrics.batchnorm import BatchNormScale
from cpg.metrics.class_relevance import ClassRelevance, class_relevance, min_max
from cpg.metrics.learned_mask import LearnedMask
from cpg.metrics.magnitude import magnitude
from cpg.metrics.norm import ChannelNorm, L1Norm, L2Norm
from cpg.metrics.registry import METRICS, build_metric
from cpg.metrics.taps import LayerTap, per_channel
from cpg.metrics.taylor import Taylor

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
