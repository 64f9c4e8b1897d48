"""Benchmarks by name."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from torchvision.datasets import CIFAR10, CIFAR100, MNIST, FashionMNIST

from cpg.data.cifar import cifar10_benchmark, cifar100_benchmark, split_cifar_benchmark
from cpg.data.digits import ALL_DIGITS, PAIRS, digits_benchmark
from cpg.data.imagefolder import imagefolder_benchmark
from cpg.data.long_tail import OPTION as IMBALANCE
from cpg.data.long_tail import long_tailed
from cpg.data.mnist import split_mnist_benchmark
from cpg.data.options import float_option, resolve_options
from cpg.data.permuted import permuted_mnist_benchmark
from cpg.data.rotated import rotated_mnist_benchmark
from cpg.data.synthetic import synthetic_benchmark
from cpg.data.task import Benchmark
from cpg.errors import UserError

BENCHMARKS: tuple[str, ...] = (
    "digits-5",
    "digits-10",
    "synthetic",
    "cifar100-20",
    "cifar10",
    "imagefolder",
    "split-mnist",
    "perm-mnist",
    "rot-mnist",
    "split-fashion-mnist",
    "split-cifar10",
    "split-cifar100",
)
SPLIT_MNIST = {"split-mnist": MNIST, "split-fashion-mnist": FashionMNIST}
"""Source dataset of each split MNIST-format sequence (five tasks of two classes)."""
SPLIT_CIFAR = {"split-cifar10": (CIFAR10, 2), "split-cifar100": (CIFAR100, 10)}
"""Source dataset and classes per task of each split CIFAR sequence."""
DEFAULT_DATA_ROOT = Path("data")
MAX_VAL_FRACTION = 0.5


def build_benchmark(
    name: str,
    *,
    data_root: str | Path | None = None,
    download: bool = False,
    verify_checksums: bool = True,
    val_fraction: float = 0.1,
    options: Mapping[str, Any] | None = None,
) -> Benchmark:
    """The benchmark ``name`` with ``val_fraction`` of each task's training data held out.

    ``data_root`` is where the MNIST and CIFAR files live (default ``./data``) and what
    relative imagefolder roots are resolved against; ``download`` concerns MNIST and CIFAR,
    ``verify_checksums`` CIFAR only. ``options`` are the benchmark's own settings (synthetic,
    imagefolder, perm-mnist, rot-mnist) and the ``imbalance`` ratio every benchmark takes (see
    `cpg.data.long_tail`).
    """
    if name not in BENCHMARKS:
        raise UserError(f"unknown benchmark {name!r}; choose one of {', '.join(BENCHMARKS)}")
    if (
        isinstance(val_fraction, bool)
        or not isinstance(val_fraction, (int, float))
        or not 0 < val_fraction <= MAX_VAL_FRACTION
    ):
        raise UserError(
            f"val_fraction must be a number in (0, {MAX_VAL_FRACTION}], got {val_fraction!r}"
        )
    options = dict(options or {})
    ratio = options.pop(IMBALANCE, None)
    if ratio is not None:
        ratio = float_option(name, IMBALANCE, ratio, 1.0, math.inf)
    root = Path(data_root) if data_root is not None else None
    benchmark = _build(name, root, download, verify_checksums, val_fraction, options)
    return benchmark if ratio is None else long_tailed(benchmark, ratio)


def _build(
    name: str,
    root: Path | None,
    download: bool,
    verify_checksums: bool,
    val_fraction: float,
    options: Mapping[str, Any],
) -> Benchmark:
    if name == "synthetic":
        return synthetic_benchmark(name, options, val_fraction)
    if name == "imagefolder":
        return imagefolder_benchmark(name, options, root, val_fraction)
    data_root = root or DEFAULT_DATA_ROOT
    if name == "perm-mnist":
        return permuted_mnist_benchmark(name, options, data_root, download, val_fraction)
    if name == "rot-mnist":
        return rotated_mnist_benchmark(name, options, data_root, download, val_fraction)
    resolve_options(name, options, {})
    if name == "digits-5":
        return digits_benchmark(name, PAIRS, val_fraction)
    if name == "digits-10":
        return digits_benchmark(name, ALL_DIGITS, val_fraction)
    if name in SPLIT_MNIST:
        return split_mnist_benchmark(name, SPLIT_MNIST[name], data_root, download, val_fraction)
    if name in SPLIT_CIFAR:
        source, per_task = SPLIT_CIFAR[name]
        return split_cifar_benchmark(
            name, source, per_task, data_root, download, verify_checksums, val_fraction
        )
    cifar = cifar100_benchmark if name == "cifar100-20" else cifar10_benchmark
    return cifar(name, data_root, download, verify_checksums, val_fraction)
