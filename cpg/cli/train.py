"""`cpg train`: a plain classifier on one task, saved for SeaM and Model Doctor."""

import argparse
import dataclasses
from pathlib import Path

from cpg.algorithms.independent import train_task_alone
from cpg.device import resolve_device
from cpg.classifier import Classifier, TrainedOn, save_classifier
from cpg.cli.parser import overrides
from cpg.cli.pipelines import resolve_config
from cpg.config import scale_epochs, to_mapping
from cpg.data.long_tail import OPTION as IMBALANCE
from cpg.engine.work_folder import WorkFolder
from cpg.errors import UserError
from cpg.losses import focal_loss
from cpg.report import ConsoleReport, Reporter
from cpg.runner import check_names, load_benchmark


def train(args: argparse.Namespace) -> int:
    args.tasks = args.dataset
    flags = overrides(args)
    finetune = {key: value for key, value in (("epochs", args.epochs), ("lr", args.lr)) if value is not None}
    if finetune:
        flags["finetune"] = finetune
    config = resolve_config(args.config, args.dataset, flags)
    if args.imbalance is not None:
        config = dataclasses.replace(config, benchmark_options={**config.benchmark_options, IMBALANCE: args.imbalance})
    if args.focal_gamma < 0:
        raise UserError(f"--focal-gamma must not be negative, got {args.focal_gamma}")
    check_names(config)
    benchmark = load_benchmark(config)
    if not 1 <= args.task <= len(benchmark.tasks):
        raise UserError(f"--task {args.task}: {benchmark.name} has tasks 1..{len(benchmark.tasks)}")
    console = ConsoleReport(quiet=args.quiet)
    reporter = Reporter(console)
    path = Path(args.output or f"{config.checkpoint_dir}/classifiers/{benchmark.name}-{config.arch}.pt")
    work = WorkFolder.for_command("train", {"config": to_mapping(config), "task": args.task, "width": args.width,
                                            "balanced": args.balanced_sampling, "focal_gamma": args.focal_gamma,
                                            "output": str(path.resolve())},
                                 config.checkpoint_dir, config.save_every_seconds, reporter.warning)
    work.announce(reporter.message)
    model, accuracies = train_task_alone(scale_epochs(config), benchmark, args.task - 1, reporter,
                                         resolve_device(config.device), balanced=args.balanced_sampling,
                                         loss_fn=focal_loss(args.focal_gamma), width=args.width,
                                         store=lambda model: work.store("train", model))
    task = benchmark.tasks[args.task - 1]
    save_classifier(path, Classifier(model.cpu(), config.arch, benchmark.input_shape, task.classes, args.width,
                                     TrainedOn.of_run(config, args.task)))
    work.remove()
    console.console.print(f"{task.name}: val {accuracies['val'] * 100:.2f}%  test {accuracies['test'] * 100:.2f}%  -> {path}")
    return 0
