"""Channel metrics by name, for configs and the command line: each metric class registers itself
in `cpg.registry.METRICS` beside its definition."""

from cpg.importance.base import ChannelMetric
from cpg.registry import METRICS


def build_metric(name: str) -> ChannelMetric:
    return METRICS.get(name)()
