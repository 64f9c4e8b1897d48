"""Goal accuracies: what each task must reach, and where that number comes from.

A goal is measured like for like: the accuracy a network of the run's own architecture, trained
for the task alone with the FINETUNE schedule, reaches on the split the run's decisions read
(the validation split held out from the task's training data, or the test split with
`select_on: test`).

A goal file (`baselines/<benchmark>-<arch>.json`, written by `cpg baseline`) records per task the
accuracy on each split with its number of images, and the benchmark options and validation
fraction it was measured with; a file measured with other settings is refused. A published file
may hold test accuracies only: it serves runs that select on the test split (the paper's
protocol) and is refused, with the ways out, for runs that select on validation.
"""

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cpg.checkpoint import write_json
from cpg.data import Benchmark
from cpg.errors import UserError

PACKAGE_BASELINES = Path(__file__).resolve().parents[1] / "baselines"
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Goal:
    """A task's goal: an accuracy on `split` measured on `images` images (None: a number given
    by the user, exact)."""

    accuracy: float
    images: int | None
    split: str  # "val", "test", or "given"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | float | None) -> "Goal | None":
        """A saved goal; a bare number (runs saved before goals carried their split) is given."""
        if data is None:
            return None
        if isinstance(data, (int, float)):
            return cls(float(data), None, "given")
        return cls(**data)

    @classmethod
    def from_row(cls, row: Mapping[str, Any], split: str) -> "Goal":
        """The goal a row of measured accuracies (see `write_goals`) sets for `split`."""
        return cls(float(row[split]), int(row[f"{split}_images"]), split)


def goal_path(directory: str | Path, benchmark: str, arch: str) -> Path:
    return Path(directory) / f"{benchmark}-{arch}.json"


def find_goal_file(benchmark: str, arch: str, directory: str | Path = "baselines") -> Path | None:
    """The goal file for (benchmark, arch) in `directory` or in the baselines shipped with cpg."""
    for folder in (Path(directory), PACKAGE_BASELINES):
        path = goal_path(folder, benchmark, arch)
        if path.is_file():
            return path
    return None


def load_goals(path: Path, benchmark: Benchmark, arch: str | None, split: str, options: Mapping[str, Any],
               val_fraction: float) -> tuple[list[Goal], str]:
    """Per-task goals on `split` in task order, and the file's own account of how they were
    measured. The file must name the benchmark's tasks in order, be of architecture `arch`
    (None: a network of the user's own, which the user vouches for),
    hold `split` for every task and have been measured with the same benchmark `options` (a file
    without them counts as measured with none) and, for validation goals, `val_fraction`."""
    try:
        document = json.loads(path.read_text())
        entries = document["tasks"]
        names = [entry["name"] for entry in entries]
        measured_with = dict(document.get("benchmark_options", {}))
        source = str(document.get("source", "no source given"))
        file_arch = document.get("arch")
        file_fraction = document.get("val_fraction")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UserError(f"{path}: not a valid goal file ({type(error).__name__}: {error})") from None
    expected = [task.name for task in benchmark.tasks]
    if names != expected:
        raise UserError(f"{path}: its tasks {names[:3]}… do not match benchmark {benchmark.name!r} ({expected[:3]}…)")
    if arch is not None and file_arch != arch:
        raise UserError(f"{path}: goals of architecture {file_arch!r}, this run trains {arch!r}")
    if measured_with != dict(options):
        raise UserError(f"{path}: goals measured with benchmark options {measured_with}, this run has {dict(options)}; "
                        "run `cpg baseline` with these options to replace the file, or give --goal")
    missing = [entry["name"] for entry in entries if split not in entry or f"{split}_images" not in entry]
    if missing:
        held = sorted({key for entry in entries for key in entry if key in SPLITS})
        raise UserError(
            f"{path}: no {split} accuracy (with its number of images) for {', '.join(missing[:3])}"
            f"{'…' if len(missing) > 3 else ''}; the file holds {', '.join(held) or 'none'}. This run selects "
            f"on {split}: measure goals on it with `cpg baseline --tasks {benchmark.name} --arch {arch or file_arch}`"
            f"{', select on test to reproduce a published protocol (--select-on test)' if 'test' in held else ''}"
            ", or give one goal with --goal")
    if split == "val" and file_fraction != val_fraction:
        raise UserError(f"{path}: validation goals measured with val_fraction {file_fraction}, this run holds out "
                        f"{val_fraction}; run `cpg baseline` with this val_fraction, or give --goal")
    try:
        return [Goal.from_row(entry, split) for entry in entries], source
    except (ValueError, TypeError) as error:
        raise UserError(f"{path}: not a valid goal file ({error})") from None


def write_goals(path: Path, benchmark: Benchmark, arch: str, rows: list[dict[str, Any]], source: str,
                options: Mapping[str, Any], val_fraction: float) -> None:
    """Write a goal file; each row has the task's accuracy on every split (`train`, `val`,
    `test`) and the number of images behind it (`train_images`, …)."""
    write_json(path, {
        "benchmark": benchmark.name,
        "arch": arch,
        "source": source,
        "benchmark_options": dict(options),
        "val_fraction": val_fraction,
        "tasks": [{"name": task.name, **row} for task, row in zip(benchmark.tasks, rows)],
    })
