"""Benchmarks as sequences of tasks, and loaders over their splits."""

from cpg.data.build import build_benchmark
from cpg.data.loader import make_loader
from cpg.data.task import Benchmark, Task
from cpg.data.tensors import from_tensors
from cpg.registry import BENCHMARKS

__all__ = ["BENCHMARKS", "Benchmark", "Task", "build_benchmark", "from_tensors", "make_loader"]
