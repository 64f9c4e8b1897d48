"""Pruning to a FLOPs budget: the least pruning that brings a model's FLOPs down to a target."""

from collections.abc import Callable

from torch import Tensor, nn

from cpg.errors import UserError
from cpg.export import count_flops, slim
from cpg.pruner.channel import ScoredSpace, keep_masks

STEPS = 20
"""Bisection steps over the ratio: 2⁻²⁰ is finer than one channel of any model cpg builds."""


def within_flops(model: nn.Module, spaces: list[ScoredSpace], choose: Callable[[float], list[Tensor]],
                 share: float, example: Tensor) -> tuple[float, list[Tensor]]:
    """The smallest ratio (and its keep masks) for which the model slimmed to `choose(ratio)`
    computes at most `share` of `model`'s FLOPs on `example`. `choose` must remove more
    channels for a higher ratio, as `uniform` and `global_threshold` do."""
    budget = share * count_flops(model, example)

    def fits(kept: list[Tensor]) -> bool:
        return count_flops(slim(model, keep_masks(spaces, kept)), example) <= budget

    low, high = 0.0, 1.0
    best = choose(high)
    if not fits(best):
        raise UserError(f"flops: even one channel per prunable layer computes more than {share:g} of the FLOPs; "
                        "raise the target")
    for _ in range(STEPS):
        middle = (low + high) / 2
        kept = choose(middle)
        if fits(kept):
            high, best = middle, kept
        else:
            low = middle
    return high, best
