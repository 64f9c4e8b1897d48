"""BatchNorm scale: |γ| of the BatchNorm after a layer (network slimming, Liu et al. 2017).
A channel whose γ is near zero passes on little more than a constant."""

from collections.abc import Mapping

from torch import Tensor, nn

from cpg.importance.base import Batches, ChannelMetric
from cpg.registry import METRICS


@METRICS.register("bn")
class BatchNormScale(ChannelMetric):
    """Rates the layers followed by a BatchNorm; the others are left out."""

    def scores(self, model: nn.Module, layers: Mapping[str, str | None], batches: Batches = ()) -> dict[str, Tensor]:
        modules = dict(model.named_modules())
        return {name: modules[norm].weight.detach().abs().float().cpu() for name, norm in layers.items()
                if norm is not None and modules[norm].weight is not None}
