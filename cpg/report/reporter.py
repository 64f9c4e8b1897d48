"""One object the algorithms report to: console progress and TensorBoard together."""

from collections.abc import Iterator
from contextlib import contextmanager

from cpg.report.console import ConsoleReport, StageBar
from cpg.report.tensorboard import TensorBoardLog


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
