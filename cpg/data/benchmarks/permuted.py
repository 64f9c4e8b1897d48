"""Permuted MNIST: every task is all of MNIST with its pixels shuffled by a fixed permutation.

By default the first task is MNIST itself (the identity permutation), so that it keeps the
spatial structure a CNN can use; ``identity_first: false`` permutes it too. Task ``t``'s permutation depends only
on ``seed`` and ``t``, so adding tasks leaves the earlier ones as they were, and the same
permutation is applied to the task's training and test images.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torchvision.datasets import MNIST

from cpg.data import per_class
from cpg.data.assemble import in_memory_task
from cpg.data.benchmarks.mnist import MNIST_SHAPE, read_mnist
from cpg.data.build import BenchmarkRequest
from cpg.data.class_split import Split
from cpg.data.options import bool_option, int_option, resolve_options
from cpg.data.task import IN_MEMORY_TRANSFORMS, Benchmark
from cpg.registry import BENCHMARKS

DEFAULTS: Mapping[str, Any] = {"num_tasks": 10, "seed": 0, "identity_first": True, **per_class.DEFAULTS}


@BENCHMARKS.register("perm-mnist")
def permuted_mnist_benchmark(request: BenchmarkRequest) -> Benchmark:
    """Tasks ``mnist_perm_1`` … of the ten digits, each under its own pixel permutation."""
    name, val_fraction = request.name, request.val_fraction
    given = resolve_options(name, request.options, DEFAULTS)
    num_tasks = int_option(name, "num_tasks", given["num_tasks"], 1)
    seed = int_option(name, "seed", given["seed"], 0)
    identity_first = bool_option(name, "identity_first", given["identity_first"])
    count = per_class.requested_count(name, given)
    classes, train, test = read_mnist(MNIST, request.root, request.download)
    train, kept = per_class.keep_per_class(train, count)
    pixels = MNIST_SHAPE[1] * MNIST_SHAPE[2]
    tasks = []
    for index in range(num_tasks):
        order = pixel_permutation(pixels, seed, index, identity_first)
        tasks.append(
            in_memory_task(
                f"mnist_perm_{index + 1}", classes, _permuted(train, order),
                _permuted(test, order), val_fraction,
            )
        )
    first = "; the first task unpermuted" if identity_first else ""
    permuted = f"each task's pixels shuffled by its own fixed permutation (seed {seed}{first})"
    return Benchmark(name, tuple(tasks), MNIST_SHAPE, f"{permuted}; {IN_MEMORY_TRANSFORMS}", kept)


def pixel_permutation(pixels: int, seed: int, index: int, identity_first: bool) -> Tensor:
    """The permutation of task ``index`` (0-based): output pixel ``j`` is input pixel
    ``order[j]`` of the flattened image."""
    if identity_first and index == 0:
        return torch.arange(pixels)
    return torch.from_numpy(np.random.default_rng((seed, index)).permutation(pixels))


def _permuted(split: Split, order: Tensor) -> Split:
    images, labels = split
    return images.flatten(1)[:, order].view_as(images), labels
