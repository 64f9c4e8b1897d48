"""First-order Taylor importance (Molchanov et al., ICLR 2017): removing a channel sets what it
carries to zero, which changes the loss by about |Σ_positions a · ∂L/∂a|."""

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cpg.importance.base import Batches, ChannelMetric
from cpg.importance.taps import evaluation_mode, per_channel, tapped
from cpg.registry import METRICS


@METRICS.register("taylor")
class Taylor(ChannelMetric):
    """|Σ_positions a · ∂L/∂a| of each channel per image, averaged over the calibration images,
    with L the cross-entropy of the image and a what the channel carries to the rest of the
    network: the output of the BatchNorm after the layer, or the layer's output when there is
    none. Computed in evaluation mode."""

    uses_data = True

    def scores(self, model: nn.Module, layers: Mapping[str, str | None], batches: Batches = ()) -> dict[str, Tensor]:
        modules = dict(model.named_modules())
        names = list(layers)
        device = next(model.parameters()).device
        totals: list[Tensor] = []
        images = 0
        with evaluation_mode(model), tapped([modules[layers[name] or name] for name in names]) as taps:
            for inputs, targets in batches:
                with torch.enable_grad():
                    # inputs that require a gradient put every tapped output in the graph,
                    # whether or not the parameters require one
                    logits = model(inputs.to(device).detach().requires_grad_())
                    loss = F.cross_entropy(logits, targets.to(device), reduction="sum")
                    gradients = torch.autograd.grad(loss, [tap.output for tap in taps])
                changes = [per_channel(tap.output.detach() * gradient).abs().sum(dim=0).double().cpu()
                           for tap, gradient in zip(taps, gradients)]
                totals = [total + change for total, change in zip(totals, changes)] if totals else changes
                images += len(inputs)
        if images == 0:
            raise ValueError("the Taylor metric needs calibration images")
        return {name: (total / images).float() for name, total in zip(names, totals)}
