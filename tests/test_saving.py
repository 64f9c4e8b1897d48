"""Saving on a cadence: a run writes itself at most every `save_every_seconds` and after every
commit, a run killed between saves resumes from the last one and ends identical, and a stop
request saves the epoch just finished before stopping."""

import pytest

from cpg.engine.stop import STOP, StopRequested
from cpg.workflows import execute
from tests.runs import AfterEpoch, Killed, Watch, after_each_save, assert_same_weights, final_weights, without_times

TWO_TASKS = {"num_tasks": 2, "classes_per_task": 2, "train_per_class": 30, "test_per_class": 10, "image_size": 8,
             "channels": 1, "difficulty": 0.5}


def count_saves(monkeypatch) -> list[dict]:
    states: list[dict] = []
    after_each_save(monkeypatch, states.append)
    return states


def after_epochs(count: int, action) -> Watch:
    """A plugin that calls `action()` right after the run's `count`-th training epoch is trained
    and evaluated, before it is saved."""
    seen = {"epochs": 0}

    def counting(record):
        seen["epochs"] += 1
        if seen["epochs"] == count:
            action()

    return Watch(hooks=lambda session, stage: [AfterEpoch(counting)])


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
    with pytest.raises(Killed):  # inside task 2: the last save was task 1's commit
        execute(config, console=quiet, plugins=[after_epochs(9, kill)])
    assert states[-1]["task"] == 2 and states[-1]["loop"]["epoch"] == 0
    monkeypatch.undo()
    resumed = execute(config, console=quiet)
    assert without_times(resumed) == without_times(whole)
    assert_same_weights(final_weights(tmp_path / "checkpoints" / "killed"), final_weights(tmp_path / "checkpoints" / "whole"))


def test_a_stop_request_saves_the_epoch_just_finished_and_stops(quick_config, quiet, monkeypatch, tmp_path):
    whole = execute(quick_config(name="whole", save_every_seconds=3600, benchmark_options=TWO_TASKS), console=quiet)
    states = count_saves(monkeypatch)
    config = quick_config(name="stopped", save_every_seconds=3600, benchmark_options=TWO_TASKS)
    try:
        with pytest.raises(StopRequested, match="stopped after epoch 2"):
            execute(config, console=quiet, plugins=[after_epochs(2, lambda: setattr(STOP, "requested", True))])
    finally:
        STOP.requested = False
    assert (states[-1]["task"], states[-1]["stage"], states[-1]["loop"]["epoch"]) == (1, "finetune", 2)
    monkeypatch.undo()
    resumed = execute(config, console=quiet)
    assert without_times(resumed) == without_times(whole)
    assert_same_weights(final_weights(tmp_path / "checkpoints" / "stopped"),
                        final_weights(tmp_path / "checkpoints" / "whole"))
