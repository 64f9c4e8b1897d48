"""The figures of a run, as images: for `cpg inspect --plot` (PNG files) and TensorBoard."""

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from cpg.nn import LayerCapacity
from cpg.report.charts import FREE, Segment, Series, line_chart_image, palette, stacked_bars_image
from cpg.report.png import heatmap_image


def accuracy_matrix_image(matrix: Sequence[Sequence[float]]) -> Image.Image:
    """Row j: test accuracies after learning task j; column i: task i (grey: not learned yet)."""
    size = len(matrix)
    values = np.full((max(size, 1), max(size, 1)), np.nan)
    for row, accuracies in enumerate(matrix):
        values[row, : len(accuracies)] = accuracies
    tasks = [str(task) for task in range(1, max(size, 1) + 1)]
    return heatmap_image(values, [f"after {task}" for task in tasks], tasks,
                         title="test accuracy (row: after task j, column: task i)", value_range=(0.0, 1.0),
                         annotate=True)


def ownership_image(layers: Sequence[LayerCapacity], title: str = "weights of each layer: owned by task, free"
                    ) -> Image.Image:
    """One bar per Sharable layer: the share of its weights each task owns, and the free share."""
    tasks = sorted({task for layer in layers for task in layer.owned})
    colours = palette(len(tasks))
    segments = [Segment(f"task {task}", [layer.owned.get(task, 0) / layer.total for layer in layers], colour)
                for task, colour in zip(tasks, colours)]
    segments.append(Segment("free", [layer.free / layer.total for layer in layers], FREE))
    return stacked_bars_image([layer.name for layer in layers], segments, title, "share of the layer's weights")


def accuracy_sparsity_image(tasks: Sequence[dict[str, Any]]) -> Image.Image:
    """Validation accuracy against sparsity at every prune step, one line per task (the
    `prune` records of results.json's tasks)."""
    pruned = [task for task in tasks if task.get("prune")]
    colours = palette(len(pruned))
    series = [Series(f"task {task['task']}", [(step["sparsity"], step["val_accuracy"]) for step in task["prune"]],
                     colour) for task, colour in zip(pruned, colours)]
    title = "validation accuracy after each prune step" if series else "no prune steps recorded"
    return line_chart_image(series, title, "sparsity of the task's own weights", "validation accuracy",
                            accuracy_axis([y for line in series for _, y in line.points]))


def accuracy_axis(accuracies: Sequence[float]) -> tuple[float, float]:
    """The y range of an accuracy chart: up to 1, from the tenth below the lowest value, and at
    least a tenth tall (all accuracies 1.0 must not collapse the axis)."""
    lowest = min(accuracies, default=0.0)
    return min(math.floor(lowest * 10) / 10, 0.9), 1.0
