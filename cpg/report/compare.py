"""One table across runs of the same benchmark: the numbers `cpg compare` prints."""

import json
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean
from typing import Any

from rich.table import Table

from cpg.errors import UserError


@dataclass(frozen=True)
class RunRow:
    run: str
    strategy: str
    average_accuracy: float
    forgetting: float  # mean over tasks
    backward_transfer: float
    size: float  # relative to one network
    seconds: float
    accuracies: list[float]  # final accuracy per task


def read_results(path: str | Path) -> tuple[str, dict[str, Any]]:
    """(run name, results.json) of a run folder or of a results.json file."""
    path = Path(path)
    file = path / "results.json" if path.is_dir() else path
    try:
        return (path.name if path.is_dir() else path.parent.name), json.loads(file.read_text())
    except (OSError, ValueError) as error:
        raise UserError(f"{file}: no readable results ({type(error).__name__}); is it a finished run?") from None


def comparison_rows(paths: list[str | Path]) -> tuple[str, list[RunRow]]:
    """The benchmark and one row per run; runs of different benchmarks are refused."""
    loaded = [read_results(path) for path in paths]
    benchmarks = {results["benchmark"] for _, results in loaded}
    if len(benchmarks) > 1:
        raise UserError(f"cannot compare runs of different benchmarks: {', '.join(sorted(benchmarks))}")
    rows = [RunRow(
        run=name,
        strategy=results["strategy"],
        average_accuracy=results["average_accuracy"],
        forgetting=fmean(results["forgetting"]) if results["forgetting"] else 0.0,  # tasks 1..T−1
        backward_transfer=results["backward_transfer"],
        size=results["model_size"]["relative_to_one_network"],
        seconds=results["wall_time_seconds"],
        accuracies=[task["final_accuracy"] for task in results["tasks"]],
    ) for name, results in loaded]
    return benchmarks.pop(), rows


HEADERS = ("run", "strategy", "avg acc %", "forgetting %", "BWT %", "size ×", "time s")


def _cells(row: RunRow) -> list[str]:
    return [row.run, row.strategy, f"{row.average_accuracy * 100:.2f}", f"{row.forgetting * 100:.2f}",
            f"{row.backward_transfer * 100:+.2f}", f"{row.size:.2f}", f"{row.seconds:.0f}",
            *(f"{accuracy * 100:.1f}" for accuracy in row.accuracies)]


def _task_headers(rows: list[RunRow]) -> list[str]:
    return [f"t{task}" for task in range(1, max(len(row.accuracies) for row in rows) + 1)]


def comparison_table(benchmark: str, rows: list[RunRow]) -> Table:
    table = Table(title=f"{benchmark}: final accuracy per task (%)")
    for header in (*HEADERS, *_task_headers(rows)):
        table.add_column(header, justify="left" if header in ("run", "strategy") else "right")
    for row in rows:
        table.add_row(*_cells(row))
    return table


def comparison_markdown(benchmark: str, rows: list[RunRow]) -> str:
    headers = [*HEADERS, *_task_headers(rows)]
    lines = [f"**{benchmark}** (final accuracy per task, %)", "",
             "| " + " | ".join(headers) + " |",
             "|" + "|".join("---" if header in ("run", "strategy") else "---:" for header in headers) + "|"]
    lines += ["| " + " | ".join(_cells(row)) + " |" for row in rows]
    return "\n".join(lines)
