"""Ownership transitions of a task: claim free weights, learn, commit (DESIGN.md §3)."""

from collections.abc import Collection

import torch
from torch import nn

from cpg.nn import Reuse, TaskNetwork


@torch.no_grad()
def claim_free_weights(network: TaskNetwork, task: int) -> dict[str, int]:
    """Hand every free weight to `task`; returns how many each layer gave it."""
    claimed = {}
    for name, layer in network.sharable_layers():
        free = layer.ownership == 0
        claimed[name] = int(free.sum())
        layer.ownership.masked_fill_(free, task)
    return claimed


def begin_learning(network: TaskNetwork, task: int, reuse: Reuse, trained: Collection[str] | None = None) -> None:
    """Set up every layer's learning masks for `task` (keeping picking masks already loaded).
    The layers named in `trained` train their weights (None: those where `task` owns weights):
    a task keeps training the layers it claimed weights in even after pruning emptied them, so
    the parameters its optimizer holds stay the same across a resume."""
    for name, layer in network.sharable_layers():
        trains = None if trained is None else name in trained
        layer.begin_learning(task, reuse, logits=layer.pick, trains_weight=trains)


def refresh_learning(network: TaskNetwork) -> None:
    """Re-read ownership after it changed (pruning, restoring a snapshot)."""
    for _, layer in network.sharable_layers():
        layer.refresh_learning()


def set_weight_decay(network: TaskNetwork, weight_decay: float) -> None:
    """Decay applied to the learning task's own weights inside the backward pass."""
    for _, layer in network.sharable_layers():
        if layer.learning is not None:
            layer.learning.weight_decay = weight_decay


def reset_picking(network: TaskNetwork) -> None:
    for _, layer in network.sharable_layers():
        if layer.learning is not None:
            layer.learning.reset_pick()


def commit(network: TaskNetwork, task: int) -> None:
    """Freeze `task`: its weights, BN and head never change again; its pick is stored as bits."""
    for _, layer in network.sharable_layers():
        layer.commit_learning()
    network.task(task).committed = True


def shared_weights(network: TaskNetwork) -> list[nn.Parameter]:
    """The shared weights the learning task trains (only its own entries receive gradient)."""
    return [layer.weight for _, layer in network.sharable_layers() if layer.learning and layer.learning.trains_weight]


def picking_logits(network: TaskNetwork) -> list[nn.Parameter]:
    """The real-valued picking masks of the learning task."""
    return [layer.pick for _, layer in network.sharable_layers() if layer.pick is not None and layer.learning.picking]


def task_parameters(network: TaskNetwork, task: int) -> list[nn.Parameter]:
    """Parameters that belong to `task` alone: its head, BatchNorm and biases."""
    key = str(task)
    params: list[nn.Parameter] = []
    for module in network.modules():
        for attribute in ("heads", "norms", "task_bias"):
            container = getattr(module, attribute, None)
            if isinstance(container, (nn.ModuleDict, nn.ParameterDict)) and key in container:
                entry = container[key]
                params += list(entry.parameters()) if isinstance(entry, nn.Module) else [entry]
    return params


def train_only(network: TaskNetwork, params: list[nn.Parameter]) -> None:
    """Let exactly `params` require gradients: frozen masks and other tasks' heads then cost
    nothing, and DistributedDataParallel sees a gradient for every parameter it tracks."""
    trained = {id(param) for param in params}
    for param in network.parameters():
        param.requires_grad_(id(param) in trained)


def set_direct_gradients(network: TaskNetwork, enabled: bool) -> None:
    """Whether picking-mask gradients skip autograd's accumulation (faster on one process;
    must be off under DistributedDataParallel, which all-reduces what autograd accumulates)."""
    for _, layer in network.sharable_layers():
        if layer.learning is not None:
            layer.learning.direct_grad = enabled
