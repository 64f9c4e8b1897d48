"""The stage machine every strategy of a shared network runs (CPG, PackNet, Piggyback, PAE,
finetune): the stages in order, a save after every epoch, rollback on numerical failure, and
what the stages share (optimizers, training loops, evaluation, snapshots).

Each stage lives in `cpg/continual/stages/` as a class adding one method; `StageMachine`
combines them and maps every `Stage` to its method. The strategy (cpg/continual/strategy.py)
is data the stages read.
"""

import time
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import torch

from cpg import optim
from cpg.config import RunConfig
from cpg.continual.context import RunContext
from cpg.continual.decisions import Comparison, Estimate, compare
from cpg.continual.run_store import RunStore
from cpg.continual.state import RunState, Stage, TaskProgress
from cpg.continual.strategy import NetworkKind, Strategy
from cpg.data.batches import TaskData
from cpg.engine import (EpochLoop, EpochRecord, LoopHook, NonFiniteError, Schedule, Score, correct_predictions,
                        evaluate)
from cpg.errors import RunFailed
from cpg.goals import Goal
from cpg.nn import TaskNetwork, free_share
from cpg.report.results import network_summary
from cpg.seeding import derive_seed


class MachineBase:
    """The machinery the stages share."""

    config: RunConfig

    def __init__(self, strategy: Strategy, context: RunContext) -> None:
        self.strategy = strategy
        self.context = context
        self.config = context.config
        self.network: TaskNetwork = context.network
        self.state: RunState = context.state
        self._optimizer_state: list[dict[str, Any]] | None = ((context.saved or {}).get("optimizers") or {}).get("list")
        self._task_data: dict[int, TaskData] = {}
        self._clock = time.perf_counter()

    def handlers(self) -> dict[Stage, Callable[[], Stage]]:
        raise NotImplementedError

    def summary(self) -> dict[str, Any]:
        """Width, free capacity and size for results.json."""
        return network_summary(self.network)

    def run(self) -> RunState:
        if self._has_learning_task():
            self.network.begin_learning(self.task, self.strategy.reuse, self.progress.trained_layers)
        handlers = self.handlers()
        while self.state.stage is not Stage.DONE:
            stage = self.state.stage
            self._clock = time.perf_counter()
            try:
                next_stage = handlers[stage]()
            except NonFiniteError as error:
                self.roll_back(f"{stage.value}: {error}")
            if stage is not Stage.COMMIT:  # COMMIT counts its own time before recording the task
                self._count_time(stage)
            self._enter(next_stage, force=stage is Stage.COMMIT)
        return self.state

    def roll_back(self, failure: str) -> NoReturn:
        """Keep the last good epoch (the latest saved version), record what happened in a new
        version of the state, and stop: nothing is lowered or retried silently."""
        message = f"task {self.task} {failure}; rolled back to the end of epoch {self.state.epoch}"
        folder = self.context.folder
        if self.context.dist.is_main:
            saved_state, tensors = folder.load(self.context.reporter.warning)
            saved_state["events"] = saved_state.get("events", []) + [message]
            for key in ("format", "version", "model_crc32", "checksums"):
                saved_state.pop(key, None)
            folder.save(saved_state, {key: value for key, value in tensors.items()
                                      if key not in ("kind", "format", "version")})
        self.context.dist.barrier()
        self.context.reporter.event(message)
        raise RunFailed(f"{message}. Lower the learning rate (or fix the data) and resume: "
                        f"cpg resume {folder.root} --config CHANGED.yaml")

    def _count_time(self, stage: Stage) -> None:
        """Add the time since the clock was last read to `stage`'s total for this task."""
        now = time.perf_counter()
        seconds = self.state.progress.seconds
        seconds[stage.value] = seconds.get(stage.value, 0.0) + now - self._clock
        self._clock = now

    def _enter(self, stage: Stage, force: bool) -> None:
        """Move to `stage`; saved at once after a commit, else on the save cadence."""
        self.state.stage = stage
        self.state.loop = type(self.state.loop)()
        self._optimizer_state = None
        self.context.save(self.network, force=force)

    # the task ------------------------------------------------------------------------------

    @property
    def task(self) -> int:
        return self.state.task

    @property
    def progress(self) -> TaskProgress:
        return self.state.progress

    def _data(self, task: int) -> TaskData:
        if task not in self._task_data:
            self._task_data[task] = self.context.task_data(task)
        return self._task_data[task]

    def _images(self, split: str) -> int:
        """How many images the current task's `split` ("train", "val", "test", "select") holds."""
        return self._data(self.task).images(split)

    def _has_learning_task(self) -> bool:
        return bool(self.network.tasks) and not self.network.tasks[-1].committed

    def _title(self, stage: str) -> str:
        name = self.context.benchmark.tasks[self.task - 1].name
        return f"task {self.task}/{len(self.context.benchmark.tasks)} {name} · {stage}"

    @property
    def at_max_width(self) -> bool:
        return self.network.width >= self.config.max_width - 1e-9

    # decisions -----------------------------------------------------------------------------

    @property
    def goal(self) -> Goal | None:
        return Goal.from_dict(self.state.goals[self.task - 1])

    def _selection(self) -> Estimate:
        """The current task's accuracy on the selection split, with which images it got right."""
        self.network.use_task(self.task)
        correct = correct_predictions(self.network, self._data(self.task).eval_batches("select"), self.context.device)
        return Estimate(int(correct.sum()) / max(1, len(correct)), len(correct), correct)

    def _against_goal(self, selection: Estimate) -> Comparison:
        """The selection accuracy against the task's goal, paired image by image when the goal
        says which images its network got right. Only strategies with goals ask."""
        goal = self.goal
        if goal is None:
            raise RuntimeError(f"task {self.task} has no goal, but {self.strategy.name} decides by goals")
        return compare(selection, Estimate(goal.accuracy, goal.images, goal.correct_vector()),
                       self.config.goal.allowed_loss, self.config.goal.standard_errors)

    def _against_gate(self, train_accuracy: float) -> Comparison:
        """A pruning step's training accuracy against the gate: `goal.train_accuracy`, or the
        task's own training accuracy before pruning when that is lower."""
        before = Estimate(self.progress.finetune_train_accuracy, self._images("train"))
        gate = Estimate(self.config.goal.train_accuracy).lower(before)
        return compare(Estimate(train_accuracy, self._images("train")), gate, 0.0, self.config.goal.standard_errors)

    def _goal_text(self) -> str:
        return "no goal" if self.goal is None else f"goal {self.goal.accuracy:.4f}"

    # training ------------------------------------------------------------------------------

    def _optimizers(self, lr: float, mask_lr: float) -> list[torch.optim.Optimizer]:
        """SGD for what the task trains; Adam for its picking mask when `mask_lr` > 0. Exactly
        these parameters require gradients from now on."""
        weights = self._trained_weights()
        backbone = self.strategy.network is NetworkKind.BACKBONE
        decay = self.config.weight_decay if backbone else 0.0  # masked layers decay the task's own weights in backward
        optimizers = [optim.sgd(weights, lr, self.config.momentum, decay)]
        picks = self.network.picking_logits() if mask_lr > 0 else []
        if picks:
            optimizers.append(optim.adam(picks, mask_lr))
        self.network.train_only(weights + picks)
        self.network.set_direct_gradients(not self.context.dist.enabled)
        if not backbone:
            self.network.set_weight_decay(self.config.weight_decay)
        return optimizers

    def _trained_weights(self) -> list[torch.nn.Parameter]:
        """A masked network: the task's own shared weights (gated), its BN, biases and head. A
        backbone: all of it and the task's head."""
        if self.strategy.network is NetworkKind.BACKBONE:
            others = {id(param) for record in self.network.tasks if record.number != self.task
                      for param in self.network.task_parameters(record.number)}
            return [param for param in self.network.parameters() if id(param) not in others]
        return self.network.trained_weights() + self.network.task_parameters(self.task)

    def _loop(self, stage: str, key: tuple, epochs: int, optimizers: Sequence[torch.optim.Optimizer], report: Any,
              mask_lr: Callable[[int], float], *, schedules: Sequence[Schedule | None] | None = None,
              selects: bool = False, score: Callable[[EpochRecord], Score] | None = None,
              start_score: Callable[[], Score] | None = None, patience: int = 0, hooks: Sequence[LoopHook] = (),
              report_offset: int = 0, store: RunStore | None = None) -> EpochLoop:
        """A training loop of the current task: batches and dropout seeded by (task, stage, key,
        epoch), saving into the run folder after every epoch; `mask_lr(epoch)` is reported."""
        task, data, dist = self.task, self._data(self.task), self.context.dist

        def batches(epoch: int):  # type: ignore[no-untyped-def]
            self.network.use_task(task)
            torch.manual_seed(derive_seed(self.config.seed, "step", task, stage, *key, epoch))
            return data.train_batches(task, stage, *key, epoch, shard=dist)

        progress = Progress(self, mask_lr, capacity_moves=stage == "prune")
        return EpochLoop(
            self.network, optimizers, epochs, batches, device=self.context.device, store=store or RunStore(self),
            schedules=schedules, loss_fn=torch.nn.functional.cross_entropy,
            evaluate=(lambda: self._evaluate(task, "select")) if selects else None, score=score,
            start_score=start_score, patience=patience, hooks=[*hooks, progress], amp=self.config.amp,
            dist=dist, report=report, report_offset=report_offset)

    def _evaluate(self, task: int, split: str) -> float:
        self.network.use_task(task)
        return evaluate(self.network, self._data(task).eval_batches(split), self.context.device).accuracy

    # snapshots -----------------------------------------------------------------------------

    def take_optimizer_state(self) -> list[dict[str, Any]]:
        """The optimizer states saved with the version the run resumed from, once."""
        states, self._optimizer_state = self._optimizer_state or [], None
        return states

    def snapshot(self, role: str) -> None:
        self.context.save_snapshot(role, self.network)

    def restore(self, role: str) -> None:
        """Load a snapshot of the current task into the network (same tasks, same width)."""
        self.network.load_state_dict(self.context.load_snapshot(role))
        self.network.refresh_learning()


class Progress(LoopHook):
    """What every training loop of a task records and reports after each epoch. Only pruning
    releases weights inside a loop, so other loops count the free capacity once."""

    def __init__(self, machine: MachineBase, mask_lr: Callable[[int], float], capacity_moves: bool) -> None:
        self.machine = machine
        self.mask_lr = mask_lr
        self.capacity_moves = capacity_moves
        self.free_capacity: float | None = None

    def after_epoch(self, record: EpochRecord) -> dict[str, float]:
        self.machine.progress.last_train_accuracy = record.stats.accuracy
        network = self.machine.network
        if self.free_capacity is None or self.capacity_moves:
            self.free_capacity = free_share(network)
        return {"mask_lr": self.mask_lr(record.epoch), "width": network.width, "free_capacity": self.free_capacity}
