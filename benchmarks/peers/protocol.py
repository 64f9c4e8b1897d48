"""cpg's side of a peer run, with no peer library in it: the settings of the cpg run it mirrors,
the learning rate of each epoch, the tasks' labels, the test accuracy of one task, and the
`results.json` document that `cpg compare` reads beside cpg's own runs."""

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.data import Dataset

from benchmarks.compare_strategies import DEFAULT_SETTINGS
from cpg.cli.pipelines import default_pipeline, resolve_config
from cpg.config import RunConfig, one_shot_epochs, scale_epochs
from cpg.data import Benchmark, make_loader
from cpg.engine import evaluate
from cpg.optim import stepped_lr
from cpg.report import ConsoleReport
from cpg.report.continual import average_accuracy, average_forgetting, backward_transfer, forgetting
from cpg.workflows import execute

PRUNING = "packnet"
"""The one mirrored strategy that prunes; the others train `finetune.epochs` per task only."""
METHODS = ("ewc", "si", "lwf", "replay")
"""The mirrored strategies that are finetune with a plugin, each with its settings' group."""


def peer_config(tasks: str, strategy: str, config_file: str | None, flags: Mapping[str, Any]) -> RunConfig:
    """The settings cpg's `strategy` runs `tasks` with, as `benchmarks/compare_strategies.py`
    resolves them: the strategy's own pipeline, else the tasks' pipeline (or `config_file`, a
    protocol such as a CPU one) with the strategy's defining settings on top; then `flags`;
    epochs scaled as a run scales them."""
    layer: dict[str, Any] = {"tasks": tasks, "strategy": strategy}
    if config_file is not None or default_pipeline(tasks, strategy) == default_pipeline(tasks):
        layer.update(DEFAULT_SETTINGS.get(strategy, {}))
    for key, value in flags.items():  # a section given on both sides keeps the keys of both
        layer[key] = {**layer[key], **value} if isinstance(value, dict) and isinstance(layer.get(key), dict) else value
    return scale_epochs(resolve_config(config_file, tasks, layer))


def cpg_run(config: RunConfig, benchmark: Benchmark, folder: Path) -> Path:
    """cpg's own run of `config` on `benchmark`, in `folder`/cpg-<strategy> (resumed, or read
    when finished); its folder."""
    name = f"cpg-{config.strategy}"
    execute(dataclasses.replace(config, name=name, checkpoint_dir=str(folder), log_dir=str(folder / "logs")),
            benchmark=benchmark, console=ConsoleReport(quiet=True))
    return folder / name


def prune_proportion(config: RunConfig) -> float:
    return config.prune.one_shot_ratio


def post_prune_epochs(config: RunConfig) -> int:
    return one_shot_epochs(config)


def train_epochs(config: RunConfig) -> int:
    """Epochs per task: FINETUNE's, then for PackNet the epochs trained after pruning."""
    return config.finetune.epochs + (post_prune_epochs(config) if config.strategy == PRUNING else 0)


def learning_rate(config: RunConfig, epoch: int) -> float:
    """The rate of a task's `epoch` (0-based): FINETUNE's stepped schedule, then PRUNE's constant rate."""
    if epoch < config.finetune.epochs:
        return stepped_lr(config.finetune.lr, config.finetune.lr_steps, epoch)
    return config.prune.lr


def split_labels(split: Dataset) -> list[int]:
    """The integer label of every sample of a task's split, in order (no image is decoded when
    the split keeps its labels, as cpg's in-memory splits do)."""
    labels = getattr(split, "labels", None)
    if labels is None:
        labels = getattr(split, "targets", None)
    if labels is None:
        labels = [split[index][1] for index in range(len(split))]  # type: ignore[arg-type]
    return [int(label) for label in labels]


class OneTask(nn.Module):
    """A multi-task model `model(images, task_labels)` seen as task `task`'s classifier."""

    def __init__(self, model: nn.Module, task: int) -> None:
        super().__init__()
        self.model = model
        self.task = task

    def forward(self, images: Tensor) -> Tensor:
        return self.model(images, torch.full((len(images),), self.task, dtype=torch.long, device=images.device))


def task_accuracy(model: nn.Module, task: int, test: Dataset, batch_size: int, device: torch.device) -> float:
    """Task `task`'s (0-based) accuracy on `test`, computed as cpg computes a committed task's."""
    return evaluate(OneTask(model, task), make_loader(test, batch_size, shuffle=False), device).accuracy


def accuracy_row(model: nn.Module, tests: list[Dataset], learned: int, batch_size: int,
                 device: torch.device) -> list[float]:
    """One row of the accuracy matrix: every task learned so far, after task `learned` (1-based)."""
    return [task_accuracy(model, task, tests[task], batch_size, device) for task in range(learned)]


def results_document(benchmark: str, strategy: str, config: RunConfig, matrix: list[list[float]],
                     seconds: float, peer: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of cpg's `results.json` that `cpg compare` reads, with their meaning (average over
    the tasks after the last one; forgetting = best earlier accuracy − final, tasks 1..T−1), and
    what ran: `peer` names the library and the settings it was given."""
    return {
        "benchmark": benchmark,
        "strategy": strategy,
        "arch": config.arch,
        "seed": config.seed,
        "accuracy_matrix": matrix,
        "average_accuracy": average_accuracy(matrix),
        "forgetting": forgetting(matrix),
        "average_forgetting": average_forgetting(matrix),
        "backward_transfer": backward_transfer(matrix),
        "model_size": {"relative_to_one_network": 1.0},
        "wall_time_seconds": seconds,
        "peer": dict(peer),
    }


def settings_summary(config: RunConfig) -> dict[str, Any]:
    """What a peer strategy was given, for its results document and its console line."""
    summary: dict[str, Any] = {
        "epochs": config.finetune.epochs, "lr": config.finetune.lr, "lr_steps": config.finetune.lr_steps,
        "batch_size": config.batch_size, "momentum": config.momentum, "nesterov": config.momentum > 0,
        "weight_decay": config.weight_decay, "seed": config.seed, "val_fraction": config.val_fraction,
        "benchmark_options": config.benchmark_options,
    }
    if config.strategy == PRUNING:
        summary.update(prune_proportion=prune_proportion(config), post_prune_epochs=post_prune_epochs(config),
                       post_prune_lr=config.prune.lr)
    if config.strategy in METHODS:
        summary[config.strategy] = dataclasses.asdict(getattr(config, config.strategy))
    return summary

