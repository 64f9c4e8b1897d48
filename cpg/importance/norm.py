"""Channel norms: the L1 (Li et al. 2017) or L2 norm of a channel's weights, or more generally
of any weight score over the channel's weights."""

from collections.abc import Mapping

from torch import Tensor, nn

from cpg.importance.base import Batches, ChannelMetric, WeightScore
from cpg.importance.magnitude import magnitude
from cpg.registry import METRICS


class ChannelNorm(ChannelMetric):
    """The p-norm of `score` over the weights writing each output channel (a conv's filter, a
    linear layer's row): with the magnitude score, p = 1 is the L1 and p = 2 the L2 norm of
    the channel's weights; with SeaM's learned mask, p = 1 counts the weights it keeps."""

    def __init__(self, p: float, score: WeightScore = magnitude) -> None:
        self.p = p
        self.score = score

    def scores(self, model: nn.Module, layers: Mapping[str, str | None], batches: Batches = ()) -> dict[str, Tensor]:
        modules = dict(model.named_modules())
        return {
            name: self.score(name, modules[name].weight.detach()).flatten(1).float().norm(p=self.p, dim=1).cpu()
            for name in layers
        }


@METRICS.register("l1")
class L1Norm(ChannelNorm):
    def __init__(self) -> None:
        super().__init__(1)


@METRICS.register("l2")
class L2Norm(ChannelNorm):
    def __init__(self) -> None:
        super().__init__(2)
