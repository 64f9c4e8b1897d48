"""A learned weight mask as a weight score (SeaM): a weight matters when the mask keeps it."""

from collections.abc import Mapping

from torch import Tensor


class LearnedMask:
    """`WeightScore` from real-valued masks keyed by parameter name (`"features.0.weight"`):
    1 where the mask exceeds `threshold` (the weight is kept), 0 where it does not."""

    def __init__(self, masks: Mapping[str, Tensor], threshold: float) -> None:
        self.masks = masks
        self.threshold = threshold

    def kept(self, parameter: str) -> Tensor:
        """Boolean: which entries of the parameter the mask keeps."""
        return self.masks[parameter].detach() > self.threshold

    def __call__(self, name: str, weight: Tensor) -> Tensor:
        return self.kept(f"{name}.weight").to(weight.dtype)
