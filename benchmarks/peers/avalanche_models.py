"""cpg's networks as Avalanche models: a head per task for naive fine-tuning, and for PackNet
Avalanche's `PackNetModel` around the same network with a BatchNorm and a head per task.

Avalanche's `PackNetModel` (avalanche-lib 0.6) wraps every Conv/Linear layer to mask and
freeze weights, refuses BatchNorm ("does not yet support norms") and calls the wrapped network
without task labels. Its docstring's way for other stateful modules is to implement
`PackNetModule`: `TaskSpecific` does, holding one copy of a module per task and using the
active task's. So each task has its own BatchNorm (a new task starts from a copy of the
previous task's, as cpg's `TaskBatchNorm` does) and its own head (fresh, never pruned, as
cpg's `TaskHead`); the convolutions are Avalanche's own PackNet layers.
"""

import copy
from collections.abc import Callable, Sequence

import torch
from avalanche.models import MultiTaskModule, as_multitask
from avalanche.models.packnet import PackNetModel, PackNetModule, WeightAndBiasPackNetModule
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from cpg.errors import UserError
from cpg.models import build_model

InputShape = tuple[int, int, int]


class TaskSpecific(PackNetModule):
    """One copy of a module per task; the active task's computes. Nothing in it is pruned; a
    copy is trained only while its task is the one learned, since no other copy sees a batch."""

    def __init__(self, copies: Sequence[nn.Module], carry_over: bool) -> None:
        super().__init__()
        self.copies = nn.ModuleList(copies)
        self.carry_over = carry_over  # the next task starts from this task's copy (BatchNorm)

    def _prune(self, prune_proportion: float) -> None:
        """Nothing of a task's own module is pruned."""

    @torch.no_grad()
    def _freeze_pruned(self) -> None:
        finished = self.task_count - 1  # `freeze_pruned` has counted the task already
        if self.carry_over and self.task_count < len(self.copies):
            self.copies[self.task_count].load_state_dict(self.copies[finished].state_dict())

    def _activate_task(self, task_id: int) -> None:
        """`activate_task` records the task; `forward` reads it."""

    def forward(self, input: Tensor) -> Tensor:
        return self.copies[self.active_task](input)


def _replace(module: nn.Module, matches: Callable[[nn.Module], bool], replacement: Callable[[nn.Module], nn.Module]) -> None:
    """Replace, in place, every submodule that `matches` by `replacement(submodule)`."""
    for name, child in module.named_children():
        if matches(child):
            setattr(module, name, replacement(child))
        else:
            _replace(child, matches, replacement)


def _network(arch: str, classes: Sequence[int], input_shape: InputShape) -> nn.Module:
    """cpg's plain `arch`; its `head_layer` is the layer made per task."""
    network = build_model(arch, classes[0], input_shape)
    if "." in network.head_layer:
        raise UserError(f"{arch}: its head {network.head_layer!r} is nested in another layer; the Avalanche peer "
                        "takes an architecture whose head is a layer of its own (resnet20, small_cnn, mlp, …)")
    return network


def packnet_network(arch: str, classes: Sequence[int], input_shape: InputShape) -> PackNetModel:
    """cpg's `arch` as Avalanche's PackNet model, a BatchNorm and a head (of `classes[t]`
    outputs) per task."""
    network = _network(arch, classes, input_shape)
    head = getattr(network, network.head_layer)
    _replace(network, lambda child: isinstance(child, _BatchNorm),
             lambda norm: TaskSpecific([copy.deepcopy(norm) for _ in classes], carry_over=True))
    setattr(network, network.head_layer,
            TaskSpecific([nn.Linear(head.in_features, count) for count in classes], carry_over=False))
    model = PackNetModel(network)
    for layer in model.modules():
        if isinstance(layer, WeightAndBiasPackNetModule):
            # avalanche-lib 0.6 tests the weight where it means the bias, so freezing a layer
            # without bias (every ResNet convolution) fails on `None.requires_grad`
            layer.has_bias = layer.wrappee.bias is not None
    return model


def multihead_network(arch: str, classes: Sequence[int], input_shape: InputShape) -> MultiTaskModule:
    """cpg's `arch` with Avalanche's multi-head classifier (one head per task label, added as
    the task arrives); every other layer, BatchNorm included, is shared."""
    network = _network(arch, classes, input_shape)
    return as_multitask(network, network.head_layer)
