"""Sequences that deal a dataset's classes out to tasks, a fixed number per task in class-index
order (split MNIST, split CIFAR-10/100)."""

from __future__ import annotations

import torch
from torch import Tensor

from cpg.data.assemble import in_memory_task
from cpg.data.augment import RandomCropFlip
from cpg.data.task import Task

Split = tuple[Tensor, Tensor]
"""Images ``[N, C, H, W]`` and int64 labels ``[N]``."""


def consecutive_groups(num_classes: int, per_task: int) -> tuple[tuple[int, ...], ...]:
    """``(0 … per_task − 1), (per_task … 2·per_task − 1), …`` covering every class."""
    if num_classes % per_task:
        raise ValueError(f"{num_classes} classes do not split into tasks of {per_task}")
    return tuple(tuple(range(start, start + per_task)) for start in range(0, num_classes, per_task))


def select_classes(split: Split, group: tuple[int, ...]) -> Split:
    """The images of the classes in ``group``, relabelled so that ``group[i]`` becomes ``i``."""
    images, labels = split
    size = max(*group, int(labels.max()) if len(labels) else 0) + 1
    local = torch.full((size,), -1, dtype=torch.long)
    local[list(group)] = torch.arange(len(group))
    members = local[labels] >= 0
    return images[members], local[labels[members]]


def class_split_tasks(
    prefix: str,
    class_names: tuple[str, ...],
    train: Split,
    test: Split,
    per_task: int,
    val_fraction: float,
    augment: RandomCropFlip | None = None,
) -> tuple[Task, ...]:
    """One task per group of ``per_task`` consecutive classes, named ``<prefix>_<first>-<last>``
    after the class indices it holds; label ``i`` of a task is its ``i``-th class."""
    return tuple(
        in_memory_task(
            f"{prefix}_{group[0]}-{group[-1]}",
            tuple(class_names[label] for label in group),
            select_classes(train, group),
            select_classes(test, group),
            val_fraction,
            augment,
        )
        for group in consecutive_groups(len(class_names), per_task)
    )
