"""Channel metrics by name, for configs and the command line."""

from cpg.errors import UserError
from cpg.metrics.base import ChannelMetric
from cpg.metrics.batchnorm import BatchNormScale
from cpg.metrics.class_relevance import ClassRelevance
from cpg.metrics.norm import L1Norm, L2Norm
from cpg.metrics.taylor import Taylor

METRICS: dict[str, type[ChannelMetric]] = {
    metric.name: metric for metric in (L1Norm, L2Norm, BatchNormScale, Taylor, ClassRelevance)
}


def build_metric(name: str) -> ChannelMetric:
    if name not in METRICS:
        raise UserError(f"unknown metric {name!r}; choose one of: {', '.join(METRICS)}")
    return METRICS[name]()
