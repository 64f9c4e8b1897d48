"""The training loop of a stage: `EpochLoop` on the current task's seeded batches, saving into
the run folder (`RunStore`), with the plugins' hooks and the values every loop reports."""

from collections.abc import Callable, Sequence
from typing import Any

import torch

from cpg.continual.run_store import RunStore
from cpg.continual.session import TaskSession
from cpg.continual.strategy import Strategy
from cpg.engine import EpochLoop, EpochRecord, LoopHook, Schedule, Score
from cpg.nn import free_share
from cpg.seeding import derive_seed


def task_loop(session: TaskSession, strategy: Strategy, stage: str, key: tuple, epochs: int,
              optimizers: Sequence[torch.optim.Optimizer], report: Any, mask_lr: Callable[[int], float], *,
              schedules: Sequence[Schedule | None] | None = None, selects: bool = False,
              score: Callable[[EpochRecord], Score] | None = None, start_score: Callable[[], Score] | None = None,
              patience: int = 0, hooks: Sequence[LoopHook] = (), report_offset: int = 0,
              store: RunStore | None = None) -> EpochLoop:
    """A training loop of the current task: batches and dropout seeded by (task, stage, key,
    epoch), saving into the run folder after every epoch; `mask_lr(epoch)` is reported."""
    task, data, dist, network = session.task, session.data(session.task), session.dist, session.network

    def batches(epoch: int):  # type: ignore[no-untyped-def]
        network.use_task(task)
        torch.manual_seed(derive_seed(session.config.seed, "step", task, stage, *key, epoch))
        return data.train_batches(task, stage, *key, epoch, shard=dist)

    plugged = [hook for plugin in strategy.plugins for hook in plugin.loop_hooks(session, stage)]
    values = EpochValues(session, mask_lr, capacity_moves=stage == "prune")
    return EpochLoop(
        network, optimizers, epochs, batches, device=session.device, store=store or RunStore(session),
        schedules=schedules, loss_fn=torch.nn.functional.cross_entropy,
        evaluate=(lambda: session.evaluate(task, "select")) if selects else None, score=score,
        start_score=start_score, patience=patience, hooks=[*hooks, *plugged, values], amp=session.config.amp,
        dist=dist, report=report, report_offset=report_offset)


class EpochValues(LoopHook):
    """What every training loop of a task records and reports after each epoch. Only pruning
    releases weights inside a loop, so other loops count the free capacity once."""

    def __init__(self, session: TaskSession, mask_lr: Callable[[int], float], capacity_moves: bool) -> None:
        self.session = session
        self.mask_lr = mask_lr
        self.capacity_moves = capacity_moves
        self.free_capacity: float | None = None

    def after_epoch(self, record: EpochRecord) -> dict[str, float]:
        self.session.progress.last_train_accuracy = record.stats.accuracy
        network = self.session.network
        if self.free_capacity is None or self.capacity_moves:
            self.free_capacity = free_share(network)
        return {"mask_lr": self.mask_lr(record.epoch), "width": network.width, "free_capacity": self.free_capacity}
