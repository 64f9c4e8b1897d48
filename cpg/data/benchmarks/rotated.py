"""Rotated MNIST: every task is all of MNIST turned by its own fixed angle.

By default ``num_tasks`` angles spread evenly over [0°, 180°) (0°, 18°, … 162° for ten tasks);
``angles`` lists them instead. Images turn counter-clockwise about their centre with bilinear
interpolation; corners that come from outside the image are black.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
from torchvision.datasets import MNIST
from torchvision.transforms import InterpolationMode
from torchvision.transforms.v2 import functional as F

from cpg.data import per_class
from cpg.data.assemble import in_memory_task
from cpg.data.benchmarks.mnist import MNIST_SHAPE, read_mnist
from cpg.data.build import BenchmarkRequest
from cpg.data.class_split import Split
from cpg.data.options import int_option, resolve_options
from cpg.data.task import IN_MEMORY_TRANSFORMS, Benchmark
from cpg.errors import UserError
from cpg.registry import BENCHMARKS

DEFAULTS: Mapping[str, Any] = {"num_tasks": 10, "angles": None, **per_class.DEFAULTS}
SPREAD = 180.0
"""Default angles cover [0, SPREAD) degrees in equal steps."""
CHUNK = 8192
"""Images rotated at once, which bounds the float copy rotation makes."""


@BENCHMARKS.register("rot-mnist")
def rotated_mnist_benchmark(request: BenchmarkRequest) -> Benchmark:
    """Tasks ``mnist_rot_<angle>`` of the ten digits, one per angle, in the order given."""
    angles = task_angles(request.name, request.options)
    count = per_class.requested_count(request.name, resolve_options(request.name, request.options, DEFAULTS))
    classes, train, test = read_mnist(MNIST, request.root, request.download)
    train, kept = per_class.keep_per_class(train, count)
    tasks = tuple(
        in_memory_task(
            f"mnist_rot_{angle:g}", classes, _rotated(train, angle), _rotated(test, angle),
            request.val_fraction,
        )
        for angle in angles
    )
    degrees = ", ".join(f"{angle:g}°" for angle in angles)
    turned = f"each task's images turned counter-clockwise by its angle ({degrees}; bilinear, corners black)"
    return Benchmark(request.name, tasks, MNIST_SHAPE, f"{turned}; {IN_MEMORY_TRANSFORMS}", kept)


def task_angles(benchmark: str, options: Mapping[str, Any] | None) -> tuple[float, ...]:
    """The validated rotation of each task, in degrees."""
    given = resolve_options(benchmark, options, DEFAULTS)
    angles = given["angles"]
    if angles is None:
        count = int_option(benchmark, "num_tasks", given["num_tasks"], 1)
        return tuple(index * SPREAD / count for index in range(count))
    if not isinstance(angles, (list, tuple)) or not angles or not all(
        isinstance(angle, (int, float)) and not isinstance(angle, bool) and math.isfinite(angle)
        for angle in angles
    ):
        raise UserError(
            f"option 'angles' of benchmark {benchmark!r} must be a non-empty list of angles in "
            f"degrees, got {angles!r}"
        )
    if "num_tasks" in (options or {}) and given["num_tasks"] != len(angles):
        raise UserError(
            f"options of benchmark {benchmark!r}: num_tasks is {given['num_tasks']!r} but "
            f"'angles' lists {len(angles)}; give one of them"
        )
    if len(set(angles)) != len(angles):
        raise UserError(f"option 'angles' of benchmark {benchmark!r} repeats an angle: {angles}")
    return tuple(float(angle) for angle in angles)


def _rotated(split: Split, angle: float) -> Split:
    images, labels = split
    if angle == 0:
        return images, labels
    turned = [
        F.rotate(part, angle, interpolation=InterpolationMode.BILINEAR)
        for part in images.split(CHUNK)
    ]
    return torch.cat(turned), labels
