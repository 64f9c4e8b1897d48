"""Generated tasks of chosen size and difficulty, for tests and benchmarks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from cpg.data.assemble import in_memory_task
from cpg.data.build import BenchmarkRequest
from cpg.data.options import float_option, int_option, resolve_options
from cpg.data.task import Benchmark, Task
from cpg.registry import BENCHMARKS

DEFAULTS: Mapping[str, Any] = {
    "num_tasks": 5,
    "classes_per_task": 2,
    "train_per_class": 100,
    "test_per_class": 50,
    "image_size": 8,
    "channels": 1,
    "difficulty": 0.5,
    "seed": 0,
}

MINIMUMS: Mapping[str, int] = {
    "num_tasks": 1,
    "classes_per_task": 2,
    "train_per_class": 2,
    "test_per_class": 1,
    "image_size": 2,
    "channels": 1,
    "seed": 0,
}
"""Smallest accepted value of each integer option."""

MAX_SIMILARITY = 0.95
"""Share of a class prototype's energy common to all classes of its task at difficulty 1."""

NOISE_RANGE = (0.25, 1.75)
"""Standard deviation of the pixel noise at difficulty 0 and at 1, linear in between."""


@dataclass(frozen=True)
class SyntheticSpec:
    """Validated options of the synthetic benchmark (see ``DEFAULTS``)."""

    num_tasks: int
    classes_per_task: int
    train_per_class: int
    test_per_class: int
    image_size: int
    channels: int
    difficulty: float
    seed: int

    @classmethod
    def from_options(cls, benchmark: str, options: Mapping[str, Any] | None) -> SyntheticSpec:
        given = resolve_options(benchmark, options, DEFAULTS)
        checked = {
            key: int_option(benchmark, key, given[key], minimum)
            for key, minimum in MINIMUMS.items()
        }
        difficulty = float_option(benchmark, "difficulty", given["difficulty"], 0.0, 1.0)
        return cls(difficulty=difficulty, **checked)


@BENCHMARKS.register("synthetic")
def synthetic_benchmark(request: BenchmarkRequest) -> Benchmark:
    """Tasks ``synthetic_1`` … each with its own random class prototypes.

    A sample is its class prototype plus Gaussian pixel noise. Prototypes are smooth random
    images of unit RMS. Higher difficulty makes the classes of a task share more of their
    prototype (``MAX_SIMILARITY``) and adds more noise (``NOISE_RANGE``). Task ``t`` depends
    only on ``seed``, ``t`` and the per-task options, so adding tasks leaves earlier ones as
    they were.
    """
    spec = SyntheticSpec.from_options(request.name, request.options)
    tasks = tuple(_task(spec, index, request.val_fraction) for index in range(spec.num_tasks))
    return Benchmark(
        name=request.name, tasks=tasks, input_shape=(spec.channels, spec.image_size, spec.image_size)
    )


def _task(spec: SyntheticSpec, index: int, val_fraction: float) -> Task:
    rng = np.random.default_rng((spec.seed, index))
    shared = _smooth_patterns(rng, 1, spec)
    own = _smooth_patterns(rng, spec.classes_per_task, spec)
    similarity = MAX_SIMILARITY * spec.difficulty
    prototypes = similarity**0.5 * shared + (1 - similarity) ** 0.5 * own
    low, high = NOISE_RANGE
    noise = low + (high - low) * spec.difficulty
    train = _samples(rng, prototypes, spec.train_per_class, noise)
    test = _samples(rng, prototypes, spec.test_per_class, noise)
    classes = tuple(f"class_{label}" for label in range(spec.classes_per_task))
    return in_memory_task(f"synthetic_{index + 1}", classes, train, test, val_fraction)


def _smooth_patterns(rng: np.random.Generator, count: int, spec: SyntheticSpec) -> Tensor:
    """Unit-RMS images made by bilinearly upsampling coarse Gaussian noise."""
    coarse_size = max(2, spec.image_size // 4 + 1)
    coarse = torch.from_numpy(
        rng.standard_normal((count, spec.channels, coarse_size, coarse_size), dtype=np.float32)
    )
    patterns = F.interpolate(coarse, size=spec.image_size, mode="bilinear", align_corners=True)
    rms = patterns.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt()
    return patterns / rms


def _samples(
    rng: np.random.Generator, prototypes: Tensor, per_class: int, noise: float
) -> tuple[Tensor, Tensor]:
    labels = torch.arange(len(prototypes)).repeat_interleave(per_class)
    pixels = rng.standard_normal((len(labels), *prototypes.shape[1:]), dtype=np.float32)
    return prototypes[labels] + noise * torch.from_numpy(pixels), labels
