"""A cpg benchmark learned by an Avalanche strategy: the tasks as a task-incremental Avalanche
scenario, the strategies (`Naive` with a head per task, alone or with Avalanche's EWC, SI, LwF
or replay plugin: benchmarks/peers/avalanche_methods.py; Avalanche's `PackNetPlugin` on a
`SupervisedTemplate`), the plugins that give them cpg's epoch schedule, and the accuracy matrix
after each task.

What the plugins add, and why:
- `StageSchedule`: cpg's learning rate per epoch (FINETUNE's stepped schedule, then PRUNE's
  rate after pruning) and a fresh optimizer state at the start of each of those stages, as cpg
  builds a new optimizer per stage. Avalanche keeps one optimizer per experience (Naive: across
  experiences) and a constant rate.
- `OwnWeightDecay` (PackNet only; the optimizer then has no decay): decay of the weights the
  task trains, in the gradient, as cpg's masked layers decay a task's own weights. Avalanche's
  PackNet masks the gradient of frozen weights but leaves them to the optimizer's weight decay,
  which would shrink earlier tasks' weights and make PackNet forget.
"""

import time
import warnings
from collections.abc import Callable

import torch
from avalanche.benchmarks.scenarios import benchmark_from_datasets
from avalanche.benchmarks.scenarios.task_aware import with_task_labels
from avalanche.benchmarks.utils import ConstantSequence, DataAttribute, TaskLabels
from avalanche.benchmarks.utils.classification_dataset import TaskAwareSupervisedClassificationDataset
from avalanche.core import SupervisedPlugin
from avalanche.models.packnet import PackNetPlugin, WeightAndBiasPackNetModule
from avalanche.training import Naive
from avalanche.training.plugins import EvaluationPlugin
from avalanche.training.templates import SupervisedTemplate
from torch import nn

from benchmarks.peers.avalanche_methods import method_plugins
from benchmarks.peers.avalanche_models import multihead_network, packnet_network
from benchmarks.peers.protocol import (PRUNING, accuracy_row, learning_rate, post_prune_epochs, prune_proportion,
                                       split_labels,
                                       train_epochs)
from cpg.config import RunConfig
from cpg.data import Benchmark

Report = Callable[[str], None]


def task_experiences(benchmark: Benchmark) -> list:
    """One Avalanche experience per task of `benchmark`, task label = its position, over cpg's
    own training split of each task (validation part held out, normalised and augmented by cpg)."""
    train = [TaskAwareSupervisedClassificationDataset([task.train], data_attributes=[  # task-aware: LwF reads its task set
        DataAttribute(split_labels(task.train), "targets"), TaskLabels(ConstantSequence(label, len(task.train)))])
        for label, task in enumerate(benchmark.tasks)]
    experiences = list(with_task_labels(benchmark_from_datasets(train=train)).train_stream)
    for experience in experiences:  # a list, as MultiHeadClassifier indexes a tensor with it (not a set)
        experience.classes_in_this_experience = sorted(experience.dataset.targets.uniques)
    return experiences


class StageSchedule(SupervisedPlugin):
    """Each epoch's learning rate from cpg's schedule; optimizer state reset where a stage starts."""

    def __init__(self, config: RunConfig) -> None:
        super().__init__()
        self.config = config

    def before_training_epoch(self, strategy: SupervisedTemplate, *args: object, **kwargs: object) -> None:
        epoch = strategy.clock.train_exp_epochs
        if epoch in (0, self.config.finetune.epochs):
            strategy.optimizer.state.clear()
        for group in strategy.optimizer.param_groups:
            group["lr"] = learning_rate(self.config, epoch)


class OwnWeightDecay(SupervisedPlugin):
    """Adds `decay × weight` to the gradient of the weights the task trains (unfrozen, unpruned)."""

    def __init__(self, decay: float) -> None:
        super().__init__()
        self.decay = decay

    @torch.no_grad()
    def before_update(self, strategy: SupervisedTemplate, *args: object, **kwargs: object) -> None:
        for layer in strategy.model.modules():
            weight = layer.wrappee.weight if isinstance(layer, WeightAndBiasPackNetModule) else None
            if weight is not None and weight.grad is not None:
                weight.grad.add_(weight * layer.unfrozen_mask, alpha=self.decay)


def build_strategy(config: RunConfig, benchmark: Benchmark, device: torch.device) -> SupervisedTemplate:
    """cpg's `config.strategy` (packnet, finetune, ewc, si, lwf or replay) as Avalanche runs it,
    silent (no loggers)."""
    classes = [task.num_classes for task in benchmark.tasks]
    pruning = config.strategy == PRUNING
    build = packnet_network if pruning else multihead_network
    model = build(config.arch, classes, benchmark.input_shape)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.finetune.lr, momentum=config.momentum,
                                nesterov=config.momentum > 0, weight_decay=0.0 if pruning else config.weight_decay)
    with warnings.catch_warnings():  # the accuracies are measured here (protocol.accuracy_row), not by Avalanche
        warnings.filterwarnings("ignore", "No loggers specified")
        evaluator = EvaluationPlugin()
    common = dict(model=model, optimizer=optimizer, criterion=nn.CrossEntropyLoss(), train_mb_size=config.batch_size,
                  train_epochs=train_epochs(config), eval_mb_size=config.eval_batch_size, device=device,
                  evaluator=evaluator)
    if pruning:
        # what avalanche's `PackNet` strategy is, built here because avalanche-lib 0.6's `PackNet`
        # nests its `plugins` argument in a list, which Avalanche then silently skips
        packnet = PackNetPlugin(post_prune_epochs(config), prune_proportion(config))
        return SupervisedTemplate(**common, plugins=[packnet, StageSchedule(config), OwnWeightDecay(config.weight_decay)])
    return Naive(**common, plugins=[StageSchedule(config), *method_plugins(config)])


def learn_sequence(config: RunConfig, benchmark: Benchmark, device: torch.device,
                   report: Report) -> tuple[list[list[float]], float]:
    """Train `config.strategy` on every task in turn; the accuracy matrix (row t: every task's
    test accuracy after learning task t) and the wall time of training and evaluating."""
    torch.manual_seed(config.seed)
    strategy = build_strategy(config, benchmark, device)
    tests = [task.test for task in benchmark.tasks]
    matrix: list[list[float]] = []
    start = time.perf_counter()
    for number, experience in enumerate(task_experiences(benchmark), start=1):
        strategy.train(experience)
        matrix.append(accuracy_row(strategy.model, tests, number, config.eval_batch_size, device))
        report(f"{config.strategy}: task {number} learned ({time.perf_counter() - start:.0f} s); "
               f"test accuracy so far {' '.join(f'{accuracy:.4f}' for accuracy in matrix[-1])}")
    return matrix, time.perf_counter() - start
