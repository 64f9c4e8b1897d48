"""The one loop every training stage and workflow runs.

Epoch after epoch: set the epoch's learning rates, draw its seeded batches, train, check that
no weight became NaN or infinite, evaluate on the selection split, decide whether the epoch is
kept, report, and hand the position to the store, which saves it on its cadence
(cpg/engine/cadence.py), or at once when a stop was asked for (cpg/engine/stop.py). A loop
stopped at any moment and started again on the same store resumes after its last saved epoch
and ends exactly as an uninterrupted one.

The kept epoch, one rule for every loop: an epoch replaces the kept one only when its score is
higher; on a tie the earlier epoch stays. The starting weights may compete as epoch 0
(`start_score`, computed once, before the first epoch), so such a loop never ends below where
it began. At the end the kept epoch's
weights are restored. A loop without a score ends on its last epoch. `patience` stops a loop
after that many epochs in a row that did not replace the kept one.
"""

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, NoReturn, Protocol

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cpg.distributed import Distributed
from cpg.engine.epoch import EpochStats, LossFn, NonFiniteError, TrainStep, check_finite, train_epoch
from cpg.engine.stop import STOP, StopRequested

Score = tuple[float, ...]
Schedule = Callable[[float, int], float]
"""The learning rate of an epoch (0-based) from a parameter group's base rate."""
Batches = Callable[[int], Iterable[tuple[Tensor, Tensor]]]
"""The training batches of an epoch, in an order (and augmentation) fixed by the epoch."""


@dataclass(frozen=True)
class EpochRecord:
    epoch: int  # 0-based
    stats: EpochStats
    selection: float | None  # accuracy on the selection split, when the loop evaluates
    lr: float  # of the first parameter group the epoch stepped


class LoopHook:
    """What a stage adds to the loop; every method does nothing unless overridden."""

    def before_epoch(self, epoch: int) -> None:
        """Before the epoch's batches are drawn."""

    def before_backward(self, step: TrainStep) -> None:
        """After each forward pass: the step's batch, outputs and loss, which may be added to."""

    def after_backward(self, step: int) -> None:
        """After each backward pass (`step` counts optimizer steps within the epoch)."""

    def after_step(self, step: int) -> None:
        """After each optimizer step."""

    def after_epoch(self, record: EpochRecord) -> dict[str, float]:
        """After the epoch is trained and evaluated, before it is saved; returns values to report."""
        return {}


@dataclass
class LoopPosition:
    """Where a loop is, saved after every epoch."""

    epoch: int = 0  # the next epoch to run
    start: list[float] | None = None  # score of the starting weights, when they compete
    best: list[float] | None = None  # score of the kept epoch
    best_epoch: int | None = None  # 1-based epoch whose weights are kept; 0: the starting weights
    since_best: int = 0  # epochs in a row that did not replace the kept one
    history: list[dict[str, float]] = field(default_factory=list)  # the values reported, per epoch

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "LoopPosition":
        return cls(**data) if data else cls()


class EpochReport(Protocol):
    """Where a loop reports each epoch's values (a progress bar, TensorBoard)."""

    def epoch(self, step: int, values: dict[str, float]) -> None: ...


class LoopStore(Protocol):
    """Where a loop's position, weights and optimizer states are kept between epochs."""

    def resume(self) -> tuple[LoopPosition, list[dict[str, Any]]] | None:
        """The position and optimizer states a stopped loop left, its weights loaded; None: start."""

    def save(self, position: LoopPosition, optimizers: Sequence[torch.optim.Optimizer], force: bool) -> None:
        """Persist the position, the weights and the optimizer states (one atomic version) when
        the store's save cadence says so, or now when `force`."""

    def keep(self, epoch: int) -> None:
        """The weights as they are now are those of `epoch` (0: the start): keep them."""

    def restore(self, epoch: int) -> None:
        """Bring back the weights kept for `epoch`."""

    def fail(self, message: str) -> NoReturn:
        """A weight or the loss became NaN or infinite: the last saved epoch stands; raise."""


def state_copy(model: nn.Module, device: torch.device | str | None = None) -> dict[str, Any]:
    """`model.state_dict()` as a copy that later training cannot change (on `device`, if given)."""
    return {key: value.detach().to(device=device, copy=True) if isinstance(value, Tensor) else copy.deepcopy(value)
            for key, value in model.state_dict().items()}


class MemoryStore:
    """Keeps the kept epoch's weights in memory and saves nothing: a loop that need not resume."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self._kept: dict[int, dict[str, Tensor]] = {}

    def resume(self) -> None:
        return None

    def save(self, position: LoopPosition, optimizers: Sequence[torch.optim.Optimizer], force: bool) -> None:
        pass

    def keep(self, epoch: int) -> None:
        self._kept = {epoch: state_copy(self.model)}

    def restore(self, epoch: int) -> None:
        self.model.load_state_dict(self._kept[epoch])

    def fail(self, message: str) -> NoReturn:
        raise NonFiniteError(message)


class EpochLoop:
    """`epochs` epochs of `model` with `optimizers` over `batches(epoch)`.

    `schedules[i]` sets optimizer i's learning rates each epoch from its groups' rates at
    construction (None: unchanged); `stepping(epoch)` picks the optimizers that step in an epoch
    (default: all). `evaluate()` gives the selection accuracy after each epoch, `score(record)`
    ranks epochs for the kept-epoch rule above. Under `dist` the model trains wrapped in
    DistributedDataParallel, epoch totals are summed over processes and floating-point buffers
    (BatchNorm statistics) are broadcast from rank 0 after every epoch.
    """

    def __init__(self, model: nn.Module, optimizers: Sequence[torch.optim.Optimizer], epochs: int, batches: Batches, *,
                 device: torch.device, store: LoopStore | None = None,
                 schedules: Sequence[Schedule | None] | None = None,
                 stepping: Callable[[int], Sequence[torch.optim.Optimizer]] | None = None,
                 loss_fn: LossFn = F.cross_entropy, evaluate: Callable[[], float] | None = None,
                 score: Callable[[EpochRecord], Score] | None = None,
                 start_score: Callable[[], Score] | None = None,
                 patience: int = 0, hooks: Sequence[LoopHook] = (), amp: bool = False,
                 dist: Distributed | None = None, report: EpochReport | None = None, report_offset: int = 0) -> None:
        if score is None and (patience or start_score is not None):
            raise ValueError("patience and start_score rank epochs: give the loop a score")
        self.model = model
        self.optimizers = list(optimizers)
        self.epochs = epochs
        self.batches = batches
        self.device = device
        self.store = store or MemoryStore(model)
        self.schedules = list(schedules) if schedules is not None else [None] * len(self.optimizers)
        self.stepping = stepping
        self.loss_fn = loss_fn
        self.evaluate = evaluate
        self.score = score
        self.start_score = start_score
        self.patience = patience
        self.hooks = list(hooks)
        self.amp = amp
        self.dist = dist or Distributed()
        self.report = report
        self.report_offset = report_offset
        self._bases = [[group["lr"] for group in optimizer.param_groups] for optimizer in self.optimizers]

    def run(self) -> LoopPosition:
        resumed = self.store.resume()
        position = LoopPosition()
        if resumed is not None:
            position, states = resumed
            if states and len(states) != len(self.optimizers):
                raise RuntimeError(f"the saved loop has {len(states)} optimizer states, this loop "
                                   f"{len(self.optimizers)} optimizers: it would not resume exactly")
            for optimizer, state in zip(self.optimizers, states):
                optimizer.load_state_dict(state)
        if position.start is None and self.start_score is not None:
            position.start = list(self.start_score())
            position.best, position.best_epoch = position.start, 0
            self.store.keep(0)
        module = self.dist.wrap(self.model)
        for epoch in range(position.epoch, self.epochs):
            if self.patience and position.since_best >= self.patience:
                break
            self._epoch(module, epoch, position)
        if self.score is not None and position.best_epoch is not None:
            self.store.restore(position.best_epoch)
        return position

    def _epoch(self, module: nn.Module, epoch: int, position: LoopPosition) -> None:
        stepping = self._set_rates(epoch)
        for hook in self.hooks:
            hook.before_epoch(epoch)
        try:
            stats = train_epoch(module, self.batches(epoch), stepping, self.device, self.hooks, self.loss_fn,
                                amp=self.amp, reduce=self.dist.sum if self.dist.enabled else None)
            self.dist.broadcast(buffer for buffer in self.model.buffers() if buffer.is_floating_point())
            check_finite(self.model.parameters())
            selection = self.evaluate() if self.evaluate is not None else None
        except NonFiniteError as error:
            self.store.fail(f"epoch {epoch + 1}: {error}")
        record = EpochRecord(epoch, stats, selection, stepping[0].param_groups[0]["lr"] if stepping else 0.0)
        values = {"loss": stats.loss, "train_acc": stats.accuracy}
        if selection is not None:
            values["val_acc"] = selection
        values["lr"] = record.lr
        if self.score is not None:
            self._judge(record, position)
        for hook in self.hooks:
            values.update(hook.after_epoch(record))
        if self.report is not None:
            self.report.epoch(self.report_offset + epoch, values)
        position.history.append(values)
        position.epoch = epoch + 1
        stopping = self.dist.any(STOP.requested)
        self.store.save(position, self.optimizers, force=stopping)
        if stopping:
            raise StopRequested(f"stopped after epoch {epoch + 1}, which is saved")

    def _set_rates(self, epoch: int) -> list[torch.optim.Optimizer]:
        for optimizer, schedule, bases in zip(self.optimizers, self.schedules, self._bases):
            if schedule is not None:
                for group, base in zip(optimizer.param_groups, bases):
                    group["lr"] = schedule(base, epoch)
        return list(self.stepping(epoch)) if self.stepping is not None else self.optimizers

    def _judge(self, record: EpochRecord, position: LoopPosition) -> None:
        assert self.score is not None
        score = tuple(self.score(record))
        if position.best is None or score > tuple(position.best):
            position.best, position.best_epoch, position.since_best = list(score), record.epoch + 1, 0
            self.store.keep(record.epoch + 1)
        else:
            position.since_best += 1

