"""`cpg export` below the command line: one committed task of a saved run as a standalone
plain-PyTorch model that takes raw images, its logits checked against the engine's."""

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cpg.data.preprocessing import raw_batches, task_preprocessing
from cpg.errors import UserError
from cpg.export.normalise import taking_raw_images
from cpg.export.task import check_logits, export_task, load_model, save_model
from cpg.workflows.evaluate import check_data, run_data, task_batches
from cpg.workflows.run_settings import load_benchmark
from cpg.workflows.saved_run import open_run

LOADING = {"export": "torch.export.load(FILE).module()", "torchscript": "torch.jit.load(FILE)"}
INPUT_FILE = "cpg-input.json"
"""The file stored beside the model that describes its input (the report's "input")."""


@dataclass(frozen=True)
class ExportSettings:
    run: Path
    task: int
    output: Path
    format: str = "export"  # or "torchscript"
    fuse_bn: bool = False  # fold BatchNorm into the convolution before it
    data_root: str | None = None  # None: where the run read its data


def export_run_task(settings: ExportSettings) -> dict[str, Any]:
    """Write the task's program; returns the report (sizes before and after, input, check)."""
    output = settings.output
    if settings.format == "export" and output.suffix != ".pt2":
        raise UserError(f"{output}: a torch.export program must be saved as a .pt2 file")
    run = open_run(settings.run)
    run.check_task(settings.task)
    benchmark = load_benchmark(dataclasses.replace(run_data(run, settings.data_root), download=False))
    check_data(run, benchmark, [settings.task])
    task = benchmark.tasks[settings.task - 1]
    preprocessing = task_preprocessing(task)
    exported = export_task(run.network, settings.task, run.input_shape, settings.fuse_bn)
    model = taking_raw_images(exported.model, preprocessing)
    save_model(model, exported.example, output, settings.format, {INPUT_FILE: json.dumps(preprocessing.to_dict())})
    run.network.use_task(settings.task)
    engine = taking_raw_images(run.network, preprocessing)
    batches = (raw_batches(task.test, run.config.eval_batch_size) if preprocessing.normalised_in_program
               else task_batches(run, benchmark, settings.task, "test"))
    difference, images = check_logits(engine, load_model(output, settings.format), batches)
    return {
        "task": settings.task, "file": str(output), "format": settings.format, "fuse_bn": settings.fuse_bn,
        "width": run.network.task(settings.task).width, "input_shape": list(run.input_shape),
        "input": preprocessing.to_dict(), "input_description": preprocessing.describe(),
        "before": dataclasses.asdict(exported.task_width), "after": dataclasses.asdict(exported.exported),
        "test_images_checked": images, "max_logit_difference": difference, "load_with": LOADING[settings.format],
    }
