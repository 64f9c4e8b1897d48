"""`cpg inspect RUN`: tasks, accuracy matrix and capacity of a run, as tables, JSON or PNGs."""

import argparse
import json
from pathlib import Path

from cpg.cli.arguments.inspect import PLOTS
from cpg.nn import layer_capacity
from cpg.report import ConsoleReport
from cpg.report.figures import accuracy_matrix_image, accuracy_sparsity_image, ownership_image
from cpg.report.inspection import inspection
from cpg.report.inspection_tables import inspection_tables
from cpg.report.png import save_png
from cpg.runs import Run, open_run

def run_inspect(args: argparse.Namespace) -> int:
    run = open_run(args.run)
    state = run.state
    position = {"task": state.task, "stage": state.stage.value, "epoch": state.epoch}
    document = inspection(str(run.folder.root), run.config, state.results, state.matrix, run.network, position)
    if args.plot:
        written = write_plots(run, document, Path(args.plot))
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        console = ConsoleReport().console
        for table in inspection_tables(document):
            console.print(table)
        console.print(f"average accuracy {document['average_accuracy'] * 100:.2f}%   "
                      f"free capacity {_percent(document['free_capacity'])}")
        if args.plot:
            console.print("plots: " + "  ".join(str(path) for path in written))
    return 0


def write_plots(run: Run, document: dict, directory: Path) -> list[Path]:
    paths = [directory / name for name in PLOTS]
    images = (accuracy_matrix_image(document["accuracy_matrix"]), ownership_image(layer_capacity(run.network)),
              accuracy_sparsity_image(run.state.results))
    for path, image in zip(paths, images):
        save_png(path, image)
    return paths


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.2f}%"
