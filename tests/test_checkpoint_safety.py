"""Damaged, foreign or malicious checkpoint files: one clear line, no code runs, nothing lost."""

import hashlib
import pickle

import pytest
import torch

from cpg.checkpoint import CheckpointError, RunFolder, load_tensors, save_tensors
from cpg.cli import main
from cpg.workflows import execute


def snapshot_of(folder) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir()) if path.is_file()}


class RunsCode:
    """Unpickling this would create a marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def flip_bit(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x04
    path.write_bytes(bytes(data))


def code_running_pickle(path):
    with open(path, "wb") as handle:
        pickle.dump({"network": RunsCode(str(path.parent.parent / "pwned"))}, handle)


@pytest.fixture
def finished_run(quick_config, quiet):
    config = quick_config(benchmark_options={"num_tasks": 2, "classes_per_task": 2, "train_per_class": 20,
                                             "test_per_class": 10, "image_size": 8, "channels": 1, "difficulty": 0.3})
    execute(config, console=quiet)
    return config


@pytest.mark.parametrize("damage", [truncate, flip_bit, code_running_pickle])
def test_damaged_model_files_give_one_line_and_change_nothing(finished_run, damage, capsys):
    run_dir = RunFolder(f"{finished_run.checkpoint_dir}/run")
    for version in run_dir.versions():
        damage(run_dir.model_path(version))
    before = snapshot_of(run_dir.root)
    assert main(["resume", str(run_dir.root), "--quiet"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cpg: error: ") and "model-" in lines[0]
    assert snapshot_of(run_dir.root) == before
    assert not (run_dir.root.parent / "pwned").exists()


def test_a_damaged_latest_version_falls_back_to_the_previous_one(finished_run, quiet, capsys):
    run_dir = RunFolder(f"{finished_run.checkpoint_dir}/run")
    latest = run_dir.versions()[-1]
    truncate(run_dir.model_path(latest))
    results = execute(finished_run, console=quiet)
    assert results["forgetting"] == [0.0]
    assert f"model-{latest}.pt" in capsys.readouterr().err


def test_weights_only_loading_refuses_code(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"kind": "cpg-checkpoint", "format": 1, "payload": RunsCode(str(tmp_path / "pwned"))}, path)
    with pytest.raises(CheckpointError, match="evil.pt"):
        load_tensors(path)
    assert not (tmp_path / "pwned").exists()


def test_foreign_and_newer_files_are_named(tmp_path):
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(2)}, foreign)
    with pytest.raises(CheckpointError, match="foreign.pt: not a cpg checkpoint"):
        load_tensors(foreign)
    newer = tmp_path / "newer.pt"
    save_tensors(newer, {"format": 99})
    with pytest.raises(CheckpointError, match="newer.pt: written in checkpoint format 99"):
        load_tensors(newer)


def test_a_state_that_does_not_fit_the_network_is_rejected(finished_run, capsys):
    run_dir = RunFolder(f"{finished_run.checkpoint_dir}/run")
    for version in run_dir.versions():
        document = load_tensors(run_dir.model_path(version))
        document["network"]["body.features.0.weight"] = torch.zeros(3, 3)
        save_tensors(run_dir.model_path(version), {k: v for k, v in document.items() if k not in ("kind", "format")})
    assert main(["resume", str(run_dir.root), "--quiet"]) == 2
    assert "model-" in capsys.readouterr().err
