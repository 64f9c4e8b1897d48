"""Rich output: a progress bar per stage, messages, and the tables at the end of a run."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table


class StageBar:
    """The progress bar of one stage; `advance` once per epoch with the latest metrics."""

    def __init__(self, progress: Progress | None, task_id: Any) -> None:
        self._progress = progress
        self._task_id = task_id

    def advance(self, values: dict[str, float]) -> None:
        if self._progress is None:
            return
        text = "  ".join(f"{name} {value:.4f}" for name, value in values.items())
        self._progress.update(self._task_id, advance=1, metrics=text)


class ConsoleReport:
    def __init__(self, console: Console | None = None, quiet: bool = False, silent: bool = False) -> None:
        """`quiet` hides the progress bars; messages and tables are still printed. `silent`
        prints nothing at all (the other ranks of a multi-process run)."""
        self.console = console or Console(quiet=silent)
        if not self.console.is_terminal:
            self.console.width = max(self.console.width, 200)  # logs and pipes: never truncate names
        self.errors = Console(stderr=True, quiet=silent)
        self.quiet = quiet or silent

    @contextmanager
    def stage(self, title: str, total: int, completed: int = 0) -> Iterator[StageBar]:
        if self.quiet:
            yield StageBar(None, None)
            return
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[metrics]}"),
            console=self.errors,
        )
        with progress:
            task_id = progress.add_task(title, total=total, completed=completed, metrics="")
            yield StageBar(progress, task_id)

    def message(self, text: str) -> None:
        self.errors.print(text, highlight=False, soft_wrap=True)

    def warning(self, text: str) -> None:
        self.errors.print(f"cpg: warning: {text}", highlight=False, style="yellow", soft_wrap=True)

    def summary(self, results: dict[str, Any]) -> None:
        """The per-task table and the accuracy matrix of a results.json document."""
        table = Table(title=f"{results['benchmark']} · {results['strategy']} · {results['arch']}")
        for column in ("task", "name", "goal", "accuracy", "forgetting", "width", "sparsity", "owned", "picked"):
            table.add_column(column, justify="left" if column == "name" else "right", overflow="fold")
        for task in results["tasks"]:
            table.add_row(
                str(task["task"]),
                task["name"],
                _percent(task.get("goal")),
                _percent(task["final_accuracy"]),
                _percent(task["forgetting"]),
                f"{task['width']:.2f}",
                _percent(task.get("sparsity")),
                _percent(task.get("owned_share")),
                "pick only" if task.get("picking_only") else _percent(task.get("picked_share")),
            )
        self.console.print(table)
        self.console.print(accuracy_matrix_table(results["accuracy_matrix"]))
        self.console.print(
            f"average accuracy {results['average_accuracy'] * 100:.2f}%   "
            f"max forgetting {max(results['forgetting'], default=0.0) * 100:.2f}%   "
            f"width {results['final_width']:.2f}   wall time {results['wall_time_seconds']:.1f} s"
        )


def accuracy_matrix_table(matrix: list[list[float]]) -> Table:
    size = len(matrix)
    table = Table(title="accuracy matrix (row: after task j, column: task i), %")
    table.add_column("after", justify="right")
    for task in range(1, size + 1):
        table.add_column(str(task), justify="right")
    for row_index, row in enumerate(matrix, start=1):
        cells = [f"{value * 100:.1f}" for value in row] + [""] * (size - len(row))
        table.add_row(str(row_index), *cells)
    return table


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}"
