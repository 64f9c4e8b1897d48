"""Channel metrics by name, for configs and the command line."""

from cpg.importance.base import ChannelMetric
from cpg.importance.batchnorm import BatchNormScale
from cpg.importance.class_relevance import ClassRelevance
from cpg.importance.norm import L1Norm, L2Norm
from cpg.importance.taylor import Taylor
from cpg.registry import Registry

METRICS: Registry[type[ChannelMetric]] = Registry("metric")
for _metric in (L1Norm, L2Norm, BatchNormScale, Taylor, ClassRelevance):
    METRICS.add(_metric.name, _metric)


def build_metric(name: str) -> ChannelMetric:
    return METRICS.get(name)()
