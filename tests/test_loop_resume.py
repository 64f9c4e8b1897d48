"""`EpochLoop`'s rules, unit by unit: the save cadence, stops, the resume position, schedules and
stepping, and what it refuses (the rig: tests/loop_rig.py)."""

import copy
import signal
from typing import Any

import pytest
import torch
from torch import nn

from cpg.engine import EpochLoop, LoopHook, LoopPosition, state_copy
from cpg.engine.stop import STOP, StopRequested
from tests.loop_rig import (EPOCHS, Saved, Store, Trace, line, make_loop, momentum_sgd, same_weights, scripted,
                            traced_run)


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
