"""`cpg inspect` below the command line: a saved run's tasks, accuracy matrix and capacity per
layer as one document, and its plots."""

from pathlib import Path
from typing import Any

from cpg.nn import layer_capacity
from cpg.report.figures import accuracy_matrix_image, accuracy_sparsity_image, ownership_image
from cpg.report.inspection import inspection
from cpg.report.png import save_png
from cpg.workflows.saved_run import Run, open_run

PLOTS = ("accuracy_matrix.png", "capacity.png", "accuracy_vs_sparsity.png")


def inspect_run(path: Path, plots: Path | None = None) -> tuple[dict[str, Any], list[Path]]:
    """The run's inspection document, and the plots written to the folder `plots` (when given)."""
    run = open_run(path)
    state = run.state
    position = {"task": state.task, "stage": state.stage, "epoch": state.epoch}
    document = inspection(str(run.folder.root), run.config, state.results, state.matrix, run.network, position)
    return document, write_plots(run, document, plots) if plots is not None else []


def write_plots(run: Run, document: dict[str, Any], directory: Path) -> list[Path]:
    paths = [directory / name for name in PLOTS]
    images = (accuracy_matrix_image(document["accuracy_matrix"]), ownership_image(layer_capacity(run.network)),
              accuracy_sparsity_image(run.state.results))
    for path, image in zip(paths, images):
        save_png(path, image)
    return paths
