"""Benchmarks by name."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cpg.data.cifar import cifar10_benchmark, cifar100_benchmark
from cpg.data.digits import ALL_DIGITS, PAIRS, digits_benchmark
from cpg.data.imagefolder import imagefolder_benchmark
from cpg.data.long_tail import OPTION as IMBALANCE
from cpg.data.long_tail import long_tailed
from cpg.data.options import float_option, resolve_options
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
)
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

    ``data_root`` is where CIFAR archives live (default ``./data``) and what relative
    imagefolder roots are resolved against; ``download`` and ``verify_checksums`` concern
    CIFAR only. ``options`` are the benchmark's own settings (synthetic, imagefolder) and the
    ``imbalance`` ratio every benchmark takes (see `cpg.data.long_tail`).
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
    resolve_options(name, options, {})
    if name == "digits-5":
        return digits_benchmark(name, PAIRS, val_fraction)
    if name == "digits-10":
        return digits_benchmark(name, ALL_DIGITS, val_fraction)
    cifar = cifar100_benchmark if name == "cifar100-20" else cifar10_benchmark
    return cifar(name, root or DEFAULT_DATA_ROOT, download, verify_checksums, val_fraction)
