"""What a model costs at inference: parameters, FLOPs per image, and its prunable channels."""

from dataclasses import dataclass

from torch import Tensor, nn

from cpg.export import count_flops
from cpg.models import channel_spaces


@dataclass(frozen=True)
class Cost:
    parameters: int
    flops: int  # per image, torch.utils.flop_counter's count
    channels: int  # in all channel spaces: a residual stream counts once

    def ratio(self, before: "Cost") -> dict[str, float]:
        return {key: getattr(self, key) / max(getattr(before, key), 1) for key in ("parameters", "flops", "channels")}


def cost(model: nn.Module, image: Tensor) -> Cost:
    """The cost of `model` (small_cnn, vgg16, resnet*) on a batch of one `image`."""
    return Cost(sum(parameter.numel() for parameter in model.parameters()), count_flops(model, image),
                sum(space.size for space in channel_spaces(model)))
