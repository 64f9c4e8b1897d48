"""`cpg compress`: a trained task model with whole channels pruned, fine-tuned briefly, BatchNorm
folded, saved as a standalone program that loads without cpg."""

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Group

from cpg.config import read_yaml
from cpg.config.compress import CompressConfig, compress_config
from cpg.errors import UserError
from cpg.report import ConsoleReport, Reporter
from cpg.report.tables import compact_table, titled
from cpg.workflows.compress import CompressSettings, compress_model
from cpg.workflows.sources import ClassifierFile, RunTask

FLAGS = ("metric", "mode", "ratio", "flops", "calibration_images", "epochs", "lr", "seed", "device", "data_root")


def run_compress(args: argparse.Namespace) -> int:
    settings = CompressSettings(_config(args), _source(args), Path(args.output))
    report = compress_model(settings, Reporter(ConsoleReport(quiet=args.quiet or args.json)))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        ConsoleReport().console.print(_table(report))
    return 0


def _config(args: argparse.Namespace) -> CompressConfig:
    layers = [(args.config, read_yaml(args.config))] if args.config else []
    flags: dict[str, Any] = {key: getattr(args, key) for key in FLAGS if getattr(args, key) is not None}
    if args.layer_ratios:
        flags["layer_ratios"] = read_yaml(args.layer_ratios)
        flags.setdefault("mode", "ratios")
    if args.ratio is not None or args.flops is not None or args.layer_ratios:
        flags.update(ratio=args.ratio, flops=args.flops)  # a target on the command line replaces the recipe's
    layers.append(("command line", flags))
    return compress_config(*layers)


def _source(args: argparse.Namespace) -> ClassifierFile | RunTask:
    if bool(args.classifier) == bool(args.run):
        raise UserError("give the model to compress: a classifier file from `cpg train`, or --run DIR --task K")
    if args.run:
        if args.task is None:
            raise UserError("--run needs --task K (which task of the run to compress)")
        return RunTask(Path(args.run), args.task)
    if args.task is not None:
        raise UserError("--task picks a task of a --run; a classifier file holds one task")
    return ClassifierFile(Path(args.classifier))


def _table(report: dict[str, Any]) -> Group:
    settings = report["settings"]
    target = (f"ratio {settings['ratio']:g}" if settings["ratio"] is not None else
              f"FLOPs {settings['flops']:g}" if settings["flops"] is not None else "per-layer ratios")
    table = compact_table(("", "unpruned", "compressed", "compressed ÷ unpruned"), text_columns=("",))
    for key, label in (("parameters", "parameters"), ("flops", "FLOPs / image"), ("channels", "channels")):
        table.add_row(label, f"{report['before'][key]:,}", f"{report['after'][key]:,}", f"{report['ratio'][key]:.3f}")
    latency = report["latency_ms"]
    table.add_row(f"CPU latency (batch {latency['batch']})", f"{latency['before']:.2f} ms", f"{latency['after']:.2f} ms",
                  f"{latency['ratio']:.3f}")
    accuracy = report["accuracy"]
    for split in ("val", "test"):
        before, after = accuracy["before"][split] * 100, accuracy["after"][split] * 100
        table.add_row(f"accuracy ({split})", f"{before:.2f}%", f"{after:.2f}%", f"{after - before:+.2f} pt")
    table.add_row("accuracy (test), pruned, not fine-tuned", "", f"{accuracy['pruned']['test'] * 100:.2f}%", "")
    tuned = report["finetune"]
    note = (f"fine-tuned {tuned['epochs']} epochs, kept epoch {tuned['selected_epoch']} · BatchNorm folded in both · "
            f"{report['test_images_checked']} test images checked (max logit difference "
            f"{report['max_logit_difference']:.1e}) · {report['output']}")
    return titled(f"{report['arch']} · {report['task']} · {settings['metric']} · {settings['mode']} · {target}", table,
                  note)
