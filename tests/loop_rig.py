"""A rig for `EpochLoop`'s unit tests: a two-parameter line `y = w·x + b` learning `y = 2x + 1`
from four points, and a store in memory that records every call the loop makes."""

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cpg.engine import EpochLoop, EpochRecord, LoopHook, LoopPosition, state_copy

CPU = torch.device("cpu")
POINTS = torch.tensor([[0.0], [1.0], [2.0], [3.0]])
TARGETS = 2 * POINTS + 1
EPOCHS = 5


class StoreFailed(Exception):
    """What `Store.fail` raises: the loop handed a NaN to its store."""


@dataclass
class Saved:
    """One version a store persisted: what a stopped loop resumes from."""

    position: dict[str, Any]
    weights: dict[str, Tensor]
    optimizers: list[dict[str, Any]]
    kept: dict[int, dict[str, Tensor]]


class Store:
    """A `LoopStore` in memory that records every call in `calls`; resumes from `resumed`."""

    def __init__(self, model: nn.Module, resumed: Saved | None = None) -> None:
        self.model = model
        self.resumed = resumed
        self.calls: list[tuple[Any, ...]] = []
        self.saves: list[Saved] = []
        self.kept: dict[int, dict[str, Tensor]] = {}

    def resume(self) -> tuple[LoopPosition, list[dict[str, Any]]] | None:
        self.calls.append(("resume",))
        if self.resumed is None:
            return None
        self.model.load_state_dict(self.resumed.weights)
        self.kept = copy.deepcopy(self.resumed.kept)
        return LoopPosition.from_dict(copy.deepcopy(self.resumed.position)), copy.deepcopy(self.resumed.optimizers)

    def save(self, position: LoopPosition, optimizers: Sequence[torch.optim.Optimizer], force: bool) -> None:
        self.calls.append(("save", position.epoch, force))
        self.saves.append(Saved(copy.deepcopy(position.to_dict()), state_copy(self.model),
                                [copy.deepcopy(optimizer.state_dict()) for optimizer in optimizers],
                                copy.deepcopy(self.kept)))

    def keep(self, epoch: int) -> None:
        self.calls.append(("keep", epoch))
        self.kept = {epoch: state_copy(self.model)}

    def restore(self, epoch: int) -> None:
        self.calls.append(("restore", epoch))
        self.model.load_state_dict(self.kept[epoch])

    def fail(self, message: str) -> NoReturn:
        self.calls.append(("fail", message))
        raise StoreFailed(message)

    def called(self, name: str) -> list[tuple[Any, ...]]:
        """The arguments of every call of `name`, in order."""
        return [call[1:] for call in self.calls if call[0] == name]


class Trace(LoopHook):
    """Records which epochs ran, the learning rates each began with and the weights each ended with."""

    def __init__(self, model: nn.Module, optimizers: Sequence[torch.optim.Optimizer]) -> None:
        self.model = model
        self.optimizers = optimizers
        self.epochs: list[int] = []
        self.rates: list[list[list[float]]] = []
        self.weights: dict[int, dict[str, Tensor]] = {0: state_copy(model)}  # 1-based; 0: the start

    def before_epoch(self, epoch: int) -> None:
        self.epochs.append(epoch)
        self.rates.append([[group["lr"] for group in optimizer.param_groups] for optimizer in self.optimizers])

    def after_epoch(self, record: EpochRecord) -> dict[str, float]:
        self.weights[record.epoch + 1] = state_copy(self.model)
        return {}


def line() -> nn.Linear:
    """`y = w·x + b` starting at w = 0.5, b = -0.5: two parameters, no randomness."""
    model = nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(0.5)
        model.bias.fill_(-0.5)
    return model


def batches(epoch: int) -> list[tuple[Tensor, Tensor]]:
    """Two batches of two points, in an order fixed by the epoch."""
    order = torch.randperm(len(POINTS), generator=torch.Generator().manual_seed(epoch))
    return [(POINTS[part], TARGETS[part]) for part in order.split(2)]


def scripted(*scores: float) -> Callable[[EpochRecord], tuple[float, ...]]:
    """A score that gives epoch i (0-based) `scores[i]`."""
    return lambda record: (scores[record.epoch],)


def momentum_sgd(model: nn.Module) -> torch.optim.SGD:
    return torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)


def make_loop(model: nn.Module, store: Store, optimizers: Sequence[torch.optim.Optimizer] | None = None,
              epochs: int = EPOCHS, batches: Callable[[int], list[tuple[Tensor, Tensor]]] = batches,
              hooks: Sequence[LoopHook] = (), **options: Any) -> tuple[EpochLoop, Trace]:
    """A loop of `model` (momentum SGD unless `optimizers`) on `store`, traced."""
    optimizers = list(optimizers) if optimizers is not None else [momentum_sgd(model)]
    trace = Trace(model, optimizers)
    loop = EpochLoop(model, optimizers, epochs, batches, device=CPU, store=store, loss_fn=F.mse_loss,
                     hooks=[trace, *hooks], **options)
    return loop, trace


def same_weights(a: dict[str, Tensor], b: dict[str, Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[key], b[key]) for key in a)


def traced_run(*, epochs: int = EPOCHS, **options: Any) -> tuple[LoopPosition, Store, Trace, nn.Module]:
    """Run a fresh line's loop on a fresh store; its position, store, trace and model."""
    model = line()
    store = Store(model)
    loop, trace = make_loop(model, store, epochs=epochs, **options)
    return loop.run(), store, trace, model

