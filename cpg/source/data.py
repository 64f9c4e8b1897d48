"""The data a source model was trained on: one task of a benchmark (task 3 of `cifar100-20`) or
all tasks of a benchmark merged into one (`cifar100-20`: the 100 CIFAR-100 classes)."""

import torch

from cpg.config.source import SourceDataConfig
from cpg.data import Benchmark, Task, build_benchmark
from cpg.data.in_memory import InMemoryImages, channel_stats
from cpg.errors import UserError


def source_task(name: str, number: int | None, config: SourceDataConfig, options: dict | None = None,
                ) -> tuple[Task, tuple[int, int, int]]:
    """Task `number` (from 1) of benchmark `name`, built with `options`, and its image shape.

    Without a number, a benchmark of several tasks is merged: its classes sorted by name (for
    cifar100-20 that is CIFAR-100's fine-label order, the order community models predict in),
    normalised by the merged training images' statistics.
    """
    benchmark = build_benchmark(
        name, data_root=config.data_root, download=config.download, verify_checksums=config.verify_checksums,
        val_fraction=config.val_fraction, options=options,
    )
    if number is not None:
        if not 1 <= number <= len(benchmark.tasks):
            raise UserError(f"task {number}: {name} has tasks 1..{len(benchmark.tasks)}")
        return benchmark.tasks[number - 1], benchmark.input_shape
    if len(benchmark.tasks) == 1:
        return benchmark.tasks[0], benchmark.input_shape
    return merge_tasks(benchmark), benchmark.input_shape


def merge_tasks(benchmark: Benchmark) -> Task:
    """All tasks of `benchmark` as one task over the union of their classes."""
    classes = sorted(name for task in benchmark.tasks for name in task.classes)
    if len(set(classes)) != len(classes):
        raise UserError(f"{benchmark.name}: tasks share class names, so they cannot be merged into one task; pick one with {benchmark.name}:K")
    index = {name: position for position, name in enumerate(classes)}
    splits = {}
    for split in ("train", "val", "test"):
        parts = [getattr(task, split) for task in benchmark.tasks]
        if not all(isinstance(part, InMemoryImages) for part in parts):
            raise UserError(f"{benchmark.name}: only in-memory benchmarks can be merged; pick one task with {benchmark.name}:K")
        relabel = [torch.tensor([index[name] for name in task.classes]) for task in benchmark.tasks]
        splits[split] = (torch.cat([part.images for part in parts]),
                         torch.cat([table[part.labels] for table, part in zip(relabel, parts)]))
    mean, std = channel_stats(splits["train"][0])
    augment = benchmark.tasks[0].train.augment
    return Task(
        name=benchmark.name,
        classes=tuple(classes),
        train=InMemoryImages(*splits["train"], mean, std, augment),
        val=InMemoryImages(*splits["val"], mean, std),
        test=InMemoryImages(*splits["test"], mean, std),
    )
