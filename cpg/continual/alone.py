"""A task trained alone: one plain network per task. It produces the goal accuracies CPG must
reach (`cpg baseline`), a classifier of `cpg train`, and is the `independent` strategy, the
upper bound of the comparison (its one stage, `TrainAlone`)."""

import copy
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any, NoReturn

import torch
import torch.nn.functional as F

from cpg import optim
from cpg.classifier import Classifier, TrainedOn, save_classifier
from cpg.config import RunConfig
from cpg.continual.session import TaskSession
from cpg.continual.state import DONE, FIRST_STAGE, TaskProgress, TaskResult
from cpg.continual.strategy import Strategy, TaskStage
from cpg.data import Benchmark
from cpg.data.batches import TaskData
from cpg.distributed import Distributed
from cpg.engine import EpochLoop, LoopHook, LoopPosition, LoopStore, LossFn, MemoryStore, correct_predictions
from cpg.errors import UserError
from cpg.goals import pack_correct
from cpg.models import build_model
from cpg.nn import Reuse, TaskNetwork
from cpg.registry import Registry
from cpg.report import Reporter
from cpg.seeding import derive_seed

ModelBuilder = Callable[[int], torch.nn.Module]
"""Builds a fresh network for a task of that many classes."""


def train_task_alone(config: RunConfig, benchmark: Benchmark, index: int, reporter: Reporter,
                     device: torch.device, *, balanced: bool = False, loss_fn: LossFn = F.cross_entropy,
                     width: float = 1.0, build: ModelBuilder | None = None,
                     store: Callable[[torch.nn.Module], LoopStore] = MemoryStore, dist: Distributed | None = None,
                     hooks: Sequence[LoopHook] = ()) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Train a fresh network at `width` on task `index` (0-based) with the FINETUNE schedule,
    drawing class-balanced batches when `balanced`; returns it and its final accuracies: `train`
    (the running accuracy of the last epoch), `val` and `test`, each with its number of images
    (`train_images`, …), and which val and test images it got right (`val_correct`,
    `test_correct`, see `cpg.goals.pack_correct`). The network is `config.arch`'s unless
    `build(num_classes)` makes it; `store(model)` keeps its epochs (default: nothing is saved);
    `hooks` join the loop. Under `dist` every process trains the one network on its share of
    each batch."""
    task = benchmark.tasks[index]
    data = TaskData(task, config.batch_size, config.eval_batch_size, config.seed, config.select_on, balanced)
    torch.manual_seed(derive_seed(config.seed, "independent", index))
    if build is None:
        model = build_model(config.arch, task.num_classes, benchmark.input_shape, width)
    else:
        model = build(task.num_classes)
    model.to(device)
    settings = config.finetune
    optimizer = optim.sgd(model.parameters(), settings.lr, config.momentum, weight_decay=config.weight_decay)

    def batches(epoch: int):  # type: ignore[no-untyped-def]
        torch.manual_seed(derive_seed(config.seed, "independent-step", index, epoch))
        return data.train_batches("independent", index, epoch, shard=dist)

    title = f"task {index + 1}/{len(benchmark.tasks)} {task.name} · alone"
    with reporter.stage(index + 1, title, "independent", settings.epochs) as report:
        outcome = EpochLoop(model, [optimizer], settings.epochs, batches, device=device, store=store(model),
                            schedules=[optim.stepped(settings.lr_steps)], loss_fn=loss_fn, hooks=hooks,
                            report=report, dist=dist).run()
    last = outcome.history[-1]
    accuracies: dict[str, Any] = {"train": last["train_acc"], "train_images": len(task.train)}  # type: ignore[arg-type]
    for split in ("val", "test"):
        correct = correct_predictions(model, data.eval_batches(split), device)
        accuracies.update({split: int(correct.sum()) / max(1, len(correct)), f"{split}_images": len(correct),
                           f"{split}_correct": pack_correct(correct)})
    return model, accuracies


def single_task_network(template: TaskNetwork, num_classes: int) -> TaskNetwork:
    """A fresh network of `template`'s architecture (from its factory, or a copy of it while it
    holds no task) learning one task with every weight: a user's network trained alone."""
    if template.factory is not None:
        network = TaskNetwork.build(template.factory)
    elif not template.tasks:
        network = copy.deepcopy(template)
    else:
        raise UserError("goals for a network that already holds tasks cannot be measured on a copy of it; "
                        "give goal.value, or a network with a factory")
    network.add_task(num_classes)
    network.claim_free_weights(1)
    network.begin_learning(1, Reuse.ALL)
    network.use_task(1)
    return network


class TaskStore:
    """The epochs of the network being trained for one task, saved with the run."""

    def __init__(self, session: TaskSession, model: torch.nn.Module) -> None:
        self.session = session
        self.model = model

    def resume(self) -> tuple[LoopPosition, list[dict[str, Any]]] | None:
        resumed = self.session.recorder.take_resumed()
        if resumed is None or not self.session.state.loop.epoch:
            return None
        self.model.load_state_dict(resumed["network"])
        return self.session.state.loop, resumed.get("optimizers", {}).get("list", [])

    def save(self, position: LoopPosition, optimizers: Sequence[torch.optim.Optimizer], force: bool) -> None:
        self.session.state.loop = position
        self.session.recorder.save(self.model, optimizers, force=force)

    def keep(self, epoch: int) -> None:
        raise RuntimeError("independent training keeps its last epoch")

    restore = keep

    def fail(self, message: str) -> NoReturn:
        self.session.recorder.roll_back(f"{self.session.state.stage} {message}")


class TrainAlone:
    """The one stage of a strategy whose tasks share nothing (`independent`): the task's own
    network trained alone with the FINETUNE schedule and saved as `task-K.pt` in the run folder
    (a plain classifier, see cpg.classifier). Nothing is shared, nothing is forgotten, and it
    costs one network per task. The network being trained is saved after every epoch, so a run
    resumes inside a task."""

    def run(self, session: TaskSession, strategy: Strategy) -> str:
        config, benchmark, state = session.config, session.benchmark, session.state
        index = session.task - 1
        hooks = [hook for plugin in strategy.plugins for hook in plugin.loop_hooks(session, FIRST_STAGE)]
        model, accuracies = train_task_alone(config, benchmark, index, session.reporter, session.device,
                                             store=lambda model: TaskStore(session, model), hooks=hooks)
        task = benchmark.tasks[index]
        save_classifier(session.recorder.folder.root / f"task-{index + 1}.pt", Classifier(
            model.cpu(), config.arch, benchmark.input_shape, task.classes,
            trained_on=TrainedOn.of_run(config, index + 1)))
        previous = state.matrix[-1] if state.matrix else []
        state.matrix.append(previous + [accuracies["test"]])
        session.count_time(FIRST_STAGE)
        state.results.append(asdict(TaskResult(
            task=index + 1, name=task.name, goal=None, test_accuracy=accuracies["test"],
            val_accuracy=accuracies["val"], owned_share=1.0, seconds=dict(session.progress.seconds))))
        session.reporter.message(f"task {index + 1} trained alone: test accuracy {accuracies['test']:.4f}")
        for plugin in strategy.plugins:
            plugin.task_committed(session)
        session.recorder.task_committed(None, strategy.summary(session))
        state.progress = TaskProgress()
        if session.is_last_task:
            return DONE
        state.task += 1
        return FIRST_STAGE


ALONE: Registry[type[TaskStage]] = Registry("stage")
"""The stages of a strategy whose tasks share nothing: `TrainAlone`, once per task."""
ALONE.add(FIRST_STAGE, TrainAlone)
