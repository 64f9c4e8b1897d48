"""`cpg seam` (re-engineer a trained classifier into a small module for a target problem) and
`cpg seam finetune` (indirect reuse: the module vs standard fine-tuning under a transferred
attack)."""

import argparse
import dataclasses
import json
from typing import Any

from rich.console import Console
from rich.table import Table

from cpg.algorithms.seam import (
    SeamConfig, TargetProblem, binary_problem, indirect_reuse, run_seam, seam_config, subset_problem, superclass_problem,
)
from cpg.algorithms.source import Source, source_from_classifier, source_from_run, source_from_state_dict
from cpg.config import read_yaml
from cpg.device import resolve_device
from cpg.engine.work_folder import WorkFolder, file_identity
from cpg.errors import UserError
from cpg.export import save_standalone
from cpg.report import ConsoleReport, Reporter

SETTINGS = ("alpha", "mask_lr", "head_lr", "epochs", "batch_size", "patience", "select_on", "seed", "device",
            "data_root", "download", "verify_checksums")
GROUP_SETTINGS = {"distill_weight": ("distill", "weight"), "distill_temperature": ("distill", "temperature"),
                  "distill_left_out": ("distill", "left_out"),
                  "finetune_epochs": ("finetune", "epochs"), "finetune_lr": ("finetune", "lr"),
                  "finetune_head_lr": ("finetune", "head_lr"), "eps": ("attack", "eps"),
                  "attack_steps": ("attack", "steps"), "attack_step_size": ("attack", "step_size")}


def seam(args: argparse.Namespace) -> int:
    config = _config(args)
    source = _source(args, config)
    problem = _problem(args, source)
    reporter = _reporter(args)
    work = _work_folder("seam", args, config, reporter)
    outcome = run_seam(source, problem, config, reporter, resolve_device(config.device),
                       lambda module: work.store("reengineering", module))
    report = outcome.report
    if args.output:
        images, _ = problem.test.__getitems__(range(min(2, len(problem.test))))
        report["output"] = str(save_standalone(outcome.standalone, images, args.output))
    work.remove()
    _show(args, report, _reengineering_table(report))
    return 0


def seam_finetune(args: argparse.Namespace) -> int:
    config = _config(args)
    source = _source(args, config)
    problem = _problem(args, source)
    device = resolve_device(config.device)
    reporter = _reporter(args)
    work = _work_folder("seam-finetune", args, config, reporter)
    outcome = run_seam(source, problem, config, reporter, device, lambda module: work.store("reengineering", module))
    comparison = indirect_reuse(source, problem, outcome.result, config, device, work.store)
    work.remove()
    _show(args, {"reengineering": outcome.report, "indirect_reuse": comparison},
          _reengineering_table(outcome.report), _reuse_table(comparison))
    return 0


def _work_folder(command: str, args: argparse.Namespace, config: SeamConfig, reporter: Reporter) -> WorkFolder:
    """Where the command's loops are saved for a resume, named by its settings, source and target."""
    inputs = {key: file_identity(getattr(args, key)) for key in ("classifier", "state_dict") if getattr(args, key)}
    identity = {"config": dataclasses.asdict(config), **inputs,
                **{key: getattr(args, key) for key in ("run", "task", "arch", "dataset", "width", "target_class",
                                                       "target_classes", "superclass", "output")}}
    work = WorkFolder.for_command(command, identity, save_every_seconds=config.save_every_seconds,
                                  warn=reporter.warning)
    work.announce(reporter.message)
    return work


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


def _source(args: argparse.Namespace, config: SeamConfig) -> Source:
    given = [flag for flag, value in (("--classifier", args.classifier), ("--state-dict", args.state_dict),
                                      ("--run", args.run)) if value]
    if len(given) != 1:
        raise UserError("give the source model with exactly one of --classifier FILE, --state-dict FILE or --run DIR")
    if not args.state_dict and (args.arch or args.dataset or args.width is not None):
        raise UserError("--arch, --dataset and --width describe a --state-dict source; a classifier file or run says them itself")
    if not args.run and args.task is not None:
        raise UserError("--task picks a task of a --run source")
    if args.classifier:
        return source_from_classifier(args.classifier, config)
    if args.state_dict:
        if not args.arch or not args.dataset:
            raise UserError("--state-dict needs --arch and --dataset (the benchmark the weights were trained on)")
        benchmark, task = _dataset(args.dataset)
        return source_from_state_dict(args.state_dict, args.arch, benchmark, task, config,
                                      1.0 if args.width is None else args.width)
    if args.task is None:
        raise UserError("--run needs --task K (which task of the run to re-engineer)")
    return source_from_run(args.run, args.task, config)


def _dataset(text: str) -> tuple[str, int | None]:
    """--dataset BENCHMARK (all its tasks) or BENCHMARK:K (its task K, from 1)."""
    benchmark, colon, number = text.partition(":")
    if colon and not number.isdigit():
        raise UserError(f"--dataset {text}: give BENCHMARK or BENCHMARK:K with K a task number")
    return benchmark, int(number) if colon else None


def _problem(args: argparse.Namespace, source: Source) -> TargetProblem:
    given = [value for value in (args.target_class, args.target_classes, args.superclass) if value is not None]
    if len(given) != 1:
        raise UserError("give the target with exactly one of --target-class C, --target-classes A,B,… or --superclass NAME")
    if args.target_class is not None:
        return binary_problem(source.task, args.target_class)
    if args.target_classes is not None:
        return subset_problem(source.task, [token.strip() for token in args.target_classes.split(",") if token.strip()])
    return superclass_problem(source.task, args.superclass)


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
    for split in accuracy["source"]:
        table.add_row(f"accuracy ({split})", f"{accuracy['source'][split] * 100:.2f}%",
                      f"{accuracy['module'][split] * 100:.2f}%", "")
    table.add_row("FLOPs / image", f"{flops['source']:,}", f"{flops['module']:,}", f"{flops['ratio']:.3f}")
    table.add_row(f"latency (batch {latency['batch']})", f"{latency['source']:.2f} ms", f"{latency['module']:.2f} ms",
                  f"{latency['ratio']:.3f}")
    rule = "accuracy ≥ source" if report["reached_source_accuracy"] else "fallback: best accuracy − ratio"
    table.caption = f"epoch {report['selected_epoch']} of {report['epochs_run']} ({rule})" + (
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
