"""Evaluating the committed tasks of a saved run from one load of its checkpoint (`cpg eval`).

Tasks are switched with `use_task`; nothing is reloaded or rebuilt. Each Sharable layer keeps
the effective weights of the last `eval_cache_tasks` tasks it computed (memory-bounded, checked
against the tensors they were computed from), so a task evaluated again is not recomputed.
"""

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from cpg.config import RunConfig
from cpg.data import Benchmark
from cpg.data.batches import TaskData
from cpg.data.preprocessing import task_preprocessing
from cpg.device import AUTO, resolve_device
from cpg.engine import EpochStats, evaluate
from cpg.errors import UserError
from cpg.workflows.run_settings import load_benchmark
from cpg.workflows.saved_run import Run, open_run
from cpg.workflows.task_inference import InferredTask, infer_tasks

SPLITS = ("test", "val")


@dataclass(frozen=True)
class EvalSettings:
    run: Path
    tasks: Sequence[int] | None = None  # in this order, repeats allowed; None: every committed task
    split: str = "test"
    device: str = AUTO
    data_root: str | None = None  # None: where the run read its data
    infer_task: bool = False  # also infer each image's task without its id (cpg/workflows/task_inference.py)


@dataclass(frozen=True)
class Evaluation:
    run: Run
    rows: list[dict[str, Any]]  # per task: accuracy, loss and images, beside the accuracy recorded at commit
    inferred: list[InferredTask] | None  # per task, with `infer_task`: how its images fare without their id


def evaluate_run(settings: EvalSettings) -> Evaluation:
    """The run, and per task its accuracy, loss and images on the split beside the accuracy
    recorded when it was committed (and, with `infer_task`, without the task id)."""
    run = open_run(settings.run, resolve_device(settings.device))
    tasks = settings.tasks or run.network.committed_tasks
    for task in tasks:
        run.check_task(task)
    benchmark = load_benchmark(dataclasses.replace(run_data(run, settings.data_root), download=False))
    recorded_key = "test_accuracy" if settings.split == "test" else "val_accuracy"
    recorded = {record["task"]: record.get(recorded_key) for record in run.state.results}
    rows = [{"task": task, "name": benchmark.tasks[task - 1].name, "split": settings.split, "accuracy": stats.accuracy,
             "loss": stats.loss, "samples": stats.samples, "accuracy_at_commit": recorded.get(task)}
            for task, stats in evaluate_tasks(run, benchmark, tasks, settings.split)]
    inferred = infer_run_tasks(run, benchmark, tasks, settings.split) if settings.infer_task else None
    return Evaluation(run, rows, inferred)


def infer_run_tasks(run: Run, benchmark: Benchmark, tasks: Sequence[int], split: str = "test") -> list[InferredTask]:
    """`infer_tasks` on the images of `tasks` in `split`, among every committed task of the run."""
    candidates = run.network.committed_tasks
    check_data(run, benchmark, sorted({*tasks, *candidates}))
    preprocessing = {task: task_preprocessing(benchmark.tasks[task - 1]) for task in {*tasks, *candidates}}
    return infer_tasks(run.network, tasks, lambda task: task_batches(run, benchmark, task, split), preprocessing)


def run_data(run: Run, data_root: str | None) -> RunConfig:
    """The run's config, reading its data from `data_root` when given."""
    return run.config if data_root is None else dataclasses.replace(run.config, data_root=data_root)


def check_data(run: Run, benchmark: Benchmark, tasks: Sequence[int]) -> None:
    """Refuse data that is not what the run learned (other tasks, other image shape)."""
    if tuple(benchmark.input_shape) != run.input_shape:
        raise UserError(f"the data has images of shape {tuple(benchmark.input_shape)}; the run learned {run.input_shape}")
    for task in tasks:
        expected = run.state.task_names[task - 1] if task <= len(run.state.task_names) else None
        found = benchmark.tasks[task - 1].name if task <= len(benchmark.tasks) else None
        if expected is not None and found != expected:
            raise UserError(f"task {task}: the data holds {found or 'no such task'}, the run learned {expected}")


def task_batches(run: Run, benchmark: Benchmark, task: int, split: str) -> torch.utils.data.DataLoader:
    """The batches of `split` of `task`, exactly as the run evaluated them."""
    if split not in SPLITS:
        raise UserError(f"unknown split {split!r}; choose one of: {', '.join(SPLITS)}")
    config = run.config
    data = TaskData(benchmark.tasks[task - 1], config.batch_size, config.eval_batch_size, config.seed, config.select_on)
    return data.eval_batches(split)


def evaluate_tasks(run: Run, benchmark: Benchmark, tasks: Sequence[int], split: str = "test",
                   ) -> list[tuple[int, EpochStats]]:
    """Loss and accuracy of each of `tasks` (in the given order, repeats allowed) on `split`."""
    for task in tasks:
        run.check_task(task)
    check_data(run, benchmark, tasks)
    results = []
    for task in tasks:
        run.network.use_task(task)
        results.append((task, evaluate(run.network, task_batches(run, benchmark, task, split), run.network.device)))
    return results
