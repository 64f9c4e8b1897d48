"""Saving on a cadence: a run writes itself at most every `save_every_seconds` and after every
commit, a run killed between saves resumes from the last one and ends identical, and a stop
request saves the epoch just finished before stopping."""

import pytest

from cpg.checkpoint import RunFolder
from cpg.engine import loop as training_loop
from cpg.engine.stop import STOP, StopRequested
from cpg.workflows import execute
from tests.runs import Killed, assert_same_weights, final_weights, without_times

TWO_TASKS = {"num_tasks": 2, "classes_per_task": 2, "train_per_class": 30, "test_per_class": 10, "image_size": 8,
             "channels": 1, "difficulty": 0.5}


def count_saves(monkeypatch) -> list[dict]:
    states: list[dict] = []
    save = RunFolder.save

    def counting(self, state, tensors):
        states.append(state)
        return save(self, state, tensors)

    monkeypatch.setattr(RunFolder, "save", counting)
    return states


def after_epochs(monkeypatch, count: int, action) -> None:
    """Call `action()` right after the `count`-th training epoch of the process."""
    seen = {"epochs": 0}
    train = training_loop.train_epoch

    def counting(*args, **kwargs):
        stats = train(*args, **kwargs)
        seen["epochs"] += 1
        if seen["epochs"] == count:
            action()
        return stats

    monkeypatch.setattr(training_loop, "train_epoch", counting)


def test_a_long_cadence_saves_only_the_start_and_each_commit(quick_config, quiet, monkeypatch):
    states = count_saves(monkeypatch)
    execute(quick_config(save_every_seconds=3600, benchmark_options=TWO_TASKS), console=quiet)
    assert [(state["task"], state["stage"]) for state in states] == [(1, "finetune"), (2, "finetune"), (2, "done")]


def test_a_run_killed_between_saves_resumes_from_the_last_one_and_ends_identical(quick_config, quiet, monkeypatch,
                                                                                  tmp_path):
    whole = execute(quick_config(name="whole", save_every_seconds=3600, benchmark_options=TWO_TASKS), console=quiet)
    states = count_saves(monkeypatch)

    def kill() -> None:
        raise Killed

    config = quick_config(name="killed", save_every_seconds=3600, benchmark_options=TWO_TASKS)
    after_epochs(monkeypatch, 9, kill)  # inside task 2: the last save was task 1's commit
    with pytest.raises(Killed):
        execute(config, console=quiet)
    assert states[-1]["task"] == 2 and states[-1]["loop"]["epoch"] == 0
    monkeypatch.undo()
    resumed = execute(config, console=quiet)
    assert without_times(resumed) == without_times(whole)
    assert_same_weights(final_weights(tmp_path / "checkpoints" / "killed"), final_weights(tmp_path / "checkpoints" / "whole"))


def test_a_stop_request_saves_the_epoch_just_finished_and_stops(quick_config, quiet, monkeypatch, tmp_path):
    whole = execute(quick_config(name="whole", save_every_seconds=3600, benchmark_options=TWO_TASKS), console=quiet)
    states = count_saves(monkeypatch)
    config = quick_config(name="stopped", save_every_seconds=3600, benchmark_options=TWO_TASKS)
    after_epochs(monkeypatch, 2, lambda: setattr(STOP, "requested", True))
    try:
        with pytest.raises(StopRequested, match="stopped after epoch 2"):
            execute(config, console=quiet)
    finally:
        STOP.requested = False
    assert (states[-1]["task"], states[-1]["stage"], states[-1]["loop"]["epoch"]) == (1, "finetune", 2)
    monkeypatch.undo()
    resumed = execute(config, console=quiet)
    assert without_times(resumed) == without_times(whole)
    assert_same_weights(final_weights(tmp_path / "checkpoints" / "stopped"),
                        final_weights(tmp_path / "checkpoints" / "whole"))
