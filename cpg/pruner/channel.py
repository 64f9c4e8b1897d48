"""Structured pruning: from channel scores to the channels a slimmed model keeps.

Channels are chosen per channel space (`cpg.models.channels`): a layer's output channels
go together with its BatchNorm and the next layer's input channels, and the channels joined by
a residual add are one space, scored jointly as the sum of its producers' scores. A space the
metric does not rate (BatchNorm |γ| of a linear layer without BatchNorm) keeps every channel,
and every space keeps at least its best channel. Three ways to choose:

- `uniform`: the same share of every space;
- `global_threshold`: one threshold across spaces on scores divided by their space's mean
  (Torch-Pruning's default normaliser), so that layers whose scores differ in scale or in
  width compare: every layer's average channel scores 1, and a layer goes only as far as its
  channels are weak relative to each other;
- `per_layer`: a share per layer, by the name of a layer producing the space.

Each returns one boolean keep mask per space; `keep_masks` turns them into what `slim` takes.

    spaces = score_spaces(model, L1Norm())
    small = slim(model, keep_masks(spaces, global_threshold(spaces, 0.5)))
"""

from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from cpg.errors import UserError
from cpg.importance import Batches, ChannelMetric
from cpg.models.channels import ChannelSpace, channel_spaces

_SHOWN = 12


@dataclass(frozen=True)
class ScoredSpace:
    space: ChannelSpace
    scores: Tensor | None  # one per channel on the CPU; None: the metric does not rate it

    @property
    def size(self) -> int:
        return self.space.size


def score_spaces(model: nn.Module, metric: ChannelMetric, batches: Batches = ()) -> list[ScoredSpace]:
    """Every channel space of `model` (small_cnn, vgg16, resnet*) with its channels' scores."""
    spaces = channel_spaces(model)
    layers = {name: norm for space in spaces for name, norm in zip(space.producers, space.norms)}
    scores = metric.scores(model, layers, batches)
    return [ScoredSpace(space, torch.stack([scores[name].float() for name in space.producers]).sum(dim=0)
                        if all(name in scores for name in space.producers) else None) for space in spaces]


def uniform(spaces: list[ScoredSpace], ratio: float) -> list[Tensor]:
    """Remove the lowest-scoring `ratio` of every rated space's channels (rounded)."""
    return [_keep_best(space, round(ratio * space.size)) for space in spaces]


def global_threshold(spaces: list[ScoredSpace], ratio: float) -> list[Tensor]:
    """Remove the `ratio` of all rated channels (rounded) whose normalised scores are lowest."""
    rated = [space for space in spaces if space.scores is not None]
    if not rated:
        return [torch.ones(space.size, dtype=torch.bool) for space in spaces]
    candidates = []
    for space in rated:
        mean = space.scores.mean()
        normalised = space.scores / mean if mean > 0 else torch.zeros_like(space.scores)
        normalised[space.scores.argmax()] = float("inf")  # the best channel of a space always stays
        candidates.append(normalised)
    total = sum(space.size for space in rated)
    count = min(round(ratio * total), total - len(rated))
    removed = torch.zeros(total, dtype=torch.bool)
    removed[torch.sort(torch.cat(candidates), stable=True).indices[:count]] = True
    kept = iter((~removed).split([space.size for space in rated]))
    return [next(kept) if space.scores is not None else torch.ones(space.size, dtype=torch.bool) for space in spaces]


def per_layer(spaces: list[ScoredSpace], ratios: Mapping[str, float]) -> list[Tensor]:
    """Remove the lowest-scoring share `ratios[name]` of the space layer `name` produces;
    spaces no listed layer produces keep every channel. Layers joined by a residual add share
    one space: list one of them, or all with the same share."""
    owner = {name: index for index, space in enumerate(spaces) for name in space.space.producers}
    shares: dict[int, tuple[str, float]] = {}
    for name, ratio in ratios.items():
        if name not in owner:
            shown = list(owner)[:_SHOWN] + (["…"] if len(owner) > _SHOWN else [])
            raise UserError(f"layer_ratios: the model has no prunable layer {name!r}; choose among: {', '.join(shown)}")
        index = owner[name]
        if spaces[index].scores is None:
            raise UserError(f"layer_ratios: the metric cannot rate the channels of {name!r}; choose another metric or layer")
        if index in shares and shares[index][1] != ratio:
            other = shares[index][0]
            raise UserError(f"layer_ratios: {other!r} and {name!r} are joined by a residual add, so they are pruned "
                            f"together; give them the same share")
        shares[index] = (name, ratio)
    return [_keep_best(space, round(shares[index][1] * space.size)) if index in shares
            else torch.ones(space.size, dtype=torch.bool) for index, space in enumerate(spaces)]


def keep_masks(spaces: list[ScoredSpace], kept: list[Tensor]) -> dict[str, Tensor]:
    """Per producing layer, the output channels to keep (the input of `cpg.export.slim`)."""
    return {name: mask for space, mask in zip(spaces, kept) for name in space.space.producers}


def _keep_best(space: ScoredSpace, removed: int) -> Tensor:
    """Keep all but the `removed` lowest-scoring channels (ties: lower index goes first), at
    least one; an unrated space keeps every channel."""
    keep = torch.ones(space.size, dtype=torch.bool)
    if space.scores is not None:
        keep[torch.sort(space.scores, stable=True).indices[:min(removed, space.size - 1)]] = False
    return keep
