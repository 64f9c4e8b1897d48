"""Physical slimming: a copy of a model with whole channels (conv output channels, linear
output units) removed, made of ordinary `nn.Conv2d`, `nn.BatchNorm2d` and `nn.Linear` layers.

Shared by SeaM (channels with no kept weight), task export and channel pruning. Callers say,
per producing layer, which output channels to keep; `slim` cuts them everywhere they appear:

- the producer's weight rows and bias entries;
- its BatchNorm's affine parameters and running statistics;
- every consumer's input slice: a conv's input channels, or a linear layer's input features,
  including the H·W features per channel behind a flatten;
- coupled producers: channels joined by a residual add (one channel space, see
  `cpg.models.channels`) are kept as the union of what the listed producers keep.

Removing a channel removes its contribution: the slimmed model computes what the original
computes with those channels set to zero where they are read. `exact_keep`
(`cpg.export.unused`) lists the channels whose removal changes no output.

    keep = {"features.0": torch.tensor([True, False, True, ...])}   # one entry per producer
    small = slim(model, keep)
"""

import copy
from collections.abc import Mapping

import torch
from torch import Tensor, nn

from cpg.models.channels import ChannelSpace, channel_spaces


def slim(model: nn.Module, keep: Mapping[str, Tensor]) -> nn.Module:
    """A slimmed deep copy of `model` (small_cnn, vgg16 or resnet*; any width).

    `keep` maps a producing conv/linear layer's name to a boolean tensor over its output
    channels. A space none of whose producers is listed keeps every channel; a space that
    would lose all its channels keeps its first one, so every layer stays a valid layer. The
    output layer cannot be listed: the model's outputs are never removed.
    """
    spaces = channel_spaces(model)
    producers = {name: space for space in spaces for name in space.producers}
    for name in keep:
        if name not in producers:
            raise ValueError(f"{name!r} is not a layer whose output channels can be removed; choose among {', '.join(producers)}")
    outputs: dict[str, Tensor] = {}
    inputs: dict[str, Tensor] = {}
    for space in spaces:
        index = _kept_index(space, keep)
        if index is None:
            continue
        for name, norm in zip(space.producers, space.norms):
            outputs[name] = index
            if norm is not None:
                outputs[norm] = index
        for consumer in space.consumers:
            inputs[consumer.name] = _expand(index, consumer.repeat)
    slimmed = copy.deepcopy(model)
    modules = dict(slimmed.named_modules())
    for name in outputs.keys() | inputs.keys():
        slimmed.set_submodule(name, _cut(modules[name], outputs.get(name), inputs.get(name)))
    return slimmed


def _kept_index(space: ChannelSpace, keep: Mapping[str, Tensor]) -> Tensor | None:
    """Indices of the channels the space keeps, or None when it keeps them all."""
    listed = {name: keep[name] for name in space.producers if name in keep}
    if not listed:
        return None
    union = torch.zeros(space.size, dtype=torch.bool)
    for name, mask in listed.items():
        if mask.shape != (space.size,):
            raise ValueError(f"keep[{name!r}] has shape {tuple(mask.shape)}; the layer has {space.size} output channels")
        union |= mask.detach().cpu().bool()
    if bool(union.all()):
        return None
    if not bool(union.any()):
        union[0] = True
    return union.nonzero().flatten()


def _expand(index: Tensor, repeat: int) -> Tensor:
    """Input features of the kept channels behind a flatten with `repeat` features per channel."""
    return (index[:, None] * repeat + torch.arange(repeat)).flatten()


@torch.no_grad()
def _cut(module: nn.Module, out: Tensor | None, into: Tensor | None) -> nn.Module:
    if isinstance(module, nn.Conv2d):
        return _cut_conv(module, out, into)
    if isinstance(module, nn.Linear):
        return _cut_linear(module, out, into)
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)) and out is not None and into is None:
        return _cut_norm(module, out)
    raise TypeError(f"cannot slim a {type(module).__name__}")


def _select(tensor: Tensor, out: Tensor | None, into: Tensor | None) -> Tensor:
    if out is not None:
        tensor = tensor.index_select(0, out.to(tensor.device))
    if into is not None:
        tensor = tensor.index_select(1, into.to(tensor.device))
    return tensor.clone()


def _cut_conv(conv: nn.Conv2d, out: Tensor | None, into: Tensor | None) -> nn.Conv2d:
    if conv.groups != 1:
        raise TypeError("cannot slim a grouped convolution")
    weight = _select(conv.weight, out, into)
    result = nn.Conv2d(weight.shape[1], weight.shape[0], conv.kernel_size, conv.stride, conv.padding, conv.dilation,
                       bias=conv.bias is not None, padding_mode=conv.padding_mode,
                       device=weight.device, dtype=weight.dtype)
    _fill(result, conv, weight, None if conv.bias is None else _select(conv.bias, out, None))
    return result


def _cut_linear(linear: nn.Linear, out: Tensor | None, into: Tensor | None) -> nn.Linear:
    weight = _select(linear.weight, out, into)
    result = nn.Linear(weight.shape[1], weight.shape[0], bias=linear.bias is not None,
                       device=weight.device, dtype=weight.dtype)
    _fill(result, linear, weight, None if linear.bias is None else _select(linear.bias, out, None))
    return result


def _fill(result: nn.Module, original: nn.Module, weight: Tensor, bias: Tensor | None) -> None:
    result.weight.copy_(weight)
    result.weight.requires_grad_(original.weight.requires_grad)
    if bias is not None:
        result.bias.copy_(bias)
        result.bias.requires_grad_(original.bias.requires_grad)
    result.train(original.training)


def _cut_norm(norm: nn.Module, out: Tensor) -> nn.Module:
    state = {key: value if value.dim() == 0 else value.index_select(0, out.to(value.device))
             for key, value in norm.state_dict().items()}
    reference = next(value for value in state.values() if value.is_floating_point())
    result = type(norm)(len(out), eps=norm.eps, momentum=norm.momentum, affine=norm.affine,
                        track_running_stats=norm.track_running_stats, device=reference.device, dtype=reference.dtype)
    result.load_state_dict(state)
    for name, parameter in result.named_parameters():
        parameter.requires_grad_(getattr(norm, name).requires_grad)
    result.train(norm.training)
    return result
