"""The labels of a split without reading its images, and how many examples each class has."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.utils.data import Dataset, Subset

from cpg.data.in_memory import InMemoryImages


def dataset_labels(dataset: Dataset) -> Tensor:
    """Int64 labels ``[N]`` of ``dataset`` in index order.

    In-memory splits, subsets and datasets with a ``targets`` list (ImageFolder) are read
    without loading a single image; any other dataset is iterated once.
    """
    if isinstance(dataset, InMemoryImages):
        return dataset.labels
    if isinstance(dataset, Subset):
        return dataset_labels(dataset.dataset)[torch.as_tensor(dataset.indices, dtype=torch.long)]
    targets = getattr(dataset, "targets", None)
    if targets is not None:
        return torch.as_tensor(targets, dtype=torch.long)
    return torch.tensor([int(dataset[index][1]) for index in range(len(dataset))], dtype=torch.long)


def class_counts(dataset: Dataset, num_classes: int) -> Tensor:
    """Number of examples of each class ``0 … num_classes - 1``."""
    return torch.bincount(dataset_labels(dataset), minlength=num_classes)
