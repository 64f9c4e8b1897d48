"""Gradual magnitude pruning of the learning task's own weights (Zhu & Gupta's cubic schedule).

The weights with the lowest score go first; the score is a `cpg.importance.WeightScore`, the
magnitude |w| unless another is given. Pruned weights are released (ownership 0), zeroed at
once, and their optimizer state cleared, so they stay exactly zero until a later task claims
them.
"""

import torch
from torch import Tensor

from cpg.importance import WeightScore, magnitude
from cpg.nn import TaskNetwork


def cubic_sparsity(initial: float, final: float, progress: float) -> float:
    """s = s_f + (s_i − s_f)(1 − p)³ for progress p in [0, 1]."""
    progress = min(max(progress, 0.0), 1.0)
    return final + (initial - final) * (1.0 - progress) ** 3


class MagnitudePruner:
    """Prunes the learning task to a sparsity, layer by layer, relative to what it owned when
    pruning began (so 0.5 means half of the task's original weights in every layer)."""

    def __init__(self, network: TaskNetwork, task: int, initial_counts: dict[str, int] | None = None,
                 score: WeightScore = magnitude) -> None:
        self.network = network
        self.task = task
        self.score = score
        self.initial_counts = initial_counts or {
            name: int((layer.ownership == task).sum()) for name, layer in network.sharable_layers()
        }

    def owned_counts(self) -> dict[str, int]:
        return {name: int((layer.ownership == self.task).sum()) for name, layer in self.network.sharable_layers()}

    def sparsity(self) -> float:
        """Share of the task's original weights that have been released."""
        total = sum(self.initial_counts.values())
        if total == 0:
            return 0.0
        return 1.0 - sum(self.owned_counts().values()) / total

    @torch.no_grad()
    def prune_to(self, sparsity: float, optimizers: tuple[torch.optim.Optimizer, ...] = ()) -> int:
        """Release the lowest-scoring owned weights until each layer reaches `sparsity`."""
        released_total = 0
        for name, layer in self.network.sharable_layers():
            owned = layer.ownership == self.task
            keep = self.initial_counts[name] - int(round(sparsity * self.initial_counts[name]))
            excess = int(owned.sum()) - keep
            if excess <= 0:
                continue
            scores = self.score(name, layer.weight)
            cutoff = torch.kthvalue(scores[owned], excess).values
            below = owned & (scores < cutoff)
            ties = owned & (scores == cutoff)
            released = below | _first(ties, excess - int(below.sum()))
            self._release(layer, released, optimizers)
            released_total += int(released.sum())
        return released_total

    @staticmethod
    def _release(layer, released: Tensor, optimizers: tuple[torch.optim.Optimizer, ...]) -> None:  # type: ignore[no-untyped-def]
        layer.ownership.masked_fill_(released, 0)
        layer.weight.masked_fill_(released, 0.0)
        for optimizer in optimizers:
            for value in optimizer.state.get(layer.weight, {}).values():
                if isinstance(value, Tensor) and value.shape == layer.weight.shape:
                    value.masked_fill_(released, 0.0)
        layer.refresh_learning()


def _first(mask: Tensor, count: int) -> Tensor:
    """The first `count` True entries of `mask` (in memory order), as a mask."""
    result = torch.zeros_like(mask)
    if count > 0:
        index = mask.reshape(-1).nonzero().squeeze(1)[:count]
        result.view(-1)[index] = True
    return result
