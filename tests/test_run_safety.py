"""Determinism, numerical failures, and which config changes a resumed run accepts."""

import dataclasses
import json

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from cpg.checkpoint import RunFolder
from cpg.cli import main
from cpg.engine import LoopHook
from cpg.errors import RunFailed, UserError
from cpg.workflows import execute
from tests.runs import Watch, assert_same_weights, final_weights, without_times


def test_same_seed_gives_identical_results_and_weights(quick_config, quiet, tmp_path):
    first = quick_config(name="first")
    second = quick_config(name="second")
    assert without_times(execute(first, console=quiet)) == without_times(execute(second, console=quiet))
    assert_same_weights(final_weights(tmp_path / "checkpoints" / "first"),
                        final_weights(tmp_path / "checkpoints" / "second"))


def poison_a_weight_in_epoch(number: int) -> Watch:
    """A plugin: in the run's `number`-th training epoch, after its first step, a weight the task
    trains becomes NaN."""
    epochs: list[int] = []

    class Poison(LoopHook):
        def __init__(self, weight: torch.Tensor) -> None:
            self.weight = weight

        def before_epoch(self, epoch: int) -> None:
            epochs.append(epoch)

        def after_step(self, step: int) -> None:
            if len(epochs) == number and step == 0:
                with torch.no_grad():
                    self.weight.view(-1)[0] = float("nan")

    return Watch(hooks=lambda session, stage: [Poison(session.network.trained_weights()[0])])


def test_a_nan_rolls_back_reports_and_can_be_resumed(quick_config, quiet, tmp_path):
    config = quick_config()
    folder = RunFolder(tmp_path / "checkpoints" / "run")
    with pytest.raises(RunFailed, match="NaN or infinite|the loss became nan"):
        execute(config, console=quiet, plugins=[poison_a_weight_in_epoch(5)])
    state = json.loads(folder.state_path(folder.versions()[-1]).read_text())
    assert len(state["events"]) == 1 and "rolled back to the end of epoch" in state["events"][0]
    weights = final_weights(folder.root)
    assert all(torch.isfinite(value).all() for value in weights.values()
               if isinstance(value, torch.Tensor) and value.is_floating_point())
    events = EventAccumulator(str(tmp_path / "logs" / "run"), size_guidance={"tensors": 0}).Reload()
    assert "run/events/text_summary" in events.Tags()["tensors"]

    changed = dataclasses.replace(config, finetune=dataclasses.replace(config.finetune, lr=0.02))
    results = execute(changed, console=quiet)
    assert results["forgetting"] == [0.0, 0.0]


def test_cli_reports_a_numerical_failure_with_status_3(quick_config, monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    config = quick_config(finetune={"lr": 1e30})  # diverges at once
    path = tmp_path / "p.yaml"
    path.write_text(json.dumps(dataclasses.asdict(config)))
    assert main(["run", "--config", str(path), "--quiet"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("cpg: error: task 1 finetune epoch 1: ")
    assert err[-1].endswith(f"resume the run with those settings changed: cpg resume {config.checkpoint_dir}/run "
                            "--config CHANGED.yaml")


def test_resume_refuses_protocol_changes_and_accepts_epoch_changes(quick_config, quiet, tmp_path):
    config = quick_config(benchmark_options={"num_tasks": 2, "classes_per_task": 2, "train_per_class": 20,
                                             "test_per_class": 10, "image_size": 8, "channels": 1, "difficulty": 0.3})
    execute(config, console=quiet)
    with pytest.raises(UserError, match="arch changed"):
        execute(dataclasses.replace(config, arch="resnet20"), console=quiet)
    with pytest.raises(UserError, match="benchmark_options changed"):
        execute(dataclasses.replace(config, benchmark_options={**config.benchmark_options, "num_tasks": 3}), console=quiet)
    with pytest.raises(UserError, match="max_width changed"):
        execute(dataclasses.replace(config, max_width=2.0), console=quiet)
    longer = dataclasses.replace(config, retrain=dataclasses.replace(config.retrain, epochs=5))
    results = execute(longer, console=quiet)
    assert results["forgetting"] == [0.0]
    folder = RunFolder(tmp_path / "checkpoints" / "run")
    state = json.loads(folder.state_path(folder.versions()[-1]).read_text())
    assert any("retrain" in event for event in state["events"])
