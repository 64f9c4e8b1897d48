"""Treatment loss: keep each class's gradient inside its channels (Model Doctor, AAAI 2022).

For a batch of B examples, example b of class y_b whose most confusing class is c_b (the second
prediction when the first is right, else the first), and the layer output A:

    G_k[b, ch] = Σ_space |∂ s_k / ∂ A[b, ch]|,   s_k = (1/B) Σ_b z[b, k_b]  (batch-mean class score)
    channel loss = (1/B) Σ_b ( G_y[b] · (1 − mask_{y_b}) + G_c[b] · mask_{c_b} )

The batch-mean score and the division by B are the paper's normalisation, which its α = 10
refers to: the loss is the per-example gradient mass outside the true class's channels (and
inside the confusing class's), averaged over the batch and divided by B once more. The
gradients are taken with `create_graph=True`, so minimising the loss trains the network through
them (a second-order term).
"""

import torch
import torch.nn.functional as F
from torch import Tensor

from cpg.engine import LossFn
from cpg.importance import LayerTap, per_channel


def most_confusing(logits: Tensor, targets: Tensor) -> Tensor:
    """Per example, the second-ranked class if the first is the target, else the first."""
    top2 = logits.detach().topk(2, dim=1).indices
    return torch.where(top2[:, 0] == targets, top2[:, 1], top2[:, 0])


def channel_gradients(logits: Tensor, output: Tensor, classes: Tensor) -> Tensor:
    """[batch, channels]: Σ over space of |∂ s / ∂ output|, s the batch mean of each example's
    score of its class in `classes`; differentiable."""
    score = logits.gather(1, classes[:, None]).mean()
    (gradient,) = torch.autograd.grad(score, output, create_graph=True)
    return per_channel(gradient.abs())


def channel_loss(logits: Tensor, output: Tensor, targets: Tensor, masks: Tensor) -> Tensor:
    """The channel loss of a batch; `masks` is bool [classes, channels]."""
    confusing = most_confusing(logits, targets)
    outside = (~masks[targets]).to(output.dtype)
    inside = masks[confusing].to(output.dtype)
    true_part = (channel_gradients(logits, output, targets) * outside).sum(dim=1)
    confusing_part = (channel_gradients(logits, output, confusing) * inside).sum(dim=1)
    return (true_part + confusing_part).mean()


class DoctorLoss:
    """classification loss + α × channel loss, as an engine `loss_fn`; the layer output comes
    from `tap`. Keeps the running sum of the channel loss for reporting."""

    def __init__(self, tap: LayerTap, masks: Tensor, alpha: float, base: LossFn = F.cross_entropy) -> None:
        self.tap = tap
        self.masks = masks
        self.alpha = alpha
        self.base = base
        self.channel_sum = torch.zeros(())
        self.batches = 0

    def __call__(self, logits: Tensor, targets: Tensor) -> Tensor:
        loss = self.base(logits, targets)
        if self.alpha == 0:
            return loss
        assert self.tap.output is not None, "the tapped layer did not run in this forward pass"
        channel = channel_loss(logits, self.tap.output, targets, self.masks.to(logits.device))
        self.channel_sum = self.channel_sum.to(channel.device) + channel.detach()
        self.batches += 1
        return loss + self.alpha * channel

    def take_mean(self) -> float:
        """Mean channel loss since the last call."""
        mean = self.channel_sum.item() / self.batches if self.batches else 0.0
        self.channel_sum, self.batches = torch.zeros(()), 0
        return mean
