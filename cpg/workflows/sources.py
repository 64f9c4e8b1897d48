"""Where the model that `cpg seam` and `cpg compress` start from comes from: a classifier file,
your own state_dict of a registered architecture, or one committed task of a saved run. Each
choice loads itself as a `Source` and names itself in a work folder's identity."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cpg.config.source import SourceDataConfig
from cpg.data import build_benchmark
from cpg.engine.work_folder import file_identity
from cpg.nn import task_model
from cpg.source import Source, source_from_classifier, source_from_state_dict
from cpg.workflows.saved_run import open_run


@dataclass(frozen=True)
class ClassifierFile:
    path: Path

    def load(self, config: SourceDataConfig) -> Source:
        return source_from_classifier(self.path, config)

    def identity(self) -> dict[str, Any]:
        return {"classifier": file_identity(self.path)}


@dataclass(frozen=True)
class StateDictFile:
    """Weights of `arch` at `width`, trained on task `task` of `benchmark` (None: all of its
    tasks merged into one)."""

    path: Path
    arch: str
    benchmark: str
    task: int | None = None
    width: float = 1.0

    def load(self, config: SourceDataConfig) -> Source:
        return source_from_state_dict(self.path, self.arch, self.benchmark, self.task, config, self.width)

    def identity(self) -> dict[str, Any]:
        return {"state_dict": file_identity(self.path), "arch": self.arch, "benchmark": self.benchmark,
                "task": self.task, "width": self.width}


@dataclass(frozen=True)
class RunTask:
    """Committed task `task` of the run saved in `run`."""

    run: Path
    task: int

    def load(self, config: SourceDataConfig) -> Source:
        return source_from_run(self.run, self.task, config)

    def identity(self) -> dict[str, Any]:
        return {"run": str(self.run.resolve()), "task": self.task}


SourceChoice = ClassifierFile | StateDictFile | RunTask


def source_from_run(path: str | Path, task_number: int, config: SourceDataConfig) -> Source:
    """Task `task_number` of a saved run as a plain model at its own width, with its data (read
    from `config.data_root`, or where the run read it)."""
    run = open_run(path)
    run.check_task(task_number)
    benchmark = build_benchmark(
        run.config.tasks, data_root=config.data_root or run.config.data_root, download=config.download,
        verify_checksums=config.verify_checksums, val_fraction=run.config.val_fraction,
        options=run.config.benchmark_options,
    )
    task = benchmark.tasks[task_number - 1]
    model = task_model(run.network, task_number).cpu()
    return Source(model, run.config.arch, task, benchmark.input_shape, f"{path} task {task_number} ({task.name})")
