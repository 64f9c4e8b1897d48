"""Turn one task's in-memory train and test tensors into a Task."""

from __future__ import annotations

import torch
from torch import Tensor

from cpg.data.augment import RandomCropFlip
from cpg.data.in_memory import InMemoryImages, channel_stats
from cpg.data.split import stratified_split
from cpg.data.task import IN_MEMORY_TRANSFORMS, TASK_NORMALISATION, Task


def in_memory_task(
    name: str,
    classes: tuple[str, ...],
    train: tuple[Tensor, Tensor],
    test: tuple[Tensor, Tensor],
    val_fraction: float,
    augment: RandomCropFlip | None = None,
) -> Task:
    """Hold out a stratified validation part of ``train`` and normalise all three splits by the
    channel mean and std of what remains for training (the task's own statistics)."""
    images, labels = train
    kept, held = map(torch.from_numpy, stratified_split(labels.numpy(), val_fraction))
    train_images = images[kept]
    mean, std = channel_stats(train_images)
    return Task(
        name=name,
        classes=classes,
        train=InMemoryImages(train_images, labels[kept], mean, std, augment),
        val=InMemoryImages(images[held], labels[held], mean, std),
        test=InMemoryImages(*test, mean, std),
    )


def in_memory_transforms(augment: RandomCropFlip | None) -> str:
    """What `in_memory_task` does to images, in words, for the `Benchmark` line."""
    return IN_MEMORY_TRANSFORMS if augment is None else f"{augment.describe()}; {TASK_NORMALISATION}"
