"""The inverse of `convert`: a plain PyTorch model computing one task of a `TaskNetwork`."""

import copy

import torch
from torch import nn

from cpg.nn.convert import _set_submodule
from cpg.nn.network import TaskNetwork
from cpg.nn.sharable import SharableMixin
from cpg.nn.task_head import TaskHead
from cpg.nn.task_norm import TaskBatchNorm


@torch.no_grad()
def task_model(network: TaskNetwork, task: int) -> nn.Module:
    """An ordinary model (nn.Conv2d, nn.Linear, nn.BatchNorm) at task `task`'s own width, with
    its effective weights, biases, BatchNorm and head. Needs the network's factory."""
    if network.factory is None:
        raise RuntimeError("this network has no factory to build a plain model from")
    record = network.task(task)
    model = network.factory(record.width).to(network.device)
    plain = dict(model.named_modules())
    for name, module in network.body.named_modules():
        if isinstance(module, SharableMixin):
            target = plain[name]
            weight = module.task_weight(task)
            if target.weight.shape != weight.shape:
                raise RuntimeError(f"{name}: the factory builds {tuple(target.weight.shape)}, task {task} has {tuple(weight.shape)}")
            target.weight.copy_(weight)
            if module.has_bias:
                target.bias.copy_(module.task_bias[str(task)])
        elif isinstance(module, TaskBatchNorm):
            _set_submodule(model, name, copy.deepcopy(module.norms[str(task)]))
        elif isinstance(module, TaskHead):
            _set_submodule(model, name, copy.deepcopy(module.heads[str(task)]))
    return model.eval()
