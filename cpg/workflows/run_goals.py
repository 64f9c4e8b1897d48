"""The goal of each task of a run: given, read from a goal file, or measured by training one
network per task first."""

from functools import partial
from pathlib import Path
from typing import Any

import torch

from cpg.algorithms import STRATEGIES, RunState
from cpg.algorithms.independent import single_task_network, train_task_alone
from cpg.checkpoint import RunFolder
from cpg.config import RunConfig, scale_epochs
from cpg.config.commands import baseline_command
from cpg.data import Benchmark
from cpg.goals import Goal, find_goal_file, load_goals
from cpg.nn import TaskNetwork
from cpg.report import Reporter
from cpg.workflows.run_settings import run_name


def compute_goals(config: RunConfig, benchmark: Benchmark, reporter: Reporter, device: torch.device,
                  state: RunState, network: TaskNetwork | None = None) -> list[dict[str, Any] | None]:
    """Each task's goal (as saved in the run's state), measured like for like: a given
    `goal.value` or `goal.file`; else, for the registry's architectures, the goal file of
    (benchmark, arch); else one network of the run's own architecture per task trained first —
    for a network of your own (`network`), copies of it, never another architecture."""
    if state.goals:
        return state.goals
    if not STRATEGIES.get(config.strategy).goals:
        return [None] * len(benchmark.tasks)
    goals = _measured_goals(config, benchmark, reporter, device, network)
    settings = config.goal
    reporter.message(
        f"a task meets its goal when its {config.select_on} accuracy is at least the goal − {settings.allowed_loss:g} "
        f"− {settings.standard_errors:g} standard error(s) of the difference (README: Decisions)")
    return [goal.to_dict() for goal in goals]


def _measured_goals(config: RunConfig, benchmark: Benchmark, reporter: Reporter, device: torch.device,
                    network: TaskNetwork | None) -> list[Goal]:
    split = config.select_on
    if config.goal.value is not None:
        reporter.message(f"goals: {config.goal.value:g} for every task (given)")
        return [Goal(config.goal.value, None, "given")] * len(benchmark.tasks)
    path = Path(config.goal.file) if config.goal.file else None
    if path is None and network is None:
        path = find_goal_file(benchmark.name, config.arch)
    if path is not None:
        goals, source = load_goals(path, benchmark, config.arch if network is None else None, split,
                                   config.benchmark_options, config.val_fraction)
        reporter.message(f"goals: {split} accuracies from {path} ({source})")
        return goals
    if network is None:
        build = None
        reporter.message(
            f"no goal file baselines/{benchmark.name}-{config.arch}.json: training one {config.arch} per task first "
            f"to set the goals (save them for later runs with "
            f"`{baseline_command(config, RunFolder(Path(config.checkpoint_dir) / run_name(config)).config_path)}`)")
    else:
        build = partial(single_task_network, network)
        reporter.message("training a copy of your network per task first to set the goals (or give goal.value)")
    scaled = scale_epochs(config)
    rows = [train_task_alone(scaled, benchmark, index, reporter, device, build=build)[1]
            for index in range(len(benchmark.tasks))]
    return [Goal.from_row(row, split) for row in rows]
