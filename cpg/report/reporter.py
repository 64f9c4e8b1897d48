"""One object the algorithms report to: console progress and TensorBoard together."""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from cpg.nn import LayerCapacity
from cpg.report.console import ConsoleReport, StageBar
from cpg.report.continual import average_accuracy
from cpg.report.figures import accuracy_matrix_image, ownership_image
from cpg.report.tensorboard import TensorBoardLog

HPARAM_METRICS = ("average_accuracy", "backward_transfer", "final_width", "free_capacity")
"""Numbers of results.json shown next to the settings in TensorBoard's HParams view."""


class StageReport:
    """Per-epoch reporting of one stage of one task."""

    def __init__(self, bar: StageBar, log: TensorBoardLog | None, task: int, stage: str) -> None:
        self._bar = bar
        self._log = log
        self._task = task
        self._stage = stage

    def epoch(self, step: int, values: dict[str, float]) -> None:
        self._bar.advance({key: value for key, value in values.items() if key in ("loss", "train_acc", "val_acc")})
        if self._log is not None:
            self._log.scalars(self._task, self._stage, step, values)


class Reporter:
    def __init__(self, console: ConsoleReport, log: TensorBoardLog | None = None) -> None:
        self.console = console
        self.log = log

    @contextmanager
    def stage(self, task: int, title: str, stage: str, total: int, completed: int = 0) -> Iterator[StageReport]:
        with self.console.stage(title, total, completed) as bar:
            yield StageReport(bar, self.log, task, stage)
        if self.log is not None:
            self.log.flush()

    def scalars(self, task: int, stage: str, step: int, values: dict[str, float]) -> None:
        if self.log is not None:
            self.log.scalars(task, stage, step, values)

    def committed(self, task: int, values: dict[str, float], matrix: Sequence[Sequence[float]],
                  layers: Sequence[LayerCapacity]) -> None:
        """TensorBoard views of a committed task: its numbers (`taskNN/commit/…` and the run's
        curves over tasks `run/…`), the accuracy matrix so far and who owns each layer."""
        if self.log is None:
            return
        self.log.scalars(task, "commit", task, values)
        curves = {"average_accuracy": average_accuracy([list(row) for row in matrix])}
        if "free_capacity" in values:
            curves["free_capacity"] = values["free_capacity"]
        self.log.run_scalars(task, curves)
        self.log.image(task, "commit", "accuracy_matrix", accuracy_matrix_image(matrix), task)
        if layers:
            self.log.image(task, "commit", "ownership", ownership_image(layers), task)
        self.log.flush()

    def hparams(self, settings: Mapping[str, Any], results: Mapping[str, Any]) -> None:
        """The run's settings and its final numbers from results.json, for the HParams view."""
        if self.log is None:
            return
        metrics = {key: float(results[key]) for key in HPARAM_METRICS if isinstance(results.get(key), (int, float))}
        metrics["max_forgetting"] = max(results.get("forgetting") or [0.0])
        self.log.hparams(settings, metrics)
        self.log.flush()

    def message(self, text: str) -> None:
        self.console.message(text)

    def event(self, text: str) -> None:
        """Something the user must know about the run (a numerical failure…): console and log."""
        self.console.warning(text)
        if self.log is not None:
            self.log.text("run/events", text)
            self.log.flush()

    def warning(self, text: str) -> None:
        self.console.warning(text)

    def close(self) -> None:
        if self.log is not None:
            self.log.close()
