"""`EpochLoop`'s rules, unit by unit: the kept epoch, patience, NaN rollback, the save cadence,
the resume position, schedules and stepping. A two-parameter line `y = w·x + b` learns
`y = 2x + 1` from four points, its loop talking to a store in memory that records every call."""

import copy
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cpg.engine import EpochLoop, EpochRecord, LoopHook, LoopPosition, state_copy
from cpg.engine.stop import STOP, StopRequested

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


# the kept epoch -----------------------------------------------------------------------------


def test_an_epoch_replaces_the_kept_one_only_with_a_higher_score_and_is_restored_at_the_end():
    position, store, trace, model = traced_run(score=scripted(1, 3, 2, 3, 0))
    assert store.called("keep") == [(1,), (2,)]  # epoch 4 ties epoch 2: the earlier stays
    assert (position.best_epoch, position.best) == (2, [3.0])
    assert store.called("restore") == [(2,)]
    assert store.calls[-1] == ("restore", 2)
    assert same_weights(state_copy(model), trace.weights[2])
    assert not same_weights(trace.weights[2], trace.weights[EPOCHS])


def test_scores_rank_in_order_of_their_values():
    """A score is a tuple: a later value decides only between epochs equal in the earlier ones."""
    scores = [(1.0, 5.0), (2.0, 0.0), (2.0, 1.0), (2.0, 1.0)]
    position, store, _, _ = traced_run(epochs=4, score=lambda record: scores[record.epoch])
    assert store.called("keep") == [(1,), (2,), (3,)]
    assert (position.best_epoch, position.best) == (3, [2.0, 1.0])


def test_the_starting_weights_compete_as_epoch_0_and_stay_when_nothing_beats_them():
    computed: list[int] = []

    def start_score() -> tuple[float, ...]:
        computed.append(1)
        return (3.0,)

    position, store, trace, model = traced_run(score=scripted(1, 3, 2, 0, 2), start_score=start_score)
    assert computed == [1]
    assert store.calls[:2] == [("resume",), ("keep", 0)]  # before the first epoch
    assert store.called("keep") == [(0,)]
    assert (position.start, position.best, position.best_epoch) == ([3.0], [3.0], 0)
    assert store.called("restore") == [(0,)]
    assert same_weights(state_copy(model), trace.weights[0])


def test_an_epoch_beating_the_starting_weights_replaces_them():
    position, store, trace, model = traced_run(score=scripted(1, 4, 2, 0, 2), start_score=lambda: (3.0,))
    assert store.called("keep") == [(0,), (2,)]
    assert position.best_epoch == 2
    assert same_weights(state_copy(model), trace.weights[2])


def test_a_loop_without_a_score_ends_on_its_last_epoch():
    position, store, trace, model = traced_run(evaluate=lambda: 0.5)
    assert store.called("keep") == store.called("restore") == []
    assert (position.epoch, position.best_epoch) == (EPOCHS, None)
    assert [values["val_acc"] for values in position.history] == [0.5] * EPOCHS
    assert same_weights(state_copy(model), trace.weights[EPOCHS])
    assert not same_weights(trace.weights[EPOCHS - 1], trace.weights[EPOCHS])


# patience -----------------------------------------------------------------------------------


@pytest.mark.parametrize("scores, ran", [
    ((1, 2, 2, 2, 9, 9, 9, 9), 4),  # epochs 3 and 4 do not beat epoch 2: stop before epoch 5
    ((1, 1, 2, 2, 2, 9, 9, 9), 5),  # epoch 3 beats epoch 1 and starts the count again
    ((1, 2, 3, 4, 5, 6, 7, 8), 8),  # every epoch is better: no stop
])
def test_patience_stops_after_that_many_epochs_in_a_row_without_a_better_one(scores, ran):
    position, _, trace, _ = traced_run(epochs=8, score=scripted(*scores), patience=2)
    assert trace.epochs == list(range(ran))
    assert position.epoch == ran


# NaN rollback -------------------------------------------------------------------------------


def poisoned(epoch: int) -> Callable[[int], list[tuple[Tensor, Tensor]]]:
    """`batches` whose epoch `epoch` (0-based) holds a NaN point."""
    def draw(drawn: int) -> list[tuple[Tensor, Tensor]]:
        chosen = batches(drawn)
        if drawn == epoch:
            inputs, targets = chosen[1]
            chosen[1] = (torch.full_like(inputs, float("nan")), targets)
        return chosen
    return draw


class NaNWeight(LoopHook):
    """Writes NaN into the weight after the last step of epoch `epoch` (0-based)."""

    def __init__(self, model: nn.Module, epoch: int) -> None:
        self.model = model
        self.epoch = epoch
        self.current = -1

    def before_epoch(self, epoch: int) -> None:
        self.current = epoch

    def after_step(self, step: int) -> None:
        if self.current == self.epoch and step == 1:
            with torch.no_grad():
                self.model.weight.fill_(float("nan"))


def test_a_nan_loss_fails_the_store_naming_the_epoch_and_saves_nothing_of_it():
    model = line()
    store = Store(model)
    loop, _ = make_loop(model, store, batches=poisoned(2), score=scripted(1, 2, 3, 4, 5))
    with pytest.raises(StoreFailed):
        loop.run()
    assert store.called("fail") == [("epoch 3: the loss became nan",)]
    assert store.called("save") == [(1, False), (2, False)]
    assert store.called("keep") == [(1,), (2,)]
    assert store.calls[-1][0] == "fail"


def test_a_nan_weight_fails_the_store_naming_the_epoch_and_saves_nothing_of_it():
    model = line()
    store = Store(model)
    loop, _ = make_loop(model, store, hooks=[NaNWeight(model, 1)], score=scripted(1, 2, 3, 4, 5))
    with pytest.raises(StoreFailed):
        loop.run()
    assert store.called("fail") == [("epoch 2: a weight became NaN or infinite",)]
    assert store.called("save") == [(1, False)]
    assert store.called("keep") == [(1,)]


# save cadence and stop ----------------------------------------------------------------------


def test_the_store_is_handed_every_epoch_and_all_optimizers():
    model = line()
    store = Store(model)
    optimizers = [torch.optim.SGD([model.weight], lr=0.02), torch.optim.SGD([model.bias], lr=0.02)]
    loop, _ = make_loop(model, store, optimizers, stepping=lambda epoch: optimizers[:1])
    loop.run()
    assert store.called("save") == [(epoch, False) for epoch in range(1, EPOCHS + 1)]
    assert all(len(saved.optimizers) == 2 for saved in store.saves)


class Signal(LoopHook):
    """Sends the process `number` at the start of epoch `epoch` (0-based)."""

    def __init__(self, number: signal.Signals, epoch: int) -> None:
        self.number = number
        self.epoch = epoch

    def before_epoch(self, epoch: int) -> None:
        if epoch == self.epoch:
            signal.raise_signal(self.number)


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_finishes_the_epoch_saves_it_at_once_and_raises(number):
    model = line()
    store = Store(model)
    loop, trace = make_loop(model, store, hooks=[Signal(number, 1)])
    with STOP.handling(), pytest.raises(StopRequested, match="stopped after epoch 2, which is saved"):
        loop.run()
    assert not STOP.requested
    assert store.called("save") == [(1, False), (2, True)]
    assert trace.epochs == [0, 1]
    assert same_weights(store.saves[-1].weights, trace.weights[2])


# resume position ----------------------------------------------------------------------------


def resumed_run(saved: Saved, **options: Any) -> tuple[LoopPosition, Store, Trace, nn.Module]:
    """A fresh line's loop on a store that resumes from `saved`."""
    model = line()
    store = Store(model, saved)
    loop, trace = make_loop(model, store, **options)
    return loop.run(), store, trace, model


def assert_same_optimizer_states(resumed: dict[str, Any], uninterrupted: dict[str, Any]) -> None:
    """Momentum buffers, bit for bit: they match only if the resumed loop started from the saved ones."""
    assert resumed["state"].keys() == uninterrupted["state"].keys()
    for key, state in resumed["state"].items():
        assert torch.equal(state["momentum_buffer"], uninterrupted["state"][key]["momentum_buffer"])


@pytest.mark.parametrize("stopped_after", range(1, EPOCHS))
def test_a_resumed_loop_runs_the_remaining_epochs_and_ends_as_an_uninterrupted_one(stopped_after):
    options = {"score": scripted(1, 3, 2, 3, 0), "start_score": lambda: (0.5,)}
    whole, uninterrupted, _, reference = traced_run(**options)
    saved = uninterrupted.saves[stopped_after - 1]
    position, store, trace, model = resumed_run(saved, **options)
    assert trace.epochs == list(range(stopped_after, EPOCHS))
    assert ("keep", 0) not in store.calls  # the start competed before the stop
    assert_same_optimizer_states(trace.optimizers[0].state_dict(), uninterrupted.saves[-1].optimizers[0])
    assert same_weights(state_copy(model), state_copy(reference))
    assert position == whole


def test_a_resumed_loop_restores_the_optimizer_states():
    """Without the saved momentum the same remaining epochs end elsewhere: the states matter."""
    _, uninterrupted, _, reference = traced_run()
    saved = copy.deepcopy(uninterrupted.saves[1])
    saved.optimizers = [momentum_sgd(line()).state_dict()]
    _, _, _, model = resumed_run(saved)
    assert not same_weights(state_copy(model), state_copy(reference))


# schedules and stepping ---------------------------------------------------------------------


def test_schedules_set_each_epochs_rates_from_the_base_rates():
    model = line()
    groups = torch.optim.SGD([{"params": [model.weight], "lr": 0.1}, {"params": [model.bias], "lr": 0.2}])
    fixed = torch.optim.SGD(model.parameters(), lr=0.3)
    loop, trace = make_loop(model, Store(model), [groups, fixed], epochs=3,
                            schedules=[lambda base, epoch: base / (epoch + 1), None])
    position = loop.run()
    assert trace.rates == [[[0.1 / (epoch + 1), 0.2 / (epoch + 1)], [0.3]] for epoch in range(3)]
    assert [values["lr"] for values in position.history] == [0.1, 0.1 / 2, 0.1 / 3]


def test_stepping_picks_the_optimizers_that_step_in_an_epoch():
    model = line()
    weight, bias = torch.optim.SGD([model.weight], lr=0.1), torch.optim.SGD([model.bias], lr=0.2)
    loop, trace = make_loop(model, Store(model), [weight, bias], epochs=4,
                            stepping=lambda epoch: [weight] if epoch % 2 == 0 else [bias])
    position = loop.run()
    for epoch in range(1, 5):
        before, after = trace.weights[epoch - 1], trace.weights[epoch]
        moved = {name for name in after if not torch.equal(before[name], after[name])}
        assert moved == ({"weight"} if epoch % 2 == 1 else {"bias"}), f"epoch {epoch}"
    assert [values["lr"] for values in position.history] == [0.1, 0.2, 0.1, 0.2]


def test_ranking_settings_without_a_score_are_refused():
    with pytest.raises(ValueError, match="give the loop a score"):
        EpochLoop(nn.Linear(1, 1), [], 3, lambda epoch: [], device=torch.device("cpu"), patience=2)
    with pytest.raises(ValueError, match="give the loop a score"):
        EpochLoop(nn.Linear(1, 1), [], 3, lambda epoch: [], device=torch.device("cpu"), start_score=lambda: (0.0,))


def test_a_saved_loop_with_another_number_of_optimizers_is_refused():
    _, uninterrupted, _, _ = traced_run()
    saved = copy.deepcopy(uninterrupted.saves[1])
    saved.optimizers = saved.optimizers * 2
    with pytest.raises(RuntimeError, match="2 optimizer states, this loop 1 optimizers"):
        resumed_run(saved)
