"""Class-balanced sampling: every class is drawn equally often, whatever its size."""

from __future__ import annotations

import torch
from torch.utils.data import Dataset, WeightedRandomSampler

from cpg.data.labels import dataset_labels


def class_balanced_sampler(dataset: Dataset, seed: int) -> WeightedRandomSampler:
    """Draws ``len(dataset)`` examples with replacement, each with probability inversely
    proportional to the size of its class; the draws depend only on ``seed``."""
    labels = dataset_labels(dataset)
    counts = torch.bincount(labels).double()
    weights = (1.0 / counts)[labels]
    return WeightedRandomSampler(
        weights, len(labels), replacement=True, generator=torch.Generator().manual_seed(seed)
    )
