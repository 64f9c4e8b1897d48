"""`cpg baseline` below the command line: one network per task trained alone (in a work folder,
so a killed command resumes), its accuracies written as the benchmark's goal file with the
protocol they were measured with."""

from dataclasses import dataclass
from pathlib import Path

from cpg.config import RunConfig, to_mapping
from cpg.device import resolve_device
from cpg.engine.work_folder import WorkFolder
from cpg.goals import goal_path, goal_protocol, write_goals
from cpg.models.pretrained import initialized_builder
from cpg.report import Reporter
from cpg.workflows.goal_measurement import measure_goal_rows
from cpg.workflows.run_settings import check_names, load_benchmark


@dataclass(frozen=True)
class BaselineSettings:
    config: RunConfig
    output: Path | None = None  # default: <goal.directory>/<benchmark>-<arch>.json


@dataclass(frozen=True)
class Baselines:
    path: Path  # the goal file written
    tasks: list[tuple[str, dict[str, float]]]  # each task's name and accuracies (train, val, test)


def measure_baselines(settings: BaselineSettings, reporter: Reporter) -> Baselines:
    config = settings.config
    check_names(config)
    benchmark = load_benchmark(config)
    device = resolve_device(config.device)
    reporter.message(benchmark.describe())
    path = settings.output or goal_path(config.goal.directory, benchmark.name, config.arch)
    work = WorkFolder.for_command("baseline", {"config": to_mapping(config), "output": str(path.resolve())},
                                  config.checkpoint_dir, config.save_every_seconds, reporter.warning)
    rows = measure_goal_rows(config, benchmark, reporter, device, work,
                             build=initialized_builder(config.arch, benchmark.input_shape, config.init)
                             if config.init else None)
    source = (f"cpg baseline --tasks {benchmark.name} --arch {config.arch} --seed {config.seed} "
              f"--epochs-scale {config.epochs_scale:g} (one {config.arch} per task trained alone with the "
              "FINETUNE schedule; accuracies of its final epoch)")
    write_goals(path, benchmark, config.arch, rows, source, goal_protocol(config))
    work.remove()
    return Baselines(path, [(task.name, row) for task, row in zip(benchmark.tasks, rows)])
