"""Benchmarks as sequences of tasks, and loaders over their splits."""

from cpg.data import benchmarks  # noqa: F401  (registers every benchmark)
from cpg.data.loader import make_loader
from cpg.data.registry import BENCHMARKS, build_benchmark
from cpg.data.task import Benchmark, Task
from cpg.data.tensors import from_tensors

__all__ = ["BENCHMARKS", "Benchmark", "Task", "build_benchmark", "from_tensors", "make_loader"]
