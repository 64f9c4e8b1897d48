"""Rich output: a progress bar per stage, messages, and the tables at the end of a run."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.measure import measure_renderables
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from cpg.report.tables import compact_table, goal_header, titled


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


UNBOUNDED = 10_000
"""A width no progress line reaches: to measure a line's natural width."""


class StageProgress(Progress):
    """A stage's progress bar that cuts nothing at 80 columns: on one line when the console is
    wide enough for all of it, else the stage's title on a line of its own above the rest."""

    def __init__(self, console: Console) -> None:
        super().__init__(TextColumn("{task.description}"), BarColumn(bar_width=20), MofNCompleteColumn(),
                         TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[metrics]}"),
                         console=console)

    def get_renderables(self) -> Iterable[RenderableType]:
        for task in self.tasks:
            line = self.make_tasks_table([task])
            unbounded = self.console.options.update_width(UNBOUNDED)
            if measure_renderables(self.console, unbounded, [line]).maximum <= self.console.width:
                yield line
            else:
                yield Text(task.description, overflow="fold")
                rest = self.columns[1:]
                below = Table.grid(*(column.get_table_column().copy() for column in rest), padding=(0, 1))
                below.add_row(*(column(task) for column in rest))
                yield below


class ConsoleReport:
    def __init__(self, console: Console | None = None, quiet: bool = False, silent: bool = False,
                 errors: Console | None = None) -> None:
        """`quiet` hides the progress bars; messages and tables are still printed. `silent`
        prints nothing at all (the other ranks of a multi-process run). `console` (stdout) gets
        the tables, `errors` (stderr) the progress bars and messages."""
        self.console = console or Console(quiet=silent)
        if not self.console.is_terminal:
            self.console.width = max(self.console.width, 200)  # logs and pipes: never truncate names
        self.errors = errors or Console(stderr=True, quiet=silent)
        self.quiet = quiet or silent

    @contextmanager
    def stage(self, title: str, total: int, completed: int = 0) -> Iterator[StageBar]:
        if self.quiet:
            yield StageBar(None, None)
            return
        progress = StageProgress(self.errors)
        with progress:
            task_id = progress.add_task(title, total=total, completed=completed, metrics="")
            yield StageBar(progress, task_id)

    def message(self, text: str) -> None:
        self.errors.print(text, highlight=False, soft_wrap=True)

    def warning(self, text: str) -> None:
        self.errors.print(f"cpg: warning: {text}", highlight=False, style="yellow", soft_wrap=True)

    def summary(self, results: dict[str, Any]) -> None:
        """The per-task table and the accuracy matrix of a results.json document."""
        table = compact_table(("task", "name", goal_header(results.get("select_on", "val")), "test acc", "forgetting",
                               "width", "sparsity", "owned", "picked"), text_columns=("name",))
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
        self.console.print(titled(f"{results['benchmark']} · {results['strategy']} · {results['arch']} (%)", table))
        self.console.print(accuracy_matrix_table(results["accuracy_matrix"]))
        self.console.print(
            f"average accuracy {results['average_accuracy'] * 100:.2f}%   "
            f"max forgetting {max(results['forgetting'], default=0.0) * 100:.2f}%   "
            f"width {results['final_width']:.2f}   wall time {results['wall_time_seconds']:.1f} s"
        )


def accuracy_matrix_table(matrix: list[list[float]]) -> Group:
    size = len(matrix)
    table = compact_table(("after", *(str(task) for task in range(1, size + 1))))
    for row_index, row in enumerate(matrix, start=1):
        cells = [f"{value * 100:.1f}" for value in row] + [""] * (size - len(row))
        table.add_row(str(row_index), *cells)
    return titled("accuracy matrix, % (row: after task j, column: task i)", table)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}"
