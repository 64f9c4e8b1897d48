"""`cpg export RUN --task K -o FILE`: task K as a standalone plain-PyTorch model."""

import argparse
import dataclasses
import json
from pathlib import Path

from cpg.data.preprocessing import raw_batches, task_preprocessing
from cpg.errors import UserError
from cpg.evaluation import check_data, task_batches
from cpg.export.normalise import taking_raw_images
from cpg.export.task import check_logits, export_task, load_model, save_model
from cpg.report import ConsoleReport
from cpg.report.tables import compact_table, titled
from cpg.runner import load_benchmark
from cpg.runs import open_run

LOADING = {"export": "torch.export.load(FILE).module()", "torchscript": "torch.jit.load(FILE)"}
INPUT_FILE = "cpg-input.json"
"""The file stored beside the model that describes its input (the report's "input")."""


def run_export(args: argparse.Namespace) -> int:
    output = Path(args.output)
    if args.format == "export" and output.suffix != ".pt2":
        raise UserError(f"{output}: a torch.export program must be saved as a .pt2 file")
    run = open_run(args.run)
    run.check_task(args.task)
    config = run.config if args.data_root is None else dataclasses.replace(run.config, data_root=args.data_root)
    benchmark = load_benchmark(dataclasses.replace(config, download=False))
    check_data(run, benchmark, [args.task])
    task = benchmark.tasks[args.task - 1]
    preprocessing = task_preprocessing(task)
    exported = export_task(run.network, args.task, run.input_shape, args.fuse_bn)
    model = taking_raw_images(exported.model, preprocessing)
    save_model(model, exported.example, output, args.format, {INPUT_FILE: json.dumps(preprocessing.to_dict())})
    run.network.use_task(args.task)
    engine = taking_raw_images(run.network, preprocessing)
    batches = (raw_batches(task.test, run.config.eval_batch_size) if preprocessing.normalised_in_program
               else task_batches(run, benchmark, args.task, "test"))
    difference, images = check_logits(engine, load_model(output, args.format), batches)
    report = {
        "task": args.task, "file": str(output), "format": args.format, "fuse_bn": args.fuse_bn,
        "width": run.network.task(args.task).width, "input_shape": list(run.input_shape),
        "input": preprocessing.to_dict(), "input_description": preprocessing.describe(),
        "before": dataclasses.asdict(exported.task_width), "after": dataclasses.asdict(exported.exported),
        "test_images_checked": images, "max_logit_difference": difference, "load_with": LOADING[args.format],
    }
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
