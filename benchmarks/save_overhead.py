"""Share of a run's wall time spent on what is not training, with epochs as short as on a GPU.

A small network and few images make an epoch take tens of milliseconds (about 40 ms here),
shorter still than a CIFAR epoch on a current GPU, while a save still writes the whole run (network, optimizer states,
snapshots). The same run is timed with a save after every epoch (`save_every_seconds: 0`, how
cpg saved before) and with the default cadence; for each, the script prints the share of wall
time spent writing the run, writing results.json and TensorBoard, computing the per-epoch
capacity figures, and evaluating the test split at commits.

    python benchmarks/save_overhead.py [--arch resnet20] [--tasks 3] [--cadence 60]
"""

import argparse
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from cpg.allocator import use_huge_pages

use_huge_pages()  # before torch is imported: the allocator settings `cpg` runs with

from cpg.checkpoint import RunFolder  # noqa: E402
from cpg.config import build_config  # noqa: E402
from cpg.continual import recorder, session, task_loop  # noqa: E402
from cpg.report import ConsoleReport, Reporter  # noqa: E402
from cpg.report.reporter import StageReport  # noqa: E402
from cpg.workflows import execute  # noqa: E402

SPENT: dict[str, float] = defaultdict(float)


def timed(owner: Any, name: str, label: str) -> None:
    """Wrap `owner.name` so that its time adds up under `label`."""
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            SPENT[label] += time.perf_counter() - start

    setattr(owner, name, wrapper)


def measure(settings: dict[str, Any], save_every: float) -> tuple[float, dict[str, float]]:
    SPENT.clear()
    with tempfile.TemporaryDirectory() as root:
        layer = {**settings, "save_every_seconds": save_every, "checkpoint_dir": f"{root}/checkpoints",
                 "log_dir": f"{root}/logs", "name": "run"}
        start = time.perf_counter()
        execute(build_config(("benchmark", layer)), console=ConsoleReport(quiet=True))
        return time.perf_counter() - start, dict(SPENT)


def commit_test_split(original: Callable[..., float]) -> Callable[..., float]:
    def evaluate(self: Any, task: int, split: str) -> float:
        start = time.perf_counter()
        try:
            return original(self, task, split)
        finally:
            if split == "test":
                SPENT["test split at commits"] += time.perf_counter() - start

    return evaluate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", default="resnet20")
    parser.add_argument("--tasks", type=int, default=3)
    parser.add_argument("--cadence", type=float, default=60.0, help="the save cadence to compare (seconds)")
    args = parser.parse_args()
    settings = {
        "tasks": "synthetic", "arch": args.arch, "max_width": 1.0, "batch_size": 16, "goal": {"value": 0.0},
        "benchmark_options": {"num_tasks": args.tasks, "classes_per_task": 2, "train_per_class": 8,
                              "test_per_class": 8, "image_size": 8, "channels": 3, "difficulty": 0.5},
        "finetune": {"epochs": 20, "lr_steps": {}, "mask_lr_steps": {}},
        "prune": {"targets": [0.5, 0.8], "epochs": 10, "ramp_epochs": 1},
        "retrain": {"epochs": 5, "patience": 5},
    }
    timed(RunFolder, "save", "writing the run")
    timed(RunFolder, "save_snapshot", "writing the run")
    timed(recorder, "write_json", "results.json")
    timed(Reporter, "committed", "TensorBoard at commits")
    timed(StageReport, "epoch", "progress and TensorBoard per epoch")
    timed(task_loop, "free_share", "capacity per epoch")
    session.TaskSession.evaluate = commit_test_split(session.TaskSession.evaluate)  # type: ignore[method-assign]
    measure(settings, args.cadence)  # warm-up: imports, allocator
    rows = []
    for label, cadence in (("after every epoch", 0.0), (f"every {args.cadence:g} s", args.cadence)):
        wall, spent = measure(settings, cadence)
        rows.append((label, wall, spent))
    kinds = sorted({kind for _, _, spent in rows for kind in spent})
    print(f"{args.arch}, {args.tasks} tasks, epochs of {settings['benchmark_options']['train_per_class'] * 2} images")
    print(f"{'share of wall time':<36}" + "".join(f"{label:>20}" for label, _, _ in rows))
    print(f"{'wall time (s)':<36}" + "".join(f"{wall:>20.1f}" for _, wall, _ in rows))
    for kind in kinds:
        print(f"{kind:<36}" + "".join(f"{spent.get(kind, 0.0) / wall:>20.1%}" for _, wall, spent in rows))


if __name__ == "__main__":
    main()
