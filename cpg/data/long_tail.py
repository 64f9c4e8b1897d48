"""Long-tailed versions of any benchmark: the ``imbalance`` option (ratio ρ).

As in CIFAR-10/100-LT (Cui et al., CVPR 2019), class ``i`` of a task with ``K`` classes
keeps ``⌊n_max · ρ^(−i/(K−1))⌋`` training examples (at least one), so class sizes decay
exponentially from ``n_max`` for the first class to ``n_max / ρ`` for the last. ``n_max`` is
the size of the task's smallest class, so every class can supply its share. Validation and
test splits stay as they are (balanced), the normalisation statistics those of the full
training split.
"""

from __future__ import annotations

import math
from dataclasses import replace

import torch
from torch import Tensor
from torch.utils.data import Dataset, Subset

from cpg.data.in_memory import InMemoryImages
from cpg.data.labels import dataset_labels
from cpg.data.split import stratified_sample
from cpg.data.task import Benchmark, Task

OPTION = "imbalance"
_SUFFIX = "-lt"


def long_tail_sizes(n_max: int, num_classes: int, ratio: float) -> list[int]:
    """Training examples kept per class: ``⌊n_max · ratio^(−i/(K−1))⌋``, at least 1."""
    if num_classes == 1:
        return [n_max]
    return [
        max(1, int(n_max * ratio ** (-index / (num_classes - 1)))) for index in range(num_classes)
    ]


def long_tailed(benchmark: Benchmark, ratio: float) -> Benchmark:
    """``benchmark`` with every task's training split made long-tailed; named
    ``<name>-lt<ratio>`` so goal files and classifiers of the two versions stay apart."""
    tasks = tuple(_long_tailed_task(task, ratio) for task in benchmark.tasks)
    return replace(
        benchmark, name=long_tail_name(benchmark.name, ratio), tasks=tasks,
        transforms=f"{benchmark.transforms}; training split long-tailed (ratio {ratio:g})",
    )


def long_tail_name(name: str, ratio: float) -> str:
    return f"{name}{_SUFFIX}{ratio:g}"


def split_long_tail_name(name: str) -> tuple[str, float | None]:
    """The inverse of `long_tail_name`: ``("digits-10", 10.0)`` for ``digits-10-lt10``, and
    ``(name, None)`` for a name without the suffix."""
    base, found, ratio = name.rpartition(_SUFFIX)
    if not found or not base:
        return name, None
    try:
        value = float(ratio)
    except ValueError:
        return name, None
    return (base, value) if math.isfinite(value) and value >= 1 else (name, None)


def _long_tailed_task(task: Task, ratio: float) -> Task:
    labels = dataset_labels(task.train)
    counts = torch.bincount(labels, minlength=task.num_classes)
    sizes = long_tail_sizes(int(counts.min()), task.num_classes, ratio)
    index = torch.from_numpy(stratified_sample(labels.numpy(), sizes))
    return Task(task.name, task.classes, _subset(task.train, index), task.val, task.test)


def _subset(dataset: Dataset, index: Tensor) -> Dataset:
    if isinstance(dataset, InMemoryImages):
        return InMemoryImages(
            dataset.images[index], dataset.labels[index], dataset.mean, dataset.std, dataset.augment
        )
    return Subset(dataset, index.tolist())
