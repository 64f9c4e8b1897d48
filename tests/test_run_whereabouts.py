"""A run says where it went: the device it computes on, its folder and TensorBoard command at the
end, its folder when it is interrupted; a finished run invoked again reports its results without writing anything."""

from pathlib import Path

import pytest

from cpg.cli import main
from tests.conftest import QUICK
from tests.runs import after_each_save, write_pipeline

SHORT = {"benchmark_options": {**QUICK["benchmark_options"], "num_tasks": 2}, "finetune": {**QUICK["finetune"], "epochs": 2},
         "prune": {**QUICK["prune"], "targets": [0.5], "epochs": 1}, "retrain": {"epochs": 1, "patience": 1}}


@pytest.fixture
def pipeline(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_pipeline(tmp_path / "quick.yaml", **SHORT)


def test_a_run_ends_with_its_folder_and_tensorboard_command(pipeline, tmp_path, capsys):
    argv = ["run", "--config", str(pipeline), "--name", "mine", "--quiet"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "checkpoints/mine" in out and "tensorboard --logdir logs/mine" in out
    assert "device: cpu (auto: no CUDA device)" in err.splitlines()
    logs = tmp_path / "logs" / "mine"
    written = {path: path.stat().st_mtime_ns for path in logs.iterdir()}
    models = sorted((tmp_path / "checkpoints" / "mine").glob("model-*.pt"))

    assert main(argv) == 0
    again = capsys.readouterr()
    assert "finished" in again.err and "average accuracy" in again.out and "checkpoints/mine" in again.out
    assert {path: path.stat().st_mtime_ns for path in logs.iterdir()} == written
    assert sorted((tmp_path / "checkpoints" / "mine").glob("model-*.pt")) == models


def test_an_interrupted_run_names_the_folder_to_resume(pipeline, monkeypatch, capsys):
    saves = []

    def interrupt_after_the_third_save(state):
        saves.append(state)
        if len(saves) == 3:
            raise KeyboardInterrupt

    after_each_save(monkeypatch, interrupt_after_the_third_save)
    assert main(["run", "--config", str(pipeline), "--name", "mine", "--quiet"]) == 130
    assert "cpg resume checkpoints/mine" in capsys.readouterr().err
