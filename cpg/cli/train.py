"""`cpg train`: a plain classifier on one task, saved for SeaM and Model Doctor."""

import argparse
import dataclasses
from pathlib import Path

from cpg.cli.parser import overrides
from cpg.cli.pipelines import resolve_config
from cpg.data.long_tail import OPTION as IMBALANCE
from cpg.report import ConsoleReport, Reporter
from cpg.workflows.train import TrainSettings, train_classifier


def train(args: argparse.Namespace) -> int:
    args.tasks = args.dataset
    flags = overrides(args)
    finetune = {key: value for key, value in (("epochs", args.epochs), ("lr", args.lr)) if value is not None}
    if finetune:
        flags["finetune"] = finetune
    config = resolve_config(args.config, args.dataset, flags)
    if args.imbalance is not None:
        config = dataclasses.replace(config, benchmark_options={**config.benchmark_options, IMBALANCE: args.imbalance})
    settings = TrainSettings(config, args.task, args.width, args.balanced_sampling, args.focal_gamma,
                             Path(args.output) if args.output else None)
    console = ConsoleReport(quiet=args.quiet)
    trained = train_classifier(settings, Reporter(console))
    accuracies = trained.accuracies
    console.console.print(f"{trained.task_name}: val {accuracies['val'] * 100:.2f}%  "
                          f"test {accuracies['test'] * 100:.2f}%  -> {trained.path}")
    return 0
