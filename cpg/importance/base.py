"""The one interface of importance scores (larger = more important).

A *weight score* rates every weight of a layer and has the weight's shape: the magnitude that
CPG's and PackNet's unstructured pruning use, or the mask SeaM learns. A *channel metric* rates
every output channel of the layers it is asked about; `ChannelNorm` turns any weight score
into one by reducing it over each channel's weights, the others read BatchNorm or a
forward and backward pass over calibration images.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import ClassVar, Protocol

from torch import Tensor, nn

Batches = Iterable[tuple[Tensor, Tensor]]
"""Calibration data: batches of (images, labels)."""


class WeightScore(Protocol):
    def __call__(self, name: str, weight: Tensor) -> Tensor:
        """The score of each weight of layer `name`, shaped like `weight`."""
        ...


class ChannelMetric(ABC):
    uses_data: ClassVar[bool] = False  # whether `scores` reads calibration batches

    @abstractmethod
    def scores(self, model: nn.Module, layers: Mapping[str, str | None], batches: Batches = ()) -> dict[str, Tensor]:
        """One score per output channel of each conv or linear layer in `layers`, which maps a
        layer's name to the name of the BatchNorm right after it (None when there is none).
        A layer the metric cannot rate is left out. Scores are float tensors on the CPU."""
