"""`EpochLoop`'s rules, unit by unit: the kept epoch, patience and NaN rollback (the rig:
tests/loop_rig.py)."""

from collections.abc import Callable

import pytest
import torch
from torch import Tensor, nn

from cpg.engine import LoopHook, state_copy
from tests.loop_rig import EPOCHS, Store, StoreFailed, batches, line, make_loop, same_weights, scripted, traced_run


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
