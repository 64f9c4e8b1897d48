"""Goal files: `cpg baseline` writes them with the benchmark options they were measured with,
runs read them, and a file measured with other options is refused."""

import json
from pathlib import Path

import pytest

from cpg.cli import main
from cpg.data import build_benchmark
from cpg.errors import UserError
from cpg.goals import load_goals
from tests.conftest import QUICK
from tests.runs import results, write_pipeline


@pytest.fixture
def goal_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`cpg baseline` run in tmp_path, writing baselines/synthetic-small_cnn.json there."""
    monkeypatch.chdir(tmp_path)
    pipeline = write_pipeline(tmp_path / "quick.yaml", goal={"value": None})
    assert main(["baseline", "--config", str(pipeline), "--quiet"]) == 0
    return tmp_path / "baselines" / "synthetic-small_cnn.json"


def test_baseline_writes_one_goal_per_task_with_its_options(goal_file: Path) -> None:
    document = json.loads(goal_file.read_text())
    assert document["benchmark_options"] == QUICK["benchmark_options"]
    assert [entry["name"] for entry in document["tasks"]] == ["synthetic_1", "synthetic_2", "synthetic_3"]
    for entry in document["tasks"]:
        assert 0.0 <= entry["val"] <= 1.0 and 0.0 <= entry["test"] <= 1.0


def test_run_takes_its_goals_from_the_goal_file(goal_file: Path, tmp_path: Path) -> None:
    document = json.loads(goal_file.read_text())
    pipeline = write_pipeline(tmp_path / "run.yaml", goal={"value": None}, name="with-goals",
                              checkpoint_dir=str(tmp_path / "checkpoints"), log_dir=str(tmp_path / "logs"))
    assert main(["run", "--config", str(pipeline), "--quiet"]) == 0
    recorded = [task["goal"] for task in results(tmp_path / "checkpoints" / "with-goals")["tasks"]]
    assert recorded == [entry["val"] for entry in document["tasks"]]


def test_goals_measured_with_other_options_are_refused(goal_file: Path) -> None:
    options = dict(QUICK["benchmark_options"])
    benchmark = build_benchmark("synthetic", options=options)
    assert len(load_goals(goal_file, benchmark, "val", options)) == 3
    harder = {**options, "difficulty": 0.9}
    with pytest.raises(UserError, match="benchmark options"):
        load_goals(goal_file, build_benchmark("synthetic", options=harder), "val", harder)


def test_goals_of_other_tasks_are_refused(goal_file: Path) -> None:
    options = {**QUICK["benchmark_options"], "num_tasks": 4}
    with pytest.raises(UserError, match="do not match"):
        load_goals(goal_file, build_benchmark("synthetic", options=options), "val", options)
