"""`convert(model)`: make any network task-aware by swapping in Sharable and per-task layers."""

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from cpg.errors import UserError
from cpg.nn.sharable import SharableConv2d, SharableLinear, SharableMixin
from cpg.nn.task_head import TaskHead
from cpg.nn.task_norm import TaskBatchNorm


def find_head(model: nn.Module) -> str:
    """Name of the classifier: the layer the model names in its `head_layer` attribute (every
    registered architecture does), else the last `nn.Linear` registered in the model."""
    declared = getattr(model, "head_layer", None)
    if isinstance(declared, str):
        return declared
    names = [name for name, module in model.named_modules() if isinstance(module, nn.Linear)]
    if not names:
        raise UserError(f"{type(model).__name__} has no nn.Linear classifier to turn into per-task heads")
    return names[-1]


def convert(model: nn.Module, head: str | None = None) -> nn.Module:
    """Replace, in place, every `nn.Conv2d` by `SharableConv2d`, every `nn.Linear` by
    `SharableLinear`, every BatchNorm by `TaskBatchNorm`, and the classifier `head` (default:
    the last linear layer) by `TaskHead`. Weights, biases and statistics carry over and become
    the starting point of the first task. Returns `model`.
    """
    head = head or find_head(model)
    modules = dict(model.named_modules())
    if head not in modules or not isinstance(modules[head], nn.Linear):
        raise UserError(f"{type(model).__name__} has no linear layer named {head!r} to use as the head")
    for name, module in list(model.named_modules()):
        if not name or isinstance(module, (SharableMixin, TaskBatchNorm, TaskHead)):
            continue
        replacement = _replacement(module, is_head=name == head)
        if replacement is not None:
            _set_submodule(model, name, replacement)
    _check_fully_converted(model)
    return model


def convert_head(model: nn.Module, head: str | None = None) -> nn.Module:
    """Replace only the classifier by per-task heads: every other layer stays shared by all
    tasks and unprotected (the finetuning baseline). Returns `model`."""
    head = head or find_head(model)
    module = dict(model.named_modules()).get(head)
    if not isinstance(module, nn.Linear):
        raise UserError(f"{type(model).__name__} has no linear layer named {head!r} to use as the head")
    _set_submodule(model, head, _replacement(module, is_head=True))
    return model


def _check_fully_converted(model: nn.Module) -> None:
    """Refuse layers with weights that have no task-aware version: every task would train
    them, and earlier tasks would be forgotten."""
    task_aware = (SharableMixin, TaskBatchNorm, TaskHead)
    inside_task_aware = {
        id(sub) for module in model.modules() if isinstance(module, task_aware) for sub in module.modules()
    }
    for name, module in model.named_modules():
        if id(module) in inside_task_aware or isinstance(module, task_aware):
            continue
        if any(True for _ in module.parameters(recurse=False)):
            raise UserError(
                f"convert: layer {name!r} ({type(module).__name__}) has weights but no task-aware version "
                "(supported: Conv2d, Linear, BatchNorm1d/2d)"
            )


def _replacement(module: nn.Module, is_head: bool) -> nn.Module | None:
    if is_head:
        assert isinstance(module, nn.Linear)
        return TaskHead(module.in_features, bias=module.bias is not None)
    if type(module) is nn.Conv2d:
        layer = SharableConv2d(
            module.in_channels, module.out_channels, module.kernel_size, module.stride, module.padding,
            module.dilation, module.groups, module.bias is not None, module.padding_mode,
            device=module.weight.device, dtype=module.weight.dtype,
        )
        return _carry_over(layer, module)
    if type(module) is nn.Linear:
        layer = SharableLinear(
            module.in_features, module.out_features, module.bias is not None,
            device=module.weight.device, dtype=module.weight.dtype,
        )
        return _carry_over(layer, module)
    if isinstance(module, _BatchNorm):
        return TaskBatchNorm(module)
    return None


def _carry_over(layer: SharableMixin, module: nn.Conv2d | nn.Linear) -> SharableMixin:
    layer.weight.data.copy_(module.weight.data)
    if module.bias is not None:
        layer.bias_template = module.bias.detach().clone()
    return layer


def _set_submodule(model: nn.Module, name: str, module: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, module)
