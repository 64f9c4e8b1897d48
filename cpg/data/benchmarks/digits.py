"""scikit-learn's bundled 8x8 handwritten digits: real data that needs no download."""

from __future__ import annotations

import torch
from sklearn.datasets import load_digits
from torch import Tensor

from cpg.data.assemble import in_memory_task
from cpg.data.build import BenchmarkRequest
from cpg.data.split import stratified_split
from cpg.data.task import Benchmark, Task
from cpg.registry import BENCHMARKS

TEST_FRACTION = 0.3
"""Share of the 1,797 images that form the test split (stratified, fixed by the split seed)."""

PAIRS = ((0, 1), (2, 3), (4, 5), (6, 7), (8, 9))
ALL_DIGITS = (tuple(range(10)),)


@BENCHMARKS.register("digits-5")
def digit_pairs_benchmark(request: BenchmarkRequest) -> Benchmark:
    """Five tasks: the digits 0/1, 2/3, … 8/9."""
    request.refuse_options()
    return digits_benchmark(request.name, PAIRS, request.val_fraction)


@BENCHMARKS.register("digits-10")
def all_digits_benchmark(request: BenchmarkRequest) -> Benchmark:
    """One task of the ten digits."""
    request.refuse_options()
    return digits_benchmark(request.name, ALL_DIGITS, request.val_fraction)


def digits_benchmark(
    name: str, groups: tuple[tuple[int, ...], ...], val_fraction: float
) -> Benchmark:
    """One task per group of digits; within a task, label ``i`` is the group's ``i``-th digit.

    A single group forms the task ``digits``; several are named after their digits
    (``digits_0_1``). Pixel values 0..16 are scaled to [0, 1].
    """
    bunch = load_digits()
    images = torch.from_numpy(bunch.images).float().div_(16).unsqueeze(1)
    digits = torch.from_numpy(bunch.target).long()
    splits = tuple(map(torch.from_numpy, stratified_split(bunch.target, TEST_FRACTION)))
    tasks = tuple(
        _task(_task_name(group, len(groups)), group, images, digits, splits, val_fraction)
        for group in groups
    )
    return Benchmark(name=name, tasks=tasks, input_shape=(1, 8, 8))


def _task_name(group: tuple[int, ...], num_groups: int) -> str:
    return "digits" if num_groups == 1 else "_".join(["digits", *map(str, group)])


def _task(
    name: str,
    group: tuple[int, ...],
    images: Tensor,
    digits: Tensor,
    splits: tuple[Tensor, Tensor],
    val_fraction: float,
) -> Task:
    local = torch.full((10,), -1, dtype=torch.long)
    local[list(group)] = torch.arange(len(group))
    parts = []
    for split in splits:
        members = split[local[digits[split]] >= 0]
        parts.append((images[members], local[digits[members]]))
    return in_memory_task(name, tuple(map(str, group)), *parts, val_fraction)
