"""Benchmarks by name: each one a builder registered with `@BENCHMARKS.register(name)`, which
turns a `BenchmarkRequest` into a `Benchmark`. Adding a benchmark is one decorated definition
here (its data-reading code lives in a module of its own)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
from cpg.registry import Registry

DEFAULT_DATA_ROOT = Path("data")
MAX_VAL_FRACTION = 0.5


@dataclass(frozen=True)
class BenchmarkRequest:
    """What a benchmark is built from: its own options, where its files are, whether missing
    files may be downloaded (and archives' checksums checked), and the share of each task's
    training data held out for validation."""

    name: str
    options: Mapping[str, Any]
    data_root: Path | None  # as given; `root` is where MNIST and CIFAR files are read
    download: bool
    verify_checksums: bool
    val_fraction: float

    @property
    def root(self) -> Path:
        return self.data_root or DEFAULT_DATA_ROOT

    def refuse_options(self) -> None:
        """For a benchmark that takes no options of its own."""
        resolve_options(self.name, self.options, {})


Builder = Callable[[BenchmarkRequest], Benchmark]
BENCHMARKS: Registry[Builder] = Registry("benchmark")


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
    builder = BENCHMARKS.get(name)
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
    benchmark = builder(BenchmarkRequest(name, options, root, download, verify_checksums, val_fraction))
    return benchmark if ratio is None else long_tailed(benchmark, ratio)


@BENCHMARKS.register("digits-5")
def _digits_5(request: BenchmarkRequest) -> Benchmark:
    request.refuse_options()
    return digits_benchmark(request.name, PAIRS, request.val_fraction)


@BENCHMARKS.register("digits-10")
def _digits_10(request: BenchmarkRequest) -> Benchmark:
    request.refuse_options()
    return digits_benchmark(request.name, ALL_DIGITS, request.val_fraction)


@BENCHMARKS.register("synthetic")
def _synthetic(request: BenchmarkRequest) -> Benchmark:
    return synthetic_benchmark(request.name, request.options, request.val_fraction)


@BENCHMARKS.register("cifar100-20")
def _cifar100_superclasses(request: BenchmarkRequest) -> Benchmark:
    request.refuse_options()
    return cifar100_benchmark(request.name, request.root, request.download, request.verify_checksums,
                              request.val_fraction)


@BENCHMARKS.register("cifar10")
def _cifar10(request: BenchmarkRequest) -> Benchmark:
    request.refuse_options()
    return cifar10_benchmark(request.name, request.root, request.download, request.verify_checksums,
                             request.val_fraction)


@BENCHMARKS.register("imagefolder")
def _imagefolder(request: BenchmarkRequest) -> Benchmark:
    return imagefolder_benchmark(request.name, request.options, request.data_root, request.val_fraction)


@BENCHMARKS.register("split-mnist")
def _split_mnist(request: BenchmarkRequest) -> Benchmark:
    request.refuse_options()
    return split_mnist_benchmark(request.name, MNIST, request.root, request.download, request.val_fraction)


@BENCHMARKS.register("perm-mnist")
def _permuted_mnist(request: BenchmarkRequest) -> Benchmark:
    return permuted_mnist_benchmark(request.name, request.options, request.root, request.download,
                                    request.val_fraction)


@BENCHMARKS.register("rot-mnist")
def _rotated_mnist(request: BenchmarkRequest) -> Benchmark:
    return rotated_mnist_benchmark(request.name, request.options, request.root, request.download,
                                   request.val_fraction)


@BENCHMARKS.register("split-fashion-mnist")
def _split_fashion_mnist(request: BenchmarkRequest) -> Benchmark:
    request.refuse_options()
    return split_mnist_benchmark(request.name, FashionMNIST, request.root, request.download, request.val_fraction)


@BENCHMARKS.register("split-cifar10")
def _split_cifar10(request: BenchmarkRequest) -> Benchmark:
    request.refuse_options()
    return split_cifar_benchmark(request.name, CIFAR10, 2, request.root, request.download, request.verify_checksums,
                                 request.val_fraction)


@BENCHMARKS.register("split-cifar100")
def _split_cifar100(request: BenchmarkRequest) -> Benchmark:
    request.refuse_options()
    return split_cifar_benchmark(request.name, CIFAR100, 10, request.root, request.download,
                                 request.verify_checksums, request.val_fraction)
