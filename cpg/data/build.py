"""Benchmarks by name. Each one is a builder registered with `@BENCHMARKS.register(name)` in the
module that reads its data (cpg/data/benchmarks/), turning a `BenchmarkRequest` into a
`Benchmark`; adding a benchmark is that one decorated definition (cpg/registry.py)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cpg.data.long_tail import OPTION as IMBALANCE
from cpg.data.long_tail import long_tailed
from cpg.data.options import float_option, resolve_options
from cpg.data.task import Benchmark
from cpg.errors import UserError
from cpg.registry import BENCHMARKS

DEFAULT_DATA_ROOT = Path("data")
MAX_VAL_FRACTION = 0.5


@dataclass(frozen=True)
class BenchmarkRequest:
    """What a benchmark is built from: its name and its own options, where its files are,
    whether missing files may be downloaded (and archives' checksums checked), and the share of
    each task's training data held out for validation."""

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
    imagefolder, perm-mnist, rot-mnist; ``train_per_class`` of every MNIST and CIFAR benchmark,
    see `cpg.data.per_class`) and the ``imbalance`` ratio every benchmark takes (see
    `cpg.data.long_tail`), applied to the benchmark as built, so after ``train_per_class``.
    """
    builder: Callable[[BenchmarkRequest], Benchmark] = BENCHMARKS.get(name)
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
