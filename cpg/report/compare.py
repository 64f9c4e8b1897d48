"""One table across runs of the same benchmark: the numbers `cpg compare` prints. Runs that
differ only in seed (cpg.report.seeds) are one row: the mean ± sample standard deviation of each
number over their seeds, and how many seeds there are."""

import json
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean
from typing import Any

from rich.console import Group

from cpg.checkpoint import RunFolder
from cpg.errors import UserError
from cpg.report.continual import average_accuracy, backward_transfer, final_accuracies, forgetting
from cpg.report.seeds import experiment, group_name, seed_groups, spread
from cpg.report.tables import compact_table, titled


@dataclass(frozen=True)
class RunRow:
    run: str
    strategy: str
    tasks_done: int  # committed tasks
    tasks_total: int | None  # tasks of the sequence (None: no run folder beside the results to say)
    average_accuracy: float  # over the compared tasks, after the last of them
    forgetting: float  # mean over the compared tasks but the last
    backward_transfer: float
    size: float  # relative to one network
    seconds: float  # the run's wall time, measuring its goals included
    goal_seconds: float  # of it, measuring the goals
    accuracies: list[float]  # per compared task, after the last of them
    seed: int | None
    experiment: str  # the run's settings but its seed (cpg.report.seeds.experiment)

    @property
    def finished(self) -> bool:
        return self.tasks_total is None or self.tasks_done >= self.tasks_total


def run_folder(path: str | Path) -> Path:
    """The folder of a run given as its folder or its results.json."""
    path = Path(path)
    return path if path.is_dir() else path.parent


def read_results(path: str | Path) -> tuple[str, dict[str, Any]]:
    """(run name, results.json) of a run folder or of a results.json file."""
    path = Path(path)
    file = path / "results.json" if path.is_dir() else path
    try:
        return run_folder(path).name, json.loads(file.read_text())
    except (OSError, ValueError) as error:
        raise UserError(f"{file}: no readable results ({type(error).__name__}); is it a finished run?") from None


def sequence_length(path: str | Path) -> int | None:
    """The number of tasks of the run whose folder is `path` (or holds the results.json `path`),
    from its newest readable state; None without one."""
    folder = RunFolder(run_folder(path))
    for version in reversed(folder.versions()):
        try:
            return len(json.loads(folder.state_path(version).read_text())["task_names"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def comparison_rows(paths: list[str | Path]) -> tuple[str, list[RunRow]]:
    """The benchmark and one row per run; runs of different benchmarks are refused. Every run is
    measured after the same task: the last one all of them have committed."""
    loaded = [read_results(path) for path in paths]
    benchmarks = {results["benchmark"] for _, results in loaded}
    if len(benchmarks) > 1:
        raise UserError(f"cannot compare runs of different benchmarks: {', '.join(sorted(benchmarks))}")
    common = min(len(results["accuracy_matrix"]) for _, results in loaded)
    rows = []
    for path, (name, results) in zip(paths, loaded):
        matrix = [row[:common] for row in results["accuracy_matrix"][:common]]
        forgotten = forgetting(matrix)  # tasks 1..T−1
        rows.append(RunRow(
            run=name,
            strategy=results["strategy"],
            tasks_done=len(results["accuracy_matrix"]),
            tasks_total=sequence_length(path),
            average_accuracy=average_accuracy(matrix),
            forgetting=fmean(forgotten) if forgotten else 0.0,
            backward_transfer=backward_transfer(matrix),
            size=results["model_size"]["relative_to_one_network"],
            seconds=results["wall_time_seconds"],
            goal_seconds=results.get("goal_seconds", 0.0),
            accuracies=final_accuracies(matrix),
            seed=results.get("seed"),
            experiment=experiment(run_folder(path), results),
        ))
    return benchmarks.pop(), rows


def compared_after(rows: list[RunRow]) -> str:
    """What the accuracies of the rows are: final, or after the last task every run has committed."""
    common = len(rows[0].accuracies)
    if all(row.finished and row.tasks_done == common for row in rows):
        return "final accuracy per task (%)"
    return f"accuracy per task after task {common}, the last one every run has learned (%)"


HEADERS = ("run", "strategy", "tasks", "avg acc %", "forgetting %", "BWT %", "size ×", "time s", "of it goals s")


def _run(group: list[RunRow]) -> str:
    name = group_name([row.run for row in group])
    return name if all(row.finished for row in group) else f"{name} (unfinished)"


def _seeds(group: list[RunRow]) -> str:
    return f"{len(group)} seed{'s' if len(group) > 1 else ''}"


def _numbers(group: list[RunRow], plus_minus: str) -> list[str]:
    """The cells of HEADERS after the run's name, each number over the group's seeds."""
    done = sorted({row.tasks_done for row in group})
    total = "?" if group[0].tasks_total is None else group[0].tasks_total
    return [group[0].strategy, f"{done[0]}/{total}" if len(done) == 1 else f"{done[0]}–{done[-1]}/{total}",
            spread([row.average_accuracy * 100 for row in group], ".2f", plus_minus),
            spread([row.forgetting * 100 for row in group], ".2f", plus_minus),
            spread([row.backward_transfer * 100 for row in group], "+.2f", plus_minus),
            spread([row.size for row in group], ".2f", plus_minus),
            spread([row.seconds for row in group], ".0f", plus_minus),
            spread([row.goal_seconds for row in group], ".0f", plus_minus)]


def _task_accuracies(group: list[RunRow], plus_minus: str) -> list[str]:
    return [spread([accuracy * 100 for accuracy in task], ".1f", plus_minus)
            for task in zip(*(row.accuracies for row in group))]


def _task_headers(rows: list[RunRow]) -> list[str]:
    return [f"t{task}" for task in range(1, max(len(row.accuracies) for row in rows) + 1)]


def _spread_note(groups: list[list[RunRow]]) -> str | None:
    if all(len(group) == 1 for group in groups):
        return None
    return "±: the sample standard deviation (n−1) over a row's seeds, beside their mean"


def comparison_table(benchmark: str, rows: list[RunRow]) -> Group:
    """The summary numbers, then the accuracy per task: two tables, so that each fits a narrow
    terminal where one wide table would not. A row's seeds are counted under its name and each
    standard deviation is under its mean, so that a row of several seeds is no wider than one run's."""
    groups = seed_groups(rows)
    summary = compact_table(HEADERS, text_columns=("run", "strategy"))
    per_task = compact_table(("run", *_task_headers(rows)), text_columns=("run",))
    for group in groups:
        run = f"{_run(group)}\n{_seeds(group)}"
        summary.add_row(run, *_numbers(group, "\n±"))
        per_task.add_row(run, *_task_accuracies(group, "\n±"))
    return Group(titled(f"{benchmark} (%)", summary, _spread_note(groups)),
                 titled(f"{benchmark}: {compared_after(rows)}", per_task))


def comparison_markdown(benchmark: str, rows: list[RunRow]) -> str:
    """One table: HEADERS, the number of seeds, the accuracy per task."""
    groups = seed_groups(rows)
    headers = [*HEADERS, "seeds", *_task_headers(rows)]
    note = _spread_note(groups)
    lines = [f"**{benchmark}**: {compared_after(rows)}" + (f"; {note}" if note else ""), "",
             "| " + " | ".join(headers) + " |",
             "|" + "|".join("---" if header in ("run", "strategy") else "---:" for header in headers) + "|"]
    lines += ["| " + " | ".join([_run(group), *_numbers(group, "±"), str(len(group)), *_task_accuracies(group, "±")])
              + " |" for group in groups]
    return "\n".join(lines)
