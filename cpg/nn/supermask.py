"""Supermasks over fixed random weights (SupSup: Wortsman et al. 2020, "Supermasks in
Superposition"; the masks are edge-popup's: Ramanujan et al. 2020, "What's Hidden in a Randomly
Weighted Neural Network?").

The shared weights are drawn once (`signed_constant_`) and never trained. Each task learns real
scores over every weight of a layer; its mask keeps the `density` share of the weights with the
largest |score| (top-k), and the scores learn through the mask by the straight-through estimate
∂L/∂s = ∂L/∂(W ⊙ M) ⊙ W ⊙ sign(s). Once committed, the task keeps its mask as bits (1 bit per
weight) and its scores are dropped.
"""

import math

import torch
from torch import Tensor, nn

from cpg.nn.bits import pack_bits, unpack_bits
from cpg.nn.masking import CommittedMask, TaskLearning


@torch.no_grad()
def signed_constant_(weight: Tensor) -> None:
    """Edge-popup's signed Kaiming constant, in place: every weight becomes ±√2/√fan_in, keeping
    the sign it was drawn with."""
    fan_in = weight[0].numel()
    std = math.sqrt(2.0 / fan_in)
    weight.copy_(torch.where(weight < 0, -std, std))


@torch.no_grad()
def top_share(scores: Tensor, density: float) -> Tensor:
    """Boolean mask of the `density` share of the entries with the largest |score| (at least one)."""
    flat = scores.abs().flatten()
    keep = torch.zeros(flat.shape, dtype=torch.bool, device=scores.device)
    keep[flat.topk(max(1, round(density * flat.numel()))).indices] = True
    return keep.view(scores.shape)


class SupermaskWeight(torch.autograd.Function):
    """W ⊙ top-k(|s|) forward; the straight-through gradient to the scores backward (none to W)."""

    @staticmethod
    def forward(ctx, weight: Tensor, scores: Tensor, density: float) -> Tensor:  # type: ignore[override]
        ctx.save_for_backward(weight, scores)
        return weight * top_share(scores, density).to(weight.dtype)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        weight, scores = ctx.saved_tensors
        return None, grad * weight * scores.sign(), None


def initial_scores(weight: Tensor) -> nn.Parameter:
    """Scores as edge-popup draws them: Kaiming uniform with a = √5 (PyTorch's default for weights)."""
    scores = torch.empty_like(weight)
    nn.init.kaiming_uniform_(scores, a=math.sqrt(5))
    return nn.Parameter(scores)


class SupermaskLearning(TaskLearning):
    """A task learning its supermask over one layer's fixed weight. `scores` are those of a
    resumed task (the layer's `pick`); None draws new ones."""

    def __init__(self, task: int, weight: Tensor, density: float, scores: nn.Parameter | None = None) -> None:
        self.task = task
        self.density = density
        self.trained_mask = scores if scores is not None else initial_scores(weight)
        self.generation = 0

    @property
    def picking(self) -> bool:
        return True

    def weight(self, weight: Tensor) -> Tensor:
        self.generation += 1
        return SupermaskWeight.apply(weight.detach(), self.trained_mask, self.density)

    @torch.no_grad()
    def frozen_weight(self, weight: Tensor) -> Tensor:
        return weight * self.mask().to(weight.dtype)

    def mask(self) -> Tensor:
        assert self.trained_mask is not None
        return top_share(self.trained_mask, self.density)

    def picked(self) -> Tensor:
        """No task owns a weight: there are no earlier tasks' weights to pick."""
        assert self.trained_mask is not None
        return torch.zeros(self.trained_mask.shape, dtype=torch.bool, device=self.trained_mask.device)

    def committed(self) -> Tensor:
        return pack_bits(self.mask())

    def stamp(self) -> tuple:
        assert self.trained_mask is not None
        return (id(self), self.generation, self.trained_mask._version)


class StoredSupermask(CommittedMask):
    """A committed task computes with the weights its packed supermask keeps; ownership is unused."""

    uses_ownership = False

    def keep(self, task: int, ownership: Tensor, packed: Tensor | None) -> Tensor:
        if packed is None:
            raise RuntimeError(f"task {task} has no supermask in this layer")
        return unpack_bits(packed, ownership.shape)


STORED_SUPERMASK = StoredSupermask()
