"""`cpg seam` (re-engineer a trained classifier into a small module for a target problem) and
`cpg seam finetune` (indirect reuse: the module vs standard fine-tuning under a transferred
attack)."""

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from cpg.config import read_yaml
from cpg.config.seam import SeamConfig, seam_config
from cpg.errors import UserError
from cpg.report import ConsoleReport, Reporter
from cpg.workflows.seam import SeamSettings, TargetChoice, compare_reuse, reengineer_source
from cpg.workflows.sources import ClassifierFile, RunTask, SourceChoice, StateDictFile

SETTINGS = ("alpha", "mask_lr", "head_lr", "epochs", "batch_size", "patience", "select_on", "target_train_per_class",
            "seed", "device", "data_root", "download", "verify_checksums")
GROUP_SETTINGS = {"distill_weight": ("distill", "weight"), "distill_temperature": ("distill", "temperature"),
                  "distill_left_out": ("distill", "left_out"),
                  "finetune_epochs": ("finetune", "epochs"), "finetune_lr": ("finetune", "lr"),
                  "finetune_head_lr": ("finetune", "head_lr"), "eps": ("attack", "eps"),
                  "attack_steps": ("attack", "steps"), "attack_step_size": ("attack", "step_size")}


def seam(args: argparse.Namespace) -> int:
    report = reengineer_source(_settings(args), _reporter(args))
    _show(args, report, _reengineering_table(report))
    return 0


def seam_finetune(args: argparse.Namespace) -> int:
    document = compare_reuse(_settings(args), _reporter(args))
    _show(args, document, _reengineering_table(document["reengineering"]), _reuse_table(document["indirect_reuse"]))
    return 0


def _settings(args: argparse.Namespace) -> SeamSettings:
    return SeamSettings(_config(args), _source(args), _target(args), Path(args.output) if args.output else None)


def _config(args: argparse.Namespace) -> SeamConfig:
    layers = []
    if args.config:
        layers.append((args.config, read_yaml(args.config)))
    flags: dict[str, Any] = {key: getattr(args, key) for key in SETTINGS if getattr(args, key, None) is not None}
    for attr, (group, key) in GROUP_SETTINGS.items():
        if getattr(args, attr, None) is not None:
            flags.setdefault(group, {})[key] = getattr(args, attr)
    layers.append(("command line", flags))
    return seam_config(*layers)


def _source(args: argparse.Namespace) -> SourceChoice:
    given = [flag for flag, value in (("--classifier", args.classifier), ("--state-dict", args.state_dict),
                                      ("--run", args.run)) if value]
    if len(given) != 1:
        raise UserError("give the source model with exactly one of --classifier FILE, --state-dict FILE or --run DIR")
    if not args.state_dict and (args.arch or args.dataset or args.width is not None):
        raise UserError("--arch, --dataset and --width describe a --state-dict source; a classifier file or run says them itself")
    if not args.run and args.task is not None:
        raise UserError("--task picks a task of a --run source")
    if args.classifier:
        return ClassifierFile(Path(args.classifier))
    if args.state_dict:
        if not args.arch or not args.dataset:
            raise UserError("--state-dict needs --arch and --dataset (the benchmark the weights were trained on)")
        benchmark, task = _dataset(args.dataset)
        return StateDictFile(Path(args.state_dict), args.arch, benchmark, task, 1.0 if args.width is None else args.width)
    if args.task is None:
        raise UserError("--run needs --task K (which task of the run to re-engineer)")
    return RunTask(Path(args.run), args.task)


def _dataset(text: str) -> tuple[str, int | None]:
    """--dataset BENCHMARK (all its tasks) or BENCHMARK:K (its task K, from 1)."""
    benchmark, colon, number = text.partition(":")
    if colon and not number.isdigit():
        raise UserError(f"--dataset {text}: give BENCHMARK or BENCHMARK:K with K a task number")
    return benchmark, int(number) if colon else None


def _target(args: argparse.Namespace) -> TargetChoice:
    given = [value for value in (args.target_class, args.target_classes, args.superclass) if value is not None]
    if len(given) != 1:
        raise UserError("give the target with exactly one of --target-class C, --target-classes A,B,… or --superclass NAME")
    classes = None if args.target_classes is None else tuple(
        token.strip() for token in args.target_classes.split(",") if token.strip())
    return TargetChoice(args.target_class, classes, args.superclass)


def _reporter(args: argparse.Namespace) -> Reporter:
    return Reporter(ConsoleReport(quiet=bool(args.quiet or args.json)))


def _show(args: argparse.Namespace, document: dict[str, Any], *tables: Table) -> None:
    if args.json:
        print(json.dumps(document, indent=2))
        return
    console = Console()
    for table in tables:
        console.print(table)


def _reengineering_table(report: dict[str, Any]) -> Table:
    accuracy, flops, latency = report["accuracy"], report["flops_per_image"], report["latency_ms"]
    table = Table(title=f"SeaM · {report['target']['problem']} · {report['source']}")
    for column in ("", "source", "module", "module / source"):
        table.add_column(column, justify="left" if not column else "right")
    table.add_row("weights", f"{report['weights']['source']:,}", f"{report['weights']['module']:,}",
                  f"{report['retained_ratio'] * 100:.2f}%")
    examples = report["target"]["examples"]
    for split in accuracy["source"]:
        table.add_row(f"accuracy ({split}, {examples[split]:,} images)", f"{accuracy['source'][split] * 100:.2f}%",
                      f"{accuracy['module'][split] * 100:.2f}%", "")
    table.add_row("FLOPs / image", f"{flops['source']:,}", f"{flops['module']:,}", f"{flops['ratio']:.3f}")
    table.add_row(f"latency (batch {latency['batch']})", f"{latency['source']:.2f} ms", f"{latency['module']:.2f} ms",
                  f"{latency['ratio']:.3f}")
    rule = "accuracy ≥ source" if report["reached_source_accuracy"] else "fallback: best accuracy − ratio"
    table.caption = f"{report['target']['data']}\nepoch {report['selected_epoch']} of {report['epochs_run']} ({rule})" + (
        f" · standalone module: {report['output']}" if report.get("output") else "")
    return table


def _reuse_table(comparison: dict[str, Any]) -> Table:
    attack = comparison["attack"]
    table = Table(title=f"indirect reuse · L∞ PGD on source features (eps {attack['eps']:g}, {attack['steps']} steps)")
    for column in ("model", "clean accuracy", "defect inheritance rate"):
        table.add_column(column, justify="left" if column == "model" else "right")
    names = {"module": "re-engineered module, fine-tuned", "standard": "whole source, fine-tuned", "source": "source (collapsed)"}
    for key, name in names.items():
        row = comparison[key]
        table.add_row(name, f"{row['clean_accuracy'] * 100:.2f}%", f"{row['defect_inheritance_rate'] * 100:.2f}%")
    return table
