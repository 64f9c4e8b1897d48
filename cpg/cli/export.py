"""`cpg export RUN --task K -o FILE`: task K as a standalone plain-PyTorch model."""

import argparse
import json
from pathlib import Path

from cpg.report import ConsoleReport
from cpg.report.tables import compact_table, titled
from cpg.workflows.export import ExportSettings, export_run_task


def run_export(args: argparse.Namespace) -> int:
    report = export_run_task(ExportSettings(Path(args.run), args.task, Path(args.output), args.format, args.fuse_bn,
                                            args.data_root))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report)
    return 0


def _print(report: dict) -> None:
    table = compact_table(("", "task width", "exported", "ratio"), text_columns=("",))
    for key, label in (("parameters", "parameters"), ("flops", "FLOPs per image"), ("channels", "hidden channels")):
        before, after = report["before"][key], report["after"][key]
        table.add_row(label, f"{before:,}", f"{after:,}", f"{after / before:.3f}" if before else "–")
    console = ConsoleReport().console
    console.print(titled(f"task {report['task']} at width {report['width']:g} → {report['file']}", table))
    console.print(f"input: {report['input_description']}", highlight=False)
    console.print(f"logits match the engine's on {report['test_images_checked']} test images "
                  f"(max difference {report['max_logit_difference']:.2e}); load with "
                  f"{report['load_with'].replace('FILE', repr(report['file']))}")
