"""A run killed at any moment and resumed ends exactly like an uninterrupted one."""

import pytest

from cpg.config import build_config
from cpg.report import ConsoleReport
from cpg.workflows import execute, open_run
from tests.conftest import QUICK
from tests.runs import (Killed, Watch, assert_same_weights, at, cpg_process, final_weights, kill_after_save,
                        results, without_times, write_pipeline)

MOMENTS = {
    "during finetune": at(1, "finetune", 2),
    "during a prune step": lambda state: at(2, "prune", 1)(state) and state["prune_index"] == 0,
    "during retrain": at(2, "retrain", 1),
    "right after a commit": at(2, "finetune", 0),
}
"""Kills inside the test process, right after a save: everything the run holds in memory is lost."""

PROCESS_MOMENTS = {
    "SIGKILL during a prune step": "state:2:prune:1:0",
    "SIGKILL during a checkpoint write": "write:9",
}
"""Real SIGKILLs of a `cpg run` process: after a save, and inside the write of a model file."""


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("reference")
    layer = {**QUICK, "checkpoint_dir": str(root / "checkpoints"), "log_dir": str(root / "logs"), "name": "run"}
    execute(build_config(("test", layer)), console=ConsoleReport(quiet=True))
    return root / "checkpoints" / "run"


@pytest.mark.parametrize("moment", MOMENTS.values(), ids=MOMENTS.keys())
def test_killed_run_resumes_to_identical_results(reference, quick_config, quiet, monkeypatch, tmp_path, moment):
    config = quick_config()
    kill_after_save(monkeypatch, moment)
    with pytest.raises(Killed):
        execute(config, console=quiet)
    execute(config, console=quiet)
    run_dir = tmp_path / "checkpoints" / "run"
    assert without_times(results(run_dir)) == without_times(results(reference))
    assert_same_weights(final_weights(run_dir), final_weights(reference))


@pytest.mark.parametrize("moment", [pytest.param(moment, marks=pytest.mark.slow) if "prune" in name else moment
                                    for name, moment in PROCESS_MOMENTS.items()], ids=PROCESS_MOMENTS.keys())
def test_killed_process_resumes_to_identical_results(reference, tmp_path, moment):
    pipeline = write_pipeline(tmp_path / "quick.yaml")
    killed = cpg_process(["run", "--config", str(pipeline), "--name", "run", "--quiet"], tmp_path, moment)
    assert killed.returncode == -9, f"not killed at {moment}: {killed.returncode} {killed.stderr[-500:]}"
    run_dir = tmp_path / "checkpoints" / "run"
    resumed = cpg_process(["resume", str(run_dir), "--quiet"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stderr
    assert without_times(results(run_dir)) == without_times(results(reference))
    assert_same_weights(final_weights(run_dir), final_weights(reference))


@pytest.mark.slow
def test_run_with_an_existing_name_resumes_unless_restart(reference, tmp_path):
    pipeline = write_pipeline(tmp_path / "quick.yaml")
    args = ["run", "--config", str(pipeline), "--name", "run", "--quiet"]
    assert cpg_process(args, tmp_path, "state:2:prune:1:0").returncode == -9
    again = cpg_process(args, tmp_path)
    assert again.returncode == 0 and "resuming" in again.stderr
    restarted = cpg_process(args + ["--restart"], tmp_path)
    assert restarted.returncode == 0 and "resuming" not in restarted.stderr
    assert without_times(results(tmp_path / "checkpoints" / "run")) == without_times(results(reference))


def test_resume_after_pruning_emptied_a_layer_of_the_task(quick_config, quiet, monkeypatch, tmp_path):
    """Task 2 claims a single weight of the first layer; pruning to 80% releases it, so the task
    owns nothing there any more. A run killed right after that and resumed must rebuild the same
    optimizer (the layer stays trained) and end like an uninterrupted run."""

    def leave_one_free_weight_in_the_first_layer(session):
        if session.task == 1:
            _, layer = session.network.sharable_layers()[0]
            free = (layer.ownership == 0).reshape(-1).nonzero().squeeze(1)
            layer.ownership.view(-1)[free[1:]] = 1  # as if task 1 had kept all but one (zero) weight

    plugins = [Watch(committed=leave_one_free_weight_in_the_first_layer)]
    options = {"num_tasks": 2, "classes_per_task": 2, "train_per_class": 30, "test_per_class": 10, "image_size": 8,
               "channels": 1, "difficulty": 0.3}
    uninterrupted = execute(quick_config(name="whole", benchmark_options=options), console=quiet, plugins=plugins)
    first_layer = uninterrupted["tasks"][1]
    assert first_layer["prune"][-1]["target"] == 0.8
    kill_after_save(monkeypatch, lambda state: at(2, "prune", 1)(state) and state["prune_index"] == 1)
    config = quick_config(name="killed", benchmark_options=options)
    with pytest.raises(Killed):
        execute(config, console=quiet, plugins=plugins)

    network = open_run(tmp_path / "checkpoints" / "killed").network
    _, layer = network.sharable_layers()[0]
    assert not (layer.ownership == 2).any(), "the kill came before pruning emptied the layer"
    resumed = execute(config, console=quiet, plugins=plugins)
    assert without_times(resumed) == without_times(uninterrupted)
    assert_same_weights(final_weights(tmp_path / "checkpoints" / "killed"),
                        final_weights(tmp_path / "checkpoints" / "whole"))


GROWING = {"max_width": 1.5, "val_fraction": 0.25, "goal": {"value": 1.0},
           "benchmark_options": {"num_tasks": 2, "classes_per_task": 2, "train_per_class": 40, "test_per_class": 20,
                                 "image_size": 8, "channels": 1, "difficulty": 0.9}}
"""Goals out of reach below the maximum width: every task grows once."""

AROUND_GROWTH = {
    "when GROW is entered": lambda state: state["stage"] == "grow" and state["task"] == 1,
    "right after GROW": lambda state: at(1, "finetune", 0)(state) and state["progress"]["attempts"] == 1,
}


@pytest.mark.parametrize("moment", AROUND_GROWTH.values(), ids=AROUND_GROWTH.keys())
def test_a_run_killed_around_growth_resumes_to_identical_results(quick_config, quiet, monkeypatch, tmp_path, moment):
    whole = execute(quick_config(name="whole", **GROWING), console=quiet)
    assert [task["attempts"] for task in whole["tasks"]] == [2, 1], "task 1 grows; task 2 finds the width at its maximum"
    config = quick_config(name="killed", **GROWING)
    kill_after_save(monkeypatch, moment)
    with pytest.raises(Killed):
        execute(config, console=quiet)
    resumed = execute(config, console=quiet)
    assert without_times(resumed) == without_times(whole)
    assert_same_weights(final_weights(tmp_path / "checkpoints" / "killed"),
                        final_weights(tmp_path / "checkpoints" / "whole"))


LOOPS = {
    "independent training": ({"strategy": "independent"}, at(2, "finetune", 2)),
    "the doctor stage": ({"doctor": {"enabled": True, "epochs": 3, "images_per_class": 5, "alpha": 1.0}},
                         at(2, "doctor", 1)),
    "HAT's annealed attention": ({"strategy": "hat"}, at(2, "finetune", 2)),
    "SupSup's supermask": ({"strategy": "supsup"}, at(2, "finetune", 2)),
}


@pytest.mark.parametrize("settings,moment", LOOPS.values(), ids=LOOPS.keys())
def test_a_loop_killed_inside_a_run_resumes_to_identical_results(quick_config, quiet, monkeypatch, tmp_path,
                                                                  settings, moment):
    options = {"num_tasks": 2, "classes_per_task": 2, "train_per_class": 30, "test_per_class": 10, "image_size": 8,
               "channels": 1, "difficulty": 0.5}
    whole = execute(quick_config(name="whole", benchmark_options=options, **settings), console=quiet)
    config = quick_config(name="killed", benchmark_options=options, **settings)
    kill_after_save(monkeypatch, moment)
    with pytest.raises(Killed):
        execute(config, console=quiet)
    resumed = execute(config, console=quiet)
    assert without_times(resumed) == without_times(whole)
    for name in ("task-1.pt", "task-2.pt") if settings.get("strategy") == "independent" else ():
        assert (tmp_path / "checkpoints" / "killed" / name).read_bytes() == (
            tmp_path / "checkpoints" / "whole" / name).read_bytes()
    if settings.get("strategy") != "independent":
        assert_same_weights(final_weights(tmp_path / "checkpoints" / "killed"),
                            final_weights(tmp_path / "checkpoints" / "whole"))
