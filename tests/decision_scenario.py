"""The run the decision tests share (tests/test_decisions.py): two hard synthetic tasks, their
settings changed per test, and goal files edited where a test needs a goal just above or below
what the run measures."""

import copy
import json
from pathlib import Path
from typing import Any

from cpg.config import build_config
from cpg.report import ConsoleReport

SCENARIO: dict[str, Any] = {
    "tasks": "synthetic",
    "benchmark_options": {"num_tasks": 2, "classes_per_task": 4, "train_per_class": 40, "test_per_class": 20,
                          "image_size": 8, "channels": 1, "difficulty": 0.8},
    "arch": "small_cnn",
    "max_width": 1.5,
    "val_fraction": 0.25,
    "batch_size": 16,
    "finetune": {"epochs": 6, "lr": 0.05, "lr_steps": {4: 0.1}, "mask_lr": 0.005, "mask_lr_steps": {}},
    "prune": {"targets": [0.3, 0.99], "epochs": 2, "ramp_epochs": 1, "update_every": 2},
    "retrain": {"epochs": 1, "patience": 1},
}
"""Two 4-class tasks hard enough that accuracies sit well below 1; pruning to 99% collapses a
task's training accuracy, 30% does not."""

QUIET = ConsoleReport(quiet=True)


def scenario(root: Path, name: str, **changes: Any) -> Any:
    layer = {**copy.deepcopy(SCENARIO), "checkpoint_dir": str(root / "checkpoints"), "log_dir": str(root / "logs"),
             "name": name}
    for key, value in changes.items():
        layer[key] = {**layer[key], **value} if isinstance(value, dict) and isinstance(layer.get(key), dict) else value
    return build_config(("test", layer))


def with_goals(root: Path, document: dict[str, Any], accuracies: dict[int, float]) -> str:
    """A copy of a goal file with the validation goal of some tasks (1-based) replaced; an
    edited goal has no per-image results, so it is compared by the unpaired rule."""
    edited = copy.deepcopy(document)
    for task, accuracy in accuracies.items():
        edited["tasks"][task - 1]["val"] = accuracy
        del edited["tasks"][task - 1]["val_correct"]
    path = root / f"goals-{'-'.join(f'{task}_{value:.4f}' for task, value in accuracies.items())}.json"
    path.write_text(json.dumps(edited))
    return str(path)


def decisions(results: dict[str, Any], task: int, kind: str) -> list[dict[str, Any]]:
    return [entry for entry in results["tasks"][task - 1]["decisions"] if entry["decision"] == kind]
