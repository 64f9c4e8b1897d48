"""Weight magnitude: the importance score of CPG's and PackNet's unstructured pruning."""

from torch import Tensor


def magnitude(weight: Tensor) -> Tensor:
    """Per-weight importance |w| (larger = more important)."""
    return weight.detach().abs()
