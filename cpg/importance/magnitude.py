"""Weight magnitude: the importance score of CPG's and PackNet's unstructured pruning, and,
reduced over a channel, of L1/L2-norm channel pruning."""

from torch import Tensor


def magnitude(name: str, weight: Tensor) -> Tensor:
    """Per-weight importance |w| (a `WeightScore`; the layer's name does not matter)."""
    return weight.detach().abs()
