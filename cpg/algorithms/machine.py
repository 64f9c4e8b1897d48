"""The machinery every stage of the CPG family shares: the stage loop, saving after every
epoch, rollback on numerical failure, optimizers, one training epoch, evaluation, snapshots.

Each stage lives in `cpg/algorithms/stages/` as a subclass adding one method; `CPG`
(cpg/algorithms/cpg.py) combines them and maps every `Stage` to its method.
"""

import time
from collections.abc import Callable
from typing import Any

import torch

from cpg import optim, pruner
from cpg.algorithms.context import RunContext
from cpg.algorithms.decisions import Comparison, Estimate, compare
from cpg.algorithms.state import RunState, Stage, TaskProgress
from cpg.algorithms.task_data import TaskData
from cpg.config import RunConfig
from cpg.engine import EpochStats, NonFiniteError, check_finite, evaluate, train_epoch
from cpg.errors import RunFailed
from cpg.goals import Goal
from cpg.nn import Reuse, TaskNetwork
from cpg.seeding import derive_seed


class StageMachine:
    """A task-by-task state machine over a `TaskNetwork`, resumable at every epoch."""

    reuse = Reuse.PICK  # how a task uses earlier tasks' weights
    uses_goals = True  # goals decide growth and the chosen sparsity
    config: RunConfig

    def __init__(self, context: RunContext) -> None:
        self.context = context
        self.config = context.config
        self.network: TaskNetwork = context.network
        self.state: RunState = context.state
        self._optimizer_state: dict[str, Any] | None = context.optimizer_state
        self._task_data: dict[int, TaskData] = {}
        self._clock = time.perf_counter()
        self._model: torch.nn.Module = self.network

    # the machine ---------------------------------------------------------------------------

    def handlers(self) -> dict[Stage, Callable[[], Stage]]:
        """The method that runs each stage and returns the next one."""
        raise NotImplementedError

    def run(self) -> RunState:
        if self._has_learning_task():
            pruner.begin_learning(self.network, self.state.task, self.reuse, self.progress.trained_layers)
        handlers = self.handlers()
        while self.state.stage is not Stage.DONE:
            stage = self.state.stage
            self._clock = time.perf_counter()
            try:
                next_stage = handlers[stage]()
            except NonFiniteError as error:
                self._roll_back(stage, error)
            if stage is not Stage.COMMIT:  # COMMIT counts its own time before recording the task
                self._count_time(stage)
            self._enter(next_stage)
        return self.state

    def _roll_back(self, stage: Stage, error: NonFiniteError) -> None:
        """Keep the last good epoch (the latest saved version), record what happened in a new
        version of the state, and stop: nothing is lowered or retried silently."""
        message = (f"task {self.task} {stage.value} epoch {self.state.epoch + 1}: {error}; "
                   f"rolled back to the end of epoch {self.state.epoch}")
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

    def _enter(self, stage: Stage) -> None:
        self.state.stage = stage
        self.state.epoch = 0
        self._optimizer_state = None
        self.context.save(self.network, {})

    # helpers -------------------------------------------------------------------------------

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

    def _has_learning_task(self) -> bool:
        return bool(self.network.tasks) and not self.network.tasks[-1].committed

    @property
    def goal(self) -> Goal | None:
        return Goal.from_dict(self.state.goals[self.task - 1])

    def _against_goal(self, selection: Estimate) -> Comparison | None:
        """The selection accuracy against the task's goal (None: the task has no goal)."""
        goal = self.goal
        if goal is None:
            return None
        return compare(selection, Estimate(goal.accuracy, goal.images), self.config.goal.allowed_loss,
                       self.config.goal.standard_errors)

    def _against_gate(self, train_accuracy: float) -> Comparison:
        """A pruning step's training accuracy against the gate: `goal.train_accuracy`, or the
        task's own training accuracy before pruning when that is lower."""
        before = Estimate(self.progress.finetune_train_accuracy, self._images("train"))
        gate = Estimate(self.config.goal.train_accuracy).lower(before)
        return compare(Estimate(train_accuracy, self._images("train")), gate, 0.0, self.config.goal.standard_errors)

    def _images(self, split: str) -> int:
        """How many images the current task's `split` ("train", "val", "test", "select") holds."""
        return self._data(self.task).images(split)

    def _goal_text(self) -> str:
        return "no goal" if self.goal is None else f"goal {self.goal.accuracy:.4f}"

    @property
    def at_max_width(self) -> bool:
        return self.network.width >= self.config.max_width - 1e-9

    def _title(self, stage: str) -> str:
        name = self.context.benchmark.tasks[self.task - 1].name
        return f"task {self.task}/{len(self.context.benchmark.tasks)} {name} · {stage}"

    def _optimizers(self, lr: float, mask_lr: float) -> list[torch.optim.Optimizer]:
        """SGD for the task's weights, BN, biases and head; Adam for its picking mask. State
        saved at the last epoch is restored when resuming inside a stage."""
        weights = self._trained_weights()
        optimizers = [optim.sgd(weights, lr, self.config.momentum, self._optimizer_weight_decay())]
        picks = pruner.picking_logits(self.network) if mask_lr > 0 else []
        if picks:
            optimizers.append(optim.adam(picks, mask_lr))
        self._model = self._trainable(weights + picks)
        if self._optimizer_state:
            for optimizer, saved in zip(optimizers, self._optimizer_state.get("list", [])):
                optimizer.load_state_dict(saved)
            self._optimizer_state = None
        return optimizers

    def _trainable(self, params: list[torch.nn.Parameter]) -> torch.nn.Module:
        """Train exactly `params`; returns the module to train: the network, wrapped for
        data-parallel training when there are several processes."""
        pruner.train_only(self.network, params)
        pruner.set_direct_gradients(self.network, not self.context.dist.enabled)
        return self.context.dist.wrap(self.network)

    def _optimizer_weight_decay(self) -> float:
        """0: Sharable layers decay the task's own weights inside their backward pass."""
        return 0.0

    def _trained_weights(self) -> list[torch.nn.Parameter]:
        """What SGD trains: the task's own shared weights (gated), its BN, biases and head."""
        return pruner.shared_weights(self.network) + pruner.task_parameters(self.network, self.task)

    def _train_epoch(self, stage: str, epoch_key: tuple, optimizers: list, hooks: tuple = ()) -> EpochStats:
        self.network.use_task(self.task)
        data = self._data(self.task)
        torch.manual_seed(derive_seed(self.config.seed, "step", self.task, stage, *epoch_key))
        dist = self.context.dist
        batches = data.train_batches(self.task, stage, *epoch_key, shard=dist)
        stats = train_epoch(self._model, batches, optimizers, self.context.device, hooks, amp=self.config.amp,
                            reduce=dist.sum if dist.enabled else None)
        dist.broadcast(buffer for buffer in self.network.buffers() if buffer.is_floating_point())
        check_finite(self.network.parameters())
        self.progress.last_train_accuracy = stats.accuracy
        return stats

    def _evaluate(self, task: int, split: str) -> float:
        self.network.use_task(task)
        return evaluate(self.network, self._data(task).eval_batches(split), self.context.device).accuracy

    def _save_epoch(self, optimizers: list[torch.optim.Optimizer]) -> None:
        self.context.save(self.network, {"list": [optimizer.state_dict() for optimizer in optimizers]})

    def _snapshot(self, role: str) -> None:
        self.context.save_snapshot(role, self.network)

    def _restore(self, role: str) -> None:
        """Load a snapshot of the current task into the network (same tasks, same width)."""
        self.network.load_state_dict(self.context.load_snapshot(role))
        pruner.refresh_learning(self.network)
