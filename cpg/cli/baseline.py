"""`cpg baseline`: one network per task, to produce a goal file."""

import argparse
from pathlib import Path

from cpg.algorithms.independent import train_task_alone
from cpg.device import resolve_device
from cpg.cli.parser import overrides
from cpg.cli.pipelines import resolve_config
from cpg.config import scale_epochs, to_mapping
from cpg.engine.work_folder import WorkFolder
from cpg.goals import goal_path, write_goals
from cpg.report import ConsoleReport, Reporter
from cpg.runner import check_names, load_benchmark


def baseline(args: argparse.Namespace) -> int:
    config = resolve_config(args.config, args.tasks, overrides(args))
    check_names(config)
    benchmark = load_benchmark(config)
    device = resolve_device(config.device)
    console = ConsoleReport(quiet=args.quiet)
    reporter = Reporter(console)
    reporter.message(benchmark.describe())
    scaled = scale_epochs(config)
    path = Path(args.output) if args.output else goal_path("baselines", benchmark.name, config.arch)
    work = WorkFolder.for_command("baseline", {"config": to_mapping(config), "output": str(path.resolve())},
                                  config.checkpoint_dir, config.save_every_seconds, reporter.warning)
    work.announce(reporter.message)
    rows = [train_task_alone(scaled, benchmark, index, reporter, device,
                             store=lambda model, index=index: work.store(f"task-{index + 1}", model))[1]
            for index in range(len(benchmark.tasks))]
    source = (f"cpg baseline --tasks {benchmark.name} --arch {config.arch} --seed {config.seed} "
              f"--epochs-scale {config.epochs_scale:g} (one {config.arch} per task trained alone with the "
              "FINETUNE schedule; accuracies of its final epoch)")
    write_goals(path, benchmark, config.arch, rows, source, config.benchmark_options, config.val_fraction)
    work.remove()
    for task, row in zip(benchmark.tasks, rows):
        console.console.print(f"{task.name:40s} val {row['val'] * 100:6.2f}%   test {row['test'] * 100:6.2f}%")
    console.console.print(f"wrote {path}")
    return 0
