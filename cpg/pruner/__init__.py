"""Ownership and picking masks, gradual pruning, capacity accounting."""

from cpg.pruner.capacity import LayerCapacity, free_share, layer_capacity, owned_share, picked_share
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
    "begin_learning",
    "claim_free_weights",
    "commit",
    "cubic_sparsity",
    "free_share",
    "layer_capacity",
    "owned_share",
    "picked_share",
    "picking_logits",
    "refresh_learning",
    "reset_picking",
    "set_direct_gradients",
    "set_weight_decay",
    "shared_weights",
    "task_parameters",
    "train_only",
]
