"""Deployable models: physical slimming, standalone programs, inference cost."""

from cpg.export.cost import count_flops, median_latencies
from cpg.export.slim import slim
from cpg.export.standalone import save_standalone
from cpg.export.unused import exact_keep

__all__ = [
    "count_flops",
    "exact_keep",
    "median_latencies",
    "save_standalone",
    "slim",
]
