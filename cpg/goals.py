"""Goal accuracies: `baselines/<benchmark>-<arch>.json`, one accuracy per task and its source.

A goal file also records the benchmark options it was measured with (synthetic sizes and
difficulty, long-tail ratio): goals of one synthetic benchmark are meaningless for another with
the same task names, so a file is refused for a run with other options.
"""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cpg.checkpoint import write_json
from cpg.data import Benchmark
from cpg.errors import UserError

PACKAGE_BASELINES = Path(__file__).resolve().parents[1] / "baselines"


def goal_path(directory: str | Path, benchmark: str, arch: str) -> Path:
    return Path(directory) / f"{benchmark}-{arch}.json"


def find_goal_file(benchmark: str, arch: str, directory: str | Path = "baselines") -> Path | None:
    """The goal file for (benchmark, arch) in `directory` or in the baselines shipped with cpg."""
    for folder in (Path(directory), PACKAGE_BASELINES):
        path = goal_path(folder, benchmark, arch)
        if path.is_file():
            return path
    return None


def load_goals(path: Path, benchmark: Benchmark, split: str, options: Mapping[str, Any]) -> list[float]:
    """Per-task goals in task order, measured on `split` where the file has it (else on the
    other split); the file must name the benchmark's tasks in order and have been measured
    with the same benchmark `options` (a file without them counts as measured with none)."""
    try:
        document = json.loads(path.read_text())
        entries = document["tasks"]
        names = [entry["name"] for entry in entries]
        accuracies = [float(entry[split] if split in entry else entry["test" if split == "val" else "val"])
                      for entry in entries]
        measured_with = dict(document.get("benchmark_options", {}))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UserError(f"{path}: not a valid goal file ({type(error).__name__}: {error})") from None
    expected = [task.name for task in benchmark.tasks]
    if names != expected:
        raise UserError(f"{path}: its tasks {names[:3]}… do not match benchmark {benchmark.name!r} ({expected[:3]}…)")
    if measured_with != dict(options):
        raise UserError(f"{path}: goals measured with benchmark options {measured_with}, this run has {dict(options)}; "
                        "run `cpg baseline` with these options to replace the file, or give --goal")
    return accuracies


def write_goals(path: Path, benchmark: Benchmark, arch: str, rows: list[dict[str, Any]], source: str,
                options: Mapping[str, Any]) -> None:
    """Write a goal file; each row has the task's `val` and `test` accuracy."""
    write_json(path, {
        "benchmark": benchmark.name,
        "arch": arch,
        "source": source,
        "benchmark_options": dict(options),
        "tasks": [{"name": task.name, **row} for task, row in zip(benchmark.tasks, rows)],
    })
