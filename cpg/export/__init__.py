"""Deployable models: physical slimming, standalone programs, inference cost."""

from cpg.export.channel_graph import ChannelSpace, Consumer, channel_spaces, output_layer
from cpg.export.cost import count_flops, median_latencies
from cpg.export.slim import slim
from cpg.export.standalone import save_standalone
from cpg.export.unused import exact_keep

__all__ = [
    "ChannelSpace",
    "Consumer",
    "channel_spaces",
    "count_flops",
    "exact_keep",
    "median_latencies",
    "output_layer",
    "save_standalone",
    "slim",
]
