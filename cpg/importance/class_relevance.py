"""Class relevance of channels (Model Doctor, AAAI 2022): how much each class's score relies on
each channel, read from the gradient of the class score with respect to the channel."""

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor, nn

from cpg.importance.base import Batches, ChannelMetric
from cpg.importance.taps import evaluation_mode, per_channel, tapped
from cpg.registry import METRICS


def class_relevance(model: nn.Module, layers: Sequence[nn.Module], batches: Batches, signal: str,
                    detach: bool = False) -> list[Tensor]:
    """Per layer, the relevance of each output channel to each class, summed over positions and
    over the images of the class: [classes, channels] in float64 on the CPU, with classes = the
    model's outputs. `signal` is "gradient" (ReLU of ∂ class score / ∂ output, the paper's),
    "abs_gradient" or "activation" (ReLU of the output). The model runs in the mode it is in.
    With `detach` (one layer only), gradients stop at the layer: nothing before it is
    differentiated, whether or not its parameters require a gradient."""
    device = next(model.parameters()).device
    totals: list[Tensor] = []
    with tapped(layers, detach) as taps:
        for inputs, targets in batches:
            targets = targets.to(device)
            inputs = inputs.to(device)
            with torch.enable_grad():
                # without `detach`, inputs that require a gradient put every tapped output in the
                # graph, whether or not the parameters require one
                logits = model(inputs if detach else inputs.detach().requires_grad_())
                signals = _signals(signal, [tap.output for tap in taps], logits, targets)
            if not totals:
                totals = [torch.zeros(logits.shape[1], values.shape[1], dtype=torch.float64) for values in signals]
            for total, values in zip(totals, signals):
                total.index_add_(0, targets.cpu(), per_channel(values).detach().double().cpu())
    if not totals:
        raise ValueError("class relevance needs at least one image")
    return totals


def _signals(signal: str, outputs: list[Tensor], logits: Tensor, targets: Tensor) -> list[Tensor]:
    if signal == "activation":
        return [output.detach().relu() for output in outputs]
    score = logits.gather(1, targets[:, None]).sum()
    gradients = torch.autograd.grad(score, outputs)
    return [gradient.abs() if signal == "abs_gradient" else gradient.relu() for gradient in gradients]


def min_max(values: Tensor) -> Tensor:
    """Each row scaled to [0, 1] by its minimum and maximum; a constant row becomes zeros."""
    low = values.min(dim=1, keepdim=True).values
    span = values.max(dim=1, keepdim=True).values - low
    return torch.where(span > 0, (values - low) / span.clamp_min(torch.finfo(values.dtype).tiny), 0.0).float()


@METRICS.register("doctor")
class ClassRelevance(ChannelMetric):
    """Model Doctor's class relevance as a channel score: each class's relevance row (the
    "gradient" signal at what the channel carries — the BatchNorm after the layer, or the
    layer's output) min–max normalised, then the channel's highest value over the classes. A
    channel below Model Doctor's threshold for every class is in no class's mask and scores low.
    Computed in evaluation mode over the calibration images, with their labels."""

    uses_data = True

    def scores(self, model: nn.Module, layers: Mapping[str, str | None], batches: Batches = ()) -> dict[str, Tensor]:
        modules = dict(model.named_modules())
        names = list(layers)
        with evaluation_mode(model):
            relevance = class_relevance(model, [modules[layers[name] or name] for name in names], batches, "gradient")
        return {name: min_max(rows).max(dim=0).values for name, rows in zip(names, relevance)}
