"""Two CPU processes with gloo, launched by `cpg run --nproc 2` (torchrun underneath)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.runs import results, write_pipeline

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow  # two gloo processes per test: run with -m slow


def cpg_nproc(args: list[str], cwd: Path, probe: Path, kill: str | None = None) -> subprocess.CompletedProcess:
    (probe / "sitecustomize.py").write_text("from tests.fixtures.ddp_probe import install\ninstall()\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(probe), str(ROOT)]), PROBE_DIR=str(probe),
               OMP_NUM_THREADS="1")
    env.pop("PROBE_KILL", None)
    if kill:
        env["PROBE_KILL"] = kill
    return subprocess.run([sys.executable, "-m", "cpg", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture
def probe(tmp_path):
    directory = tmp_path / "probe"
    directory.mkdir()
    return directory


def test_two_processes_stay_identical_and_only_rank_zero_writes(tmp_path, probe):
    pipeline = write_pipeline(tmp_path / "quick.yaml")
    completed = cpg_nproc(["run", "--config", str(pipeline), "--nproc", "2", "--name", "ddp", "--quiet"], tmp_path, probe)
    assert completed.returncode == 0, completed.stderr[-2000:]
    for task in (1, 2, 3):
        first = torch.load(probe / f"rank0-task{task}.pt")
        second = torch.load(probe / f"rank1-task{task}.pt")
        assert first.keys() == second.keys()
        for key, value in first.items():
            assert torch.equal(value, second[key]), (task, key)
    assert not (probe / "writes-rank1.txt").exists()
    written = (probe / "writes-rank0.txt").read_text().splitlines()
    assert sum(path.endswith("results.json") for path in written) == 4  # after each task, and at the end
    outcome = results(tmp_path / "checkpoints" / "ddp")
    assert outcome["forgetting"] == [0.0, 0.0]
    assert completed.stdout.count("accuracy matrix") == 1


def test_killing_one_rank_stops_the_job_with_a_clear_error_and_resume_completes(tmp_path, probe):
    pipeline = write_pipeline(tmp_path / "quick.yaml")
    args = ["run", "--config", str(pipeline), "--nproc", "2", "--name", "ddp", "--quiet"]
    killed = cpg_nproc(args, tmp_path, probe, kill="1:2:prune:1")
    assert killed.returncode == 3
    assert "cpg: error: a process of the 2-process run failed" in killed.stderr.strip().splitlines()[-1]
    resumed = cpg_nproc(args, tmp_path, probe)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming" in resumed.stderr
    assert results(tmp_path / "checkpoints" / "ddp")["forgetting"] == [0.0, 0.0]


def test_goals_are_measured_once_by_both_processes_and_written_by_rank_zero(tmp_path, probe):
    pipeline = write_pipeline(tmp_path / "quick.yaml", goal={"value": None})
    completed = cpg_nproc(["run", "--config", str(pipeline), "--nproc", "2", "--name", "ddp", "--quiet"], tmp_path, probe)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stderr.count("measuring the goals") == 1
    saved = list((tmp_path / "baselines").glob("synthetic-small_cnn-*.json"))
    assert len(saved) == 1
    assert not (probe / "writes-rank1.txt").exists(), "rank 1 trained the goal networks but wrote nothing"
    for task in (1, 2, 3):
        first, second = torch.load(probe / f"rank0-task{task}.pt"), torch.load(probe / f"rank1-task{task}.pt")
        assert all(torch.equal(value, second[key]) for key, value in first.items()), "the ranks decided alike"
    goals = [entry["val"] for entry in json.loads(saved[0].read_text())["tasks"]]
    assert [task["goal"] for task in results(tmp_path / "checkpoints" / "ddp")["tasks"]] == goals
