"""Image folders from the command line: task list files, the example pipeline, and the
`cpg baseline` command a run suggests, executed as printed."""

import json
from pathlib import Path

import pytest
import yaml

from cpg.cli import main
from cpg.cli.pipelines import SHIPPED
from tests.runs import results, write_pipeline
from tests.fixtures.image_folders import write_image_tree

QUICK_IMAGES = {"train": 8, "test": 3}


@pytest.fixture
def task_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """my-data/tasks.yaml listing two 28×28 grayscale folders by roots relative to the file;
    the working directory is tmp_path."""
    monkeypatch.chdir(tmp_path)
    for seed, name in enumerate(("shapes", "marks")):
        write_image_tree(tmp_path / "my-data" / name, seed=seed, **QUICK_IMAGES)
    path = tmp_path / "my-data" / "tasks.yaml"
    path.write_text(yaml.safe_dump({"tasks": [{"name": "shapes", "root": "shapes"},
                                              {"name": "marks", "root": "marks"}]}))
    return path


def _quick(tmp_path: Path, **overrides) -> str:
    return str(write_pipeline(tmp_path / "quick.yaml", prune={"targets": [0.5], "epochs": 1, "ramp_epochs": 1},
                              retrain={"epochs": 1, "patience": 1}, **overrides))


def test_task_list_file_runs_from_the_cli(task_list, tmp_path, capsys):
    code = main(["run", "--tasks", "my-data/tasks.yaml", "--config", _quick(tmp_path), "--quiet"])
    assert code == 0
    run = tmp_path / "checkpoints" / "tasks-small_cnn-cpg-w1-s0"
    document = results(run)
    assert document["benchmark"] == "imagefolder"
    assert [task["name"] for task in document["tasks"]] == ["shapes", "marks"]
    saved = yaml.safe_load((run / "run.yaml").read_text())
    assert saved["benchmark_options"]["tasks"][0]["root"] == str(tmp_path / "my-data" / "shapes")
    assert "imagefolder: 2 tasks, input 1×28×28; images kept at their own size" in capsys.readouterr().err


def test_goals_measured_for_a_task_list_serve_the_next_run_of_it(task_list, tmp_path, capsys):
    pipeline = _quick(tmp_path, goal={"value": None})
    assert main(["run", "--tasks", str(task_list), "--config", pipeline, "--quiet"]) == 0
    assert "measuring the goals" in capsys.readouterr().err
    goal_file = next((tmp_path / "baselines").glob("imagefolder-small_cnn-*.json"))
    assert [task["name"] for task in json.loads(goal_file.read_text())["tasks"]] == ["shapes", "marks"]
    assert main(["run", "--tasks", str(task_list), "--config", pipeline, "--name", "again", "--quiet"]) == 0
    printed = capsys.readouterr().err
    assert f"accuracies from {goal_file.resolve()}" in printed and "measuring the goals" not in printed


def test_the_example_pipeline_runs_on_folders_laid_out_as_it_says(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for seed, name in enumerate(("shapes", "letters")):
        write_image_tree(tmp_path / "data" / name, seed=seed, **QUICK_IMAGES)
    example = SHIPPED / "imagefolder-example.yaml"
    code = main(["run", "--config", str(example), "--epochs-scale", "0.04", "--goal", "0", "--name", "example",
                 "--quiet"])
    assert code == 0
    assert [task["name"] for task in results(tmp_path / "checkpoints" / "example")["tasks"]] == ["shapes", "letters"]


def test_a_missing_task_list_file_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--tasks", "nowhere/tasks.yaml"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("cpg: error:") and "nowhere/tasks.yaml" in error and "\n" not in error
