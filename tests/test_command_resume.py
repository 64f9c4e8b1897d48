"""Commands outside a run keep their training loops in a work folder: killed after any saved
epoch and run again as they were, they resume and write what an uninterrupted command writes."""

import json
from pathlib import Path

import pytest
import torch
import yaml

from cpg.classifier import load_classifier
from cpg.cli import main
from tests.conftest import QUICK
from tests.fixtures.pruned import digits_classifier_file
from tests.runs import Killed, kill_after_save

EVERY_EPOCH = {"save_every_seconds": 0}


def killed_then_resumed(monkeypatch, command: list[str], epoch: int) -> None:
    kill_after_save(monkeypatch, lambda state: state.get("position", {}).get("epoch") == epoch)
    with pytest.raises(Killed):
        main(command)
    assert main(command) == 0


def test_train_resumes_and_writes_the_same_classifier(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("fast.yaml").write_text(yaml.safe_dump({**EVERY_EPOCH, "finetune": {"epochs": 3, "lr_steps": {}}}))
    args = ["train", "--dataset", "digits-10", "--config", "fast.yaml", "--quiet"]
    assert main([*args, "-o", "whole.pt"]) == 0
    killed_then_resumed(monkeypatch, [*args, "-o", "killed.pt"], 2)
    whole, killed = load_classifier("whole.pt").model.state_dict(), load_classifier("killed.pt").model.state_dict()
    assert all(torch.equal(whole[key], killed[key]) for key in whole)
    assert not (tmp_path / "checkpoints" / "work").exists() or not any((tmp_path / "checkpoints" / "work").iterdir())


def test_baseline_resumes_inside_a_task_and_writes_the_same_goals(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("quick.yaml").write_text(yaml.safe_dump({**QUICK, **EVERY_EPOCH, "goal": {"value": None}}))
    args = ["baseline", "--config", "quick.yaml", "--quiet"]
    assert main([*args, "-o", "whole.json"]) == 0
    second_task = tmp_path / "checkpoints" / "work"  # killed once the second task's loop has saved its epoch 2
    kill_after_save(monkeypatch, lambda state: state.get("position", {}).get("epoch") == 2
                    and any(second_task.glob("baseline-*/task-2/state-*.json")))
    with pytest.raises(Killed):
        main([*args, "-o", "killed.json"])
    assert main([*args, "-o", "killed.json"]) == 0
    whole, killed = json.loads(Path("whole.json").read_text()), json.loads(Path("killed.json").read_text())
    assert whole["tasks"] == killed["tasks"]


def test_compress_resumes_its_recovery_fine_tuning(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = digits_classifier_file(tmp_path / "source.pt")
    Path("recipe.yaml").write_text(yaml.safe_dump({**EVERY_EPOCH, "epochs": 3, "ratio": 0.5, "latency_repeats": 1,
                                                   "latency_batch": 4}))
    args = ["compress", str(source), "--config", "recipe.yaml", "--json", "--quiet"]
    assert main([*args, "-o", "whole.pt2"]) == 0
    killed_then_resumed(monkeypatch, [*args, "-o", "killed.pt2"], 2)
    whole = torch.export.load("whole.pt2").module()
    killed = torch.export.load("killed.pt2").module()
    images = torch.randn(8, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    assert torch.equal(whole(images), killed(images))


def test_doctor_treat_resumes_its_treatment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--dataset", "digits-10", "--epochs", "1", "-o", "patient.pt", "--quiet"]) == 0
    Path("fast.yaml").write_text(yaml.safe_dump({**EVERY_EPOCH, "tasks": "digits-10"}))
    args = ["doctor", "treat", "patient.pt", "--config", "fast.yaml", "--epochs", "3", "--images-per-class", "10",
            "--quiet"]
    assert main([*args, "-o", "whole.pt"]) == 0
    killed_then_resumed(monkeypatch, [*args, "-o", "killed.pt"], 2)
    whole, killed = load_classifier("whole.pt").model.state_dict(), load_classifier("killed.pt").model.state_dict()
    assert all(torch.equal(whole[key], killed[key]) for key in whole)


SEAM = ["--epochs", "4", "--mask-lr", "0.2", "--alpha", "3", "--batch-size", "64", "--target-class", "3", "--json"]


def seam_command(tmp_path, monkeypatch, *extra: str) -> list[str]:
    from cpg.classifier import save_classifier
    from tests.fixtures.seam import digits_classifier

    monkeypatch.chdir(tmp_path)
    save_classifier(tmp_path / "digits.pt", digits_classifier())
    Path("every-epoch.yaml").write_text(yaml.safe_dump({**EVERY_EPOCH, "latency_repeats": 1, "latency_batch": 4,
                                                         "finetune": {"epochs": 3}, "attack": {"steps": 2}}))
    return ["seam", "--classifier", "digits.pt", "--config", "every-epoch.yaml", *SEAM, *extra]


def test_seam_resumes_its_reengineering(tmp_path, monkeypatch, capsys):
    command = seam_command(tmp_path, monkeypatch)
    assert main(command) == 0
    whole = json.loads(capsys.readouterr().out)
    killed_then_resumed(monkeypatch, command, 3)
    resumed = json.loads(capsys.readouterr().out)
    for key in ("retained_ratio", "selected_epoch", "accuracy", "weights"):
        assert resumed[key] == whole[key], key


def test_seam_finetune_resumes_each_of_its_loops(tmp_path, monkeypatch, capsys):
    command = seam_command(tmp_path, monkeypatch, "finetune")
    assert main(command) == 0
    whole = json.loads(capsys.readouterr().out)
    work = tmp_path / "checkpoints" / "work"
    kill_after_save(monkeypatch, lambda state: state.get("position", {}).get("epoch") == 2
                    and any(work.glob("seam-finetune-*/finetune-standard/state-*.json")))
    with pytest.raises(Killed):
        main(command)
    assert main(command) == 0
    resumed = json.loads(capsys.readouterr().out)
    assert resumed["indirect_reuse"] == whole["indirect_reuse"]
    assert resumed["reengineering"]["retained_ratio"] == whole["reengineering"]["retained_ratio"]
