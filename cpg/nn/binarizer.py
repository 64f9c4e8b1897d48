"""SeaM's binarizer: a real-valued mask becomes 0/1 at a threshold, and learns through a
straight-through gradient clipped to [-1, 1] (SeaM, ICSE 2023)."""

from typing import Any

import torch
from torch import Tensor

SEAM_THRESHOLD = 0.0


class ClippedStraightThrough(torch.autograd.Function):
    """Forward: 1 where `mask > threshold`, else 0 (in the mask's dtype).
    Backward: the incoming gradient passed straight through, clamped to [-1, 1]."""

    @staticmethod
    def forward(ctx: Any, mask: Tensor, threshold: float) -> Tensor:  # type: ignore[override]
        return (mask > threshold).to(mask.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        return grad.clamp(-1.0, 1.0), None


def binarize(mask: Tensor, threshold: float = SEAM_THRESHOLD) -> Tensor:
    """The 0/1 mask, differentiable with respect to `mask` through the clipped straight-through
    estimate."""
    return ClippedStraightThrough.apply(mask, threshold)
