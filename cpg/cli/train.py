"""`cpg train`: a plain classifier on one task, saved for SeaM and Model Doctor."""

import argparse
import dataclasses
from pathlib import Path

from cpg.algorithms.independent import train_task_alone
from cpg.algorithms.task_data import resolve_device
from cpg.classifier import Classifier, save_classifier
from cpg.cli.parser import overrides
from cpg.cli.pipelines import resolve_config
from cpg.config import scale_epochs
from cpg.data.long_tail import OPTION as IMBALANCE
from cpg.errors import UserError
from cpg.losses import focal_loss
from cpg.report import ConsoleReport, Reporter
from cpg.runner import check_names, load_benchmark


def add_train(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="train a plain classifier on one task and save it")
    parser.add_argument("--dataset", required=True, help="benchmark: digits-10, cifar10, …")
    parser.add_argument("--task", type=int, default=1, help="which task of the benchmark (1-based, default 1)")
    parser.add_argument("--arch", help="architecture (default: the pipeline's)")
    parser.add_argument("--width", type=float, default=1.0, help="width multiplier: channels scale by √width (default 1)")
    parser.add_argument("--config", help="pipeline YAML whose finetune schedule is used")
    parser.add_argument("--epochs", type=int, help="training epochs (default: the pipeline's finetune epochs)")
    parser.add_argument("--lr", type=float, help="initial learning rate")
    parser.add_argument("--epochs-scale", type=float)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--device")
    parser.add_argument("--data-root")
    parser.add_argument("--download", action="store_true", default=None)
    parser.add_argument("--no-verify-checksums", dest="verify_checksums", action="store_false", default=None)
    parser.add_argument("--imbalance", type=float, help="make the training split long-tailed with ratio ρ ≥ 1")
    parser.add_argument("--balanced-sampling", action="store_true", help="class-balanced batches (long-tailed data)")
    parser.add_argument("--focal-gamma", type=float, default=0.0, help="focal loss with this γ (0: cross-entropy)")
    parser.add_argument("-o", "--output", help="file to write (default: checkpoints/classifiers/<dataset>-<arch>.pt)")
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(handler=train, tasks=None, select_on=None)


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
    model, accuracies = train_task_alone(scale_epochs(config), benchmark, args.task - 1, Reporter(console),
                                         resolve_device(config.device), balanced=args.balanced_sampling,
                                         loss_fn=focal_loss(args.focal_gamma), width=args.width)
    task = benchmark.tasks[args.task - 1]
    path = Path(args.output or f"{config.checkpoint_dir}/classifiers/{benchmark.name}-{config.arch}.pt")
    save_classifier(path, Classifier(model.cpu(), config.arch, benchmark.input_shape, task.classes, args.width,
                                     dataset=f"{benchmark.name}:{args.task}"))
    console.console.print(f"{task.name}: val {accuracies['val'] * 100:.2f}%  test {accuracies['test'] * 100:.2f}%  -> {path}")
    return 0
