"""The goal of each task of a run: given, read from a goal file of the run's protocol, or measured
once by training one network per task first and written as that protocol's goal file."""

import time
from functools import partial
from pathlib import Path
from typing import Any

import torch

from cpg.config import RunConfig, scale_epochs
from cpg.continual import STRATEGIES, RunState
from cpg.continual.alone import ModelBuilder, single_task_network
from cpg.data import Benchmark
from cpg.distributed import Distributed
from cpg.engine.work_folder import WorkFolder
from cpg.errors import UserError
from cpg.goals import Goal, GoalFile, candidate_files, goal_path, goal_protocol, write_goals
from cpg.models.pretrained import initialized_builder
from cpg.nn import TaskNetwork
from cpg.report import Reporter
from cpg.workflows.goal_measurement import measure_goal_rows
from cpg.workflows.run_settings import run_name


def compute_goals(config: RunConfig, benchmark: Benchmark, reporter: Reporter, device: torch.device,
                  state: RunState, network: TaskNetwork | None = None,
                  dist: Distributed | None = None) -> list[dict[str, Any] | None]:
    """Each task's goal (as saved in the run's state), measured like for like: a given
    `goal.value` or `goal.file`; else, for the registry's architectures, a goal file of the run's
    protocol; else one network of the run's own architecture per task trained first — for a
    network of your own (`network`), copies of it, never another architecture. The seconds spent
    measuring count in the run's time and in `state.goal_seconds`."""
    if state.goals:
        return state.goals
    if not STRATEGIES.get(config.strategy).selection.uses_goals:
        return [None] * len(benchmark.tasks)
    started = time.perf_counter()
    goals = _goals(config, benchmark, reporter, device, network, dist or Distributed())
    elapsed = time.perf_counter() - started
    state.goal_seconds += elapsed
    state.wall_seconds += elapsed
    settings = config.goal
    paired = all(goal.correct is not None for goal in goals)
    reporter.message(
        f"a task meets its goal when its {config.select_on} accuracy is at least the goal − {settings.allowed_loss:g} "
        f"− {settings.standard_errors:g} standard error(s) of the difference, "
        + ("paired image by image with the goal network's results (README: Decisions)" if paired else
           "counted as independent: no per-image results of the goal networks (README: Decisions)"))
    return [goal.to_dict() for goal in goals]


def _goals(config: RunConfig, benchmark: Benchmark, reporter: Reporter, device: torch.device,
           network: TaskNetwork | None, dist: Distributed) -> list[Goal]:
    split = config.select_on
    if config.goal.value is not None:
        reporter.message(f"goals: {config.goal.value:g} for every task (given)")
        return [Goal(config.goal.value, None, "given")] * len(benchmark.tasks)
    arch = config.arch if network is None else None
    protocol = goal_protocol(config)
    if config.goal.file:
        file = GoalFile.read(config.goal.file)
        problem = file.problem(benchmark, arch, split, protocol if network is None else None)
        if problem:
            raise UserError(f"{file.path}: {problem}; remove `goal.file` to measure goals for this run, or give `goal.value`")
        return _read(file, split, reporter)
    if network is None:
        for path in candidate_files(benchmark.name, config.arch, protocol, config.goal.directory):
            file = GoalFile.read(path)
            problem = file.problem(benchmark, arch, split, protocol)
            if problem is None:
                return _read(file, split, reporter)
            reporter.message(f"not using {path}: {problem}")
    return _measure(config, benchmark, reporter, device, network, protocol, dist)


def _read(file: GoalFile, split: str, reporter: Reporter) -> list[Goal]:
    kind = "published " if file.published else ""
    reporter.message(f"goals: {kind}{split} accuracies from {file.path} ({file.source})")
    return file.goals(split)


def _measure(config: RunConfig, benchmark: Benchmark, reporter: Reporter, device: torch.device,
             network: TaskNetwork | None, protocol: dict[str, Any], dist: Distributed) -> list[Goal]:
    """Train one network per task (resumably), write them as the protocol's goal file (for the
    registry's architectures) and return their goals."""
    epochs = scale_epochs(config).finetune.epochs
    identity: dict[str, Any] = {"protocol": protocol}
    build: ModelBuilder | None = None
    if network is not None:
        build = partial(single_task_network, network)
        identity["run"] = str((Path(config.checkpoint_dir) / run_name(config)).resolve())
        reporter.message(f"measuring the goals: training a copy of your network per task first ({epochs} epochs "
                         "each; give goal.value to skip this)")
    else:
        if config.init is not None:
            build = initialized_builder(config.arch, benchmark.input_shape, config.init)
        reporter.message(
            f"measuring the goals: training one {config.arch} per task first ({len(benchmark.tasks)} × {epochs} epochs"
            f"{', from the init weights' if config.init else ''}); they are saved as "
            f"{goal_path(config.goal.directory, benchmark.name, config.arch, protocol)}, which later runs of this "
            "protocol read instead (`goal.value` skips measuring)")
    work = WorkFolder.for_command("goals", identity, config.checkpoint_dir, config.save_every_seconds,
                                  reporter.warning)
    rows = measure_goal_rows(config, benchmark, reporter, device, work, build=build, dist=dist)
    if network is None and dist.is_main:
        path = goal_path(config.goal.directory, benchmark.name, config.arch, protocol)
        source = (f"measured by a cpg run: one {config.arch} per task trained alone with the run's FINETUNE schedule "
                  f"({epochs} epochs); accuracies of its final epoch")
        write_goals(path, benchmark, config.arch, rows, source, protocol)
        reporter.message(f"goals saved as {path}")
    dist.barrier()
    if dist.is_main:
        work.remove()
    return [Goal.from_row(row, config.select_on) for row in rows]
