"""Pruning: gradual magnitude pruning of a task's own weights, structured channel pruning."""

from cpg.pruner.budget import within_flops
from cpg.pruner.channel import ScoredSpace, global_threshold, keep_masks, per_layer, score_spaces, uniform
from cpg.pruner.magnitude import MagnitudePruner, cubic_sparsity

__all__ = [
    "MagnitudePruner",
    "ScoredSpace",
    "cubic_sparsity",
    "global_threshold",
    "keep_masks",
    "per_layer",
    "score_spaces",
    "uniform",
    "within_flops",
]
