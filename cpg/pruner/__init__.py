"""Ownership and picking masks, gradual pruning, capacity accounting; structured channel pruning."""

from cpg.pruner.budget import within_flops
from cpg.pruner.capacity import LayerCapacity, free_share, layer_capacity, owned_share, picked_share
from cpg.pruner.channel import ScoredSpace, global_threshold, keep_masks, per_layer, score_spaces, uniform
from cpg.pruner.magnitude import MagnitudePruner, cubic_sparsity
from cpg.pruner.ownership import (
    begin_learning,
    claim_free_weights,
    commit,
    picking_logits,
    refresh_learning,
    reset_picking,
    set_direct_gradients,
    set_weight_decay,
    shared_weights,
    task_parameters,
    train_only,
)

__all__ = [
    "LayerCapacity",
    "MagnitudePruner",
    "ScoredSpace",
    "begin_learning",
    "claim_free_weights",
    "commit",
    "cubic_sparsity",
    "free_share",
    "global_threshold",
    "keep_masks",
    "layer_capacity",
    "owned_share",
    "per_layer",
    "picked_share",
    "picking_logits",
    "refresh_learning",
    "reset_picking",
    "score_spaces",
    "set_direct_gradients",
    "set_weight_decay",
    "shared_weights",
    "task_parameters",
    "train_only",
    "uniform",
    "within_flops",
]
