"""Evaluating the committed tasks of a saved run from one load of its checkpoint.

Tasks are switched with `use_task`; nothing is reloaded or rebuilt. Each Sharable layer keeps
the effective weights of the last `eval_cache_tasks` tasks it computed (memory-bounded, checked
against the tensors they were computed from), so a task evaluated again is not recomputed.
"""

from collections.abc import Sequence

import torch

from cpg.data.batches import TaskData
from cpg.data import Benchmark
from cpg.engine import EpochStats, evaluate
from cpg.errors import UserError
from cpg.runs import Run

SPLITS = ("test", "val")


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
