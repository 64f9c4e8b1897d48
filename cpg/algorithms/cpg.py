"""Compacting, Picking and Growing as one in-process state machine (DESIGN.md §4).

    START → FINETUNE [→ DOCTOR] ─(goal missed, width < max)→ GROW → FINETUNE …
            FINETUNE ─(no free weight: picking only)→ COMMIT
            FINETUNE → PRUNE (target by target) → CHOOSE → RETRAIN → COMMIT → next task

The position (task, stage, epoch, prune target) and everything recorded so far are saved after
every epoch, so a run killed at any moment resumes where it stopped.
"""

import time
from dataclasses import asdict
from typing import Any

import torch

from cpg import optim, pruner
from cpg.algorithms.context import RunContext
from cpg.algorithms.doctor import save_diagnosis, treat_learning_task
from cpg.algorithms.state import PruneRecord, RunState, Stage, TaskProgress, TaskResult
from cpg.algorithms.task_data import TaskData
from cpg.config import RunConfig
from cpg.engine import EpochStats, NonFiniteError, check_finite, evaluate, train_epoch
from cpg.errors import RunFailed, UserError
from cpg.nn import Reuse, TaskNetwork
from cpg.nn.network import Factory
from cpg.pruner import MagnitudePruner, cubic_sparsity
from cpg.report.results import network_summary
from cpg.seeding import derive_seed


class GradualPruneHook:
    """Moves the task's sparsity along the cubic schedule every `every` iterations during the
    first `ramp` iterations of a prune target."""

    def __init__(self, magnitude: MagnitudePruner, start: float, target: float, ramp: int, every: int,
                 first_iteration: int, steps_per_epoch: int, optimizers: tuple) -> None:
        self.magnitude = magnitude
        self.start, self.target = start, target
        self.ramp, self.every = max(1, ramp), every
        self.first_iteration = first_iteration
        self.optimizers = optimizers

    def after_backward(self, step: int) -> None:
        pass

    def after_step(self, step: int) -> None:
        iteration = self.first_iteration + step
        if iteration >= self.ramp or (iteration % self.every and iteration != self.ramp - 1):
            return
        progress = (iteration + 1) / self.ramp
        self.magnitude.prune_to(cubic_sparsity(self.start, self.target, progress), self.optimizers)


class CPG:
    """Compacting, Picking and Growing. Subclasses change what the machine does through the
    class attributes below (see pae.py, packnet.py, piggyback.py)."""

    name = "cpg"
    reuse = Reuse.PICK  # how a task uses earlier tasks' weights
    uses_goals = True  # goals decide growth and the chosen sparsity
    grows = True

    @classmethod
    def adapt(cls, config: RunConfig) -> RunConfig:
        """The config this strategy runs with; refuses settings it cannot honour."""
        if not cls.grows and config.max_width != 1.0:
            raise UserError(f"{cls.name} does not grow the network; use max_width 1.0 (got {config.max_width:g})")
        return config

    @classmethod
    def build_network(cls, factory: Factory) -> TaskNetwork:
        return TaskNetwork.build(factory)

    def summary(self) -> dict[str, Any]:
        """Width, free capacity and size for results.json."""
        return network_summary(self.network)

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

    def run(self) -> RunState:
        if self._has_learning_task():
            pruner.begin_learning(self.network, self.state.task, self.reuse)
        handlers = {
            Stage.FINETUNE: self._finetune,
            Stage.DOCTOR: self._doctor,
            Stage.GROW: self._grow,
            Stage.PRUNE: self._prune,
            Stage.CHOOSE: self._choose,
            Stage.RETRAIN: self._retrain,
            Stage.COMMIT: self._commit,
        }
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
        saved_state, tensors = folder.load(self.context.reporter.warning)
        saved_state["events"] = saved_state.get("events", []) + [message]
        for key in ("format", "version", "model_crc32", "checksums"):
            saved_state.pop(key, None)
        folder.save(saved_state, {key: value for key, value in tensors.items() if key not in ("kind", "format", "version")})
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
    def goal(self) -> float | None:
        return self.state.goals[self.task - 1]

    def _meets_goal(self, accuracy: float) -> bool:
        return self.goal is None or accuracy >= self.goal - self.config.goal.allowed_loss

    def _goal_text(self) -> str:
        return "no goal" if self.goal is None else f"goal {self.goal:.4f}"

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

    # FINETUNE ------------------------------------------------------------------------------

    def _start_task(self) -> None:
        """Register the task at the current width, hand it the free weights, set up its masks."""
        if self.progress.attempts == 0 and "task_start" not in self.state.snapshots:
            self._snapshot("task_start")
        torch.manual_seed(derive_seed(self.config.seed, "task", self.task, self.network.width))
        number = self.network.add_task(self.context.benchmark.tasks[self.task - 1].num_classes)
        assert number == self.task, (number, self.task)
        self.progress.claimed = pruner.claim_free_weights(self.network, self.task)
        pruner.begin_learning(self.network, self.task, self.reuse)
        pruner.set_weight_decay(self.network, self.config.weight_decay)
        if self.progress.claimed == 0:
            self.context.reporter.message(f"task {self.task}: no free weight left, learning it by picking alone")

    def _finetune(self) -> Stage:
        if not self._has_learning_task():
            self._start_task()
        settings = self.config.finetune
        optimizers = self._optimizers(settings.lr, settings.mask_lr)
        pruner.set_weight_decay(self.network, self.config.weight_decay)
        attempt = self.progress.attempts
        with self.context.reporter.stage(self.task, self._title(f"finetune (width {self.network.width:g})"),
                                         "finetune", settings.epochs, self.state.epoch) as report:
            for epoch in range(self.state.epoch, settings.epochs):
                lr = optim.stepped_lr(settings.lr, settings.lr_steps, epoch)
                mask_lr = optim.stepped_lr(settings.mask_lr, settings.mask_lr_steps, epoch)
                optim.set_lr(optimizers[0], lr)
                if len(optimizers) > 1:
                    optim.set_lr(optimizers[1], mask_lr)
                stats = self._train_epoch("finetune", (attempt, epoch), optimizers)
                val = self._evaluate(self.task, "select")
                self.progress.finetune_train_accuracy = stats.accuracy
                self.progress.finetune_val_accuracy = val
                report.epoch(attempt * settings.epochs + epoch, {
                    "loss": stats.loss, "train_acc": stats.accuracy, "val_acc": val, "lr": lr, "mask_lr": mask_lr,
                    "width": self.network.width, "free_capacity": pruner.free_share(self.network),
                })
                self.state.epoch = epoch + 1
                self._save_epoch(optimizers)
        self._check_goal()
        return Stage.DOCTOR if self.config.doctor.enabled else self._after_finetune()

    def _check_goal(self) -> None:
        self.progress.goal_met = (self.progress.finetune_train_accuracy > self.config.goal.train_accuracy
                                  and self._meets_goal(self.progress.finetune_val_accuracy))

    # DOCTOR --------------------------------------------------------------------------------

    def _doctor(self) -> Stage:
        """Model Doctor on the task being learned (`doctor.enabled`). Sharable layers confine it
        to what the task may change; the treated weights are kept only if they beat the
        finetuned ones on the selection split."""
        self._snapshot("before_doctor")
        pruner.set_weight_decay(self.network, self.config.weight_decay)
        settings = self.config.doctor
        with self.context.reporter.stage(self.task, self._title("doctor"), "doctor", settings.epochs) as report:
            outcome = treat_learning_task(self.network, self.task, self._data(self.task), settings,
                                          self.context.device, self.config.momentum, report)
        treatment = outcome.treatment
        kept = treatment.best_accuracy > treatment.start_accuracy
        if kept:
            self.progress.finetune_val_accuracy = treatment.best_accuracy
        else:
            self._restore("before_doctor")
        self.progress.doctor = {"start_accuracy": treatment.start_accuracy, "best_accuracy": treatment.best_accuracy,
                                "kept": kept}
        save_diagnosis(self.context.folder.root / f"doctor-task-{self.task}.pt", outcome.diagnosis,
                       self.context.benchmark.tasks[self.task - 1].classes)
        self.context.reporter.message(
            f"task {self.task}: doctor {treatment.start_accuracy:.4f} -> {treatment.best_accuracy:.4f} "
            f"({'kept' if kept else 'not better, finetuned weights kept'})")
        self._check_goal()
        return self._after_finetune()

    def _after_finetune(self) -> Stage:
        if not self.progress.goal_met and not self.at_max_width:
            return Stage.GROW
        if self.progress.claimed == 0:
            return Stage.COMMIT
        self._snapshot("unpruned")
        self.progress.prune_initial_counts = MagnitudePruner(self.network, self.task).initial_counts
        return Stage.PRUNE

    # GROW ----------------------------------------------------------------------------------

    def _grow(self) -> Stage:
        """Start the task over from how it found the network, with more width."""
        width = min(self.network.width + self.config.width_step, self.config.max_width)
        self.context.reporter.message(
            f"task {self.task}: {self._goal_text()} missed (val {self.progress.finetune_val_accuracy:.4f}, "
            f"train {self.progress.finetune_train_accuracy:.4f}); growing to width {width:g}"
        )
        self.network = self.context.rebuild_network(self.context.load_snapshot("task_start"))
        torch.manual_seed(derive_seed(self.config.seed, "grow", self.task, width))
        self.network.grow(width)
        self.progress.attempts += 1
        return Stage.FINETUNE

    # PRUNE ---------------------------------------------------------------------------------

    def _prune_cap(self) -> float | None:
        """At max width with the goal missed, stop once enough is left for the other tasks."""
        if not self.uses_goals or self.progress.goal_met or not self.at_max_width:
            return None
        remaining = len(self.context.benchmark.tasks) - self.task
        return 1.0 - round(1.0 / (remaining + 1), 1)

    def _prune(self) -> Stage:
        settings = self.config.prune
        magnitude = MagnitudePruner(self.network, self.task, self.progress.prune_initial_counts)
        steps = self._data(self.task).steps_per_epoch()
        optimizers = self._optimizers(settings.lr, settings.mask_lr)
        pruner.set_weight_decay(self.network, self.config.weight_decay)
        cap = self._prune_cap()
        while self.state.prune_index < len(settings.targets):
            index = self.state.prune_index
            target = settings.targets[index]
            start = settings.targets[index - 1] if index else 0.0
            with self.context.reporter.stage(self.task, self._title(f"prune to {target:.0%}"), "prune",
                                             settings.epochs, self.state.epoch) as report:
                for epoch in range(self.state.epoch, settings.epochs):
                    ramp = 1 if settings.one_shot else settings.ramp_epochs * steps
                    hook = GradualPruneHook(magnitude, start, target, ramp,
                                            settings.update_every, epoch * steps, steps, tuple(optimizers))
                    stats = self._train_epoch("prune", (index, epoch), optimizers, (hook,))
                    sparsity = magnitude.sparsity()
                    report.epoch(index * settings.epochs + epoch, {
                        "loss": stats.loss, "train_acc": stats.accuracy, "sparsity": sparsity, "lr": settings.lr,
                        "free_capacity": pruner.free_share(self.network),
                    })
                    self.state.epoch = epoch + 1
                    self._save_epoch(optimizers)
            magnitude.prune_to(target, tuple(optimizers))
            record = PruneRecord(target, magnitude.sparsity(), self.progress.last_train_accuracy,
                                 self._evaluate(self.task, "select"))
            self.progress.prune.append(record)
            self.context.reporter.scalars(self.task, "prune", index, {"val_acc_at_target": record.val_accuracy})
            if self._meets_goal(record.val_accuracy):
                self._snapshot("candidate")
            self.state.prune_index = index + 1
            self.state.epoch = 0
            self._save_epoch(optimizers)
            if record.train_accuracy <= self.config.goal.train_accuracy or (cap is not None and record.sparsity >= cap):
                break
        return Stage.CHOOSE

    # CHOOSE --------------------------------------------------------------------------------

    def _choose(self) -> Stage:
        records = self.progress.prune
        qualifying = [record for record in records if self._meets_goal(record.val_accuracy)]
        if records and (self._prune_cap() is not None or not self.uses_goals):
            chosen = records[-1]
        elif qualifying:
            chosen = qualifying[-1]
            if chosen is not records[-1]:
                self._restore("candidate")
        else:
            chosen = None
            self._restore("unpruned")
        self.progress.chosen_sparsity = chosen.sparsity if chosen else 0.0
        self.progress.chosen_val_accuracy = (chosen.val_accuracy if chosen else self._evaluate(self.task, "select"))
        self.context.reporter.message(
            f"task {self.task}: chose sparsity {self.progress.chosen_sparsity:.2f} "
            f"(val {self.progress.chosen_val_accuracy:.4f}, {self._goal_text()})"
        )
        self._snapshot("chosen")
        if self.task >= 2 and pruner.picking_logits(self.network) and self.config.retrain.epochs > 0:
            return Stage.RETRAIN
        return Stage.COMMIT

    # RETRAIN -------------------------------------------------------------------------------

    def _retrain(self) -> Stage:
        settings = self.config.retrain
        if self.state.epoch == 0:
            pruner.reset_picking(self.network)
            self.progress.retrain_best = self.progress.chosen_val_accuracy
            self.progress.retrain_since_best = 0
        optimizers = self._optimizers(settings.lr, settings.mask_lr)
        pruner.set_weight_decay(self.network, self.config.weight_decay)
        with self.context.reporter.stage(self.task, self._title("retrain"), "retrain", settings.epochs,
                                         self.state.epoch) as report:
            for epoch in range(self.state.epoch, settings.epochs):
                if self.progress.retrain_since_best >= settings.patience:
                    break
                stats = self._train_epoch("retrain", (epoch,), optimizers)
                val = self._evaluate(self.task, "select")
                if val > self.progress.retrain_best:
                    self.progress.retrain_best = val
                    self.progress.retrain_since_best = 0
                    self.progress.retrain_kept = True
                    self._snapshot("retrained")
                else:
                    self.progress.retrain_since_best += 1
                report.epoch(epoch, {"loss": stats.loss, "train_acc": stats.accuracy, "val_acc": val,
                                     "lr": settings.lr, "mask_lr": settings.mask_lr})
                self.state.epoch = epoch + 1
                self._save_epoch(optimizers)
        self._restore("retrained" if self.progress.retrain_kept else "chosen")
        return Stage.COMMIT

    # COMMIT --------------------------------------------------------------------------------

    def _commit(self) -> Stage:
        task = self.task
        magnitude = MagnitudePruner(self.network, task, self.progress.prune_initial_counts or None)
        sparsity = magnitude.sparsity() if self.progress.prune_initial_counts else 0.0
        pruner.commit(self.network, task)
        row = [self._evaluate(earlier, "test") for earlier in range(1, task + 1)]
        self.state.matrix.append(row)
        self._count_time(Stage.COMMIT)
        result = TaskResult(
            task=task,
            name=self.context.benchmark.tasks[task - 1].name,
            goal=self.goal,
            test_accuracy=row[-1],
            val_accuracy=self._evaluate(task, "val"),
            width=self.network.task(task).width,
            attempts=self.progress.attempts + 1,
            picking_only=self.progress.claimed == 0,
            goal_met=self.progress.goal_met if self.uses_goals else None,
            sparsity=sparsity,
            owned_share=pruner.owned_share(self.network).get(task, 0.0),
            picked_share=pruner.picked_share(self.network, task),
            prune=[asdict(record) for record in self.progress.prune],
            retrain_kept=self.progress.retrain_kept,
            doctor=self.progress.doctor,
            seconds=dict(self.progress.seconds),
        )
        self.state.results.append(asdict(result))
        self.context.reporter.message(
            f"task {task} committed: test accuracy {row[-1]:.4f} ({self._goal_text()}), width {result.width:g}, "
            f"sparsity {sparsity:.2f}, free capacity {pruner.free_share(self.network):.2%}"
        )
        self.context.task_committed(self.network, self.summary())
        self.state.snapshots = {}
        self.state.prune_index = 0
        self.state.progress = TaskProgress()
        if task == len(self.context.benchmark.tasks):
            return Stage.DONE
        self.state.task = task + 1
        return Stage.FINETUNE
