"""Channels that carry nothing: removing them leaves every output of the model unchanged.

A channel may go when
- no consumer reads it: every consumer's weights on it are zero; or
- it is zero whatever the input: every producer's weights and bias on it are zero, and the
  constant that BatchNorm, ReLU and residual adds make of that zero is itself zero where the
  consumers read it. Being input-independent, that constant is read off one probe forward.
A channel whose constant is not zero stays: a zero-padded conv reading a constant does not
compute a constant, so it cannot be folded into a bias exactly.
"""

import torch
from torch import Tensor, nn

from cpg.models.channels import ChannelSpace, Consumer, channel_spaces


@torch.no_grad()
def exact_keep(model: nn.Module, input_shape: tuple[int, ...]) -> dict[str, Tensor]:
    """For every producing layer, the output channels `slim` must keep for the slimmed model
    to compute the same outputs as `model` in evaluation mode (BatchNorm on running stats)."""
    spaces = channel_spaces(model)
    modules = dict(model.named_modules())
    read_inputs = _consumer_inputs(model, spaces, input_shape)
    keep: dict[str, Tensor] = {}
    for space in spaces:
        unread = torch.ones(space.size, dtype=torch.bool)
        zero = torch.ones(space.size, dtype=torch.bool)
        for consumer in space.consumers:
            weight = modules[consumer.name].weight.detach().cpu()
            unread &= _per_channel(weight.transpose(0, 1), consumer.repeat).eq(0).all(dim=1)
            zero &= _per_channel(read_inputs[consumer.name].transpose(0, 1), consumer.repeat).eq(0).all(dim=1)
        dead = torch.ones(space.size, dtype=torch.bool)
        for name in space.producers:
            producer = modules[name]
            dead &= producer.weight.detach().cpu().flatten(1).eq(0).all(dim=1)
            if producer.bias is not None:
                dead &= producer.bias.detach().cpu().eq(0)
        kept = ~(unread | (dead & zero))
        keep.update({name: kept.clone() for name in space.producers})
    return keep


def _per_channel(values: Tensor, repeat: int) -> Tensor:
    """Rows = input features (or channels) → one row per channel of everything it touches."""
    return values.reshape(values.shape[0] // repeat, -1)


def _consumer_inputs(model: nn.Module, spaces: list[ChannelSpace], input_shape: tuple[int, ...]) -> dict[str, Tensor]:
    """What each consumer reads on a probe input (zeros), on the CPU."""
    modules = dict(model.named_modules())
    consumers: list[Consumer] = [consumer for space in spaces for consumer in space.consumers]
    seen: dict[str, Tensor] = {}

    def recorder(name: str):
        def record(module: nn.Module, args: tuple[Tensor, ...]) -> None:
            seen[name] = args[0].detach().cpu()
        return record

    handles = [modules[c.name].register_forward_pre_hook(recorder(c.name)) for c in consumers]
    was_training = model.training
    model.eval()
    try:
        parameter = next(model.parameters())
        model(torch.zeros(1, *input_shape, device=parameter.device, dtype=parameter.dtype))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return seen
