"""Goals like for like: `cpg baseline` measures them on the split and with the architecture the
run's decisions use, runs read them only where they fit, and a network of your own is measured
against copies of itself."""

import json
from pathlib import Path

import pytest

import cpg
from cpg.cli import main
from cpg.data import build_benchmark
from cpg.errors import UserError
from cpg.goals import load_goals
from cpg.workflows import execute, fit
from tests.conftest import QUICK
from tests.runs import results, write_pipeline

OPTIONS = QUICK["benchmark_options"]


@pytest.fixture
def goal_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`cpg baseline` run in tmp_path, writing baselines/synthetic-small_cnn.json there."""
    monkeypatch.chdir(tmp_path)
    pipeline = write_pipeline(tmp_path / "quick.yaml", goal={"value": None})
    assert main(["baseline", "--config", str(pipeline), "--quiet"]) == 0
    return tmp_path / "baselines" / "synthetic-small_cnn.json"


def test_baseline_records_each_splits_accuracy_with_its_number_of_images(goal_file: Path) -> None:
    document = json.loads(goal_file.read_text())
    assert document["benchmark_options"] == OPTIONS and document["val_fraction"] == 0.1
    assert document["arch"] == "small_cnn"
    benchmark = build_benchmark("synthetic", options=OPTIONS)
    assert [entry["name"] for entry in document["tasks"]] == [task.name for task in benchmark.tasks]
    for entry, task in zip(document["tasks"], benchmark.tasks):
        for split, dataset in (("train", task.train), ("val", task.val), ("test", task.test)):
            images = entry[f"{split}_images"]
            assert images == len(dataset)
            assert entry[split] * images == pytest.approx(round(entry[split] * images)), "not k / n correct"


def test_goals_computed_by_a_run_equal_those_of_cpg_baseline(goal_file: Path, tmp_path: Path) -> None:
    document = json.loads(goal_file.read_text())
    from_file = write_pipeline(tmp_path / "file.yaml", goal={"value": None}, name="from-file",
                               checkpoint_dir=str(tmp_path / "checkpoints"), log_dir=str(tmp_path / "logs"))
    assert main(["run", "--config", str(from_file), "--quiet"]) == 0
    goal_file.unlink()
    computed = write_pipeline(tmp_path / "computed.yaml", goal={"value": None}, name="computed",
                              checkpoint_dir=str(tmp_path / "checkpoints"), log_dir=str(tmp_path / "logs"))
    assert main(["run", "--config", str(computed), "--quiet"]) == 0
    expected = [entry["val"] for entry in document["tasks"]]
    assert [task["goal"] for task in results(tmp_path / "checkpoints" / "from-file")["tasks"]] == expected
    assert [task["goal"] for task in results(tmp_path / "checkpoints" / "computed")["tasks"]] == expected


def test_goals_measured_otherwise_are_refused(goal_file: Path) -> None:
    benchmark = build_benchmark("synthetic", options=OPTIONS)
    goals, source = load_goals(goal_file, benchmark, "small_cnn", "val", OPTIONS, 0.1)
    assert [goal.images for goal in goals] == [len(task.val) for task in benchmark.tasks]
    assert "cpg baseline" in source
    harder = {**OPTIONS, "difficulty": 0.9}
    with pytest.raises(UserError, match="benchmark options"):
        load_goals(goal_file, build_benchmark("synthetic", options=harder), "small_cnn", "val", harder, 0.1)
    more = {**OPTIONS, "num_tasks": 4}
    with pytest.raises(UserError, match="do not match"):
        load_goals(goal_file, build_benchmark("synthetic", options=more), "small_cnn", "val", more, 0.1)
    with pytest.raises(UserError, match="architecture 'small_cnn', this run trains 'resnet20'"):
        load_goals(goal_file, benchmark, "resnet20", "val", OPTIONS, 0.1)
    with pytest.raises(UserError, match="val_fraction 0.1, this run holds out 0.2"):
        load_goals(goal_file, benchmark, "small_cnn", "val", OPTIONS, 0.2)


def test_test_set_goals_serve_only_runs_that_select_on_the_test_split(goal_file: Path) -> None:
    document = json.loads(goal_file.read_text())
    for entry in document["tasks"]:
        for key in ("train", "train_images", "val", "val_images"):
            del entry[key]
    goal_file.write_text(json.dumps(document))
    benchmark = build_benchmark("synthetic", options=OPTIONS)
    with pytest.raises(UserError, match="no val accuracy.*holds test.*--select-on test"):
        load_goals(goal_file, benchmark, "small_cnn", "val", OPTIONS, 0.1)
    goals, _ = load_goals(goal_file, benchmark, "small_cnn", "test", OPTIONS, 0.2)
    assert [(goal.split, goal.images) for goal in goals] == [("test", len(task.test)) for task in benchmark.tasks]


def test_the_shipped_published_goals_are_test_set_goals_of_500_images() -> None:
    document = json.loads((Path(cpg.__file__).parents[1] / "baselines" / "cifar100-20-vgg16.json").read_text())
    assert len(document["tasks"]) == 20
    assert all(set(entry) == {"name", "test", "test_images"} and entry["test_images"] == 500
               for entry in document["tasks"])


def test_a_network_of_your_own_is_measured_against_copies_of_itself(quick_config, quiet, tmp_path, monkeypatch):
    """No goal file of another architecture is read, even when one fits the benchmark."""
    import cpg.algorithms.independent as independent

    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "baselines"
    folder.mkdir()
    (folder / "synthetic-small_cnn.json").write_text("not read")
    built, rows = [], []
    train = independent.train_task_alone

    def spy(*args, build=None, **kwargs):
        model, row = train(*args, build=build, **kwargs)
        built.append(model)
        rows.append(row)
        return model, row

    monkeypatch.setattr("cpg.workflows.run_goals.train_task_alone", spy)
    network = cpg.TaskNetwork(cpg.convert(torch_mlp()))
    config = quick_config(goal={"value": None})
    outcome = fit(network, build_benchmark("synthetic", options=OPTIONS), config, console=quiet)
    assert len(built) == 3
    for model in built:
        assert isinstance(model, cpg.TaskNetwork)
        assert [type(layer).__name__ for _, layer in model.sharable_layers()] == ["SharableLinear", "SharableLinear"]
        assert model.body[1].weight is not network.body[1].weight  # a copy, not the network being trained
    assert [task["goal"] for task in outcome["tasks"]] == [row["val"] for row in rows]


def torch_mlp():
    import torch
    from torch import nn

    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 2))


def test_a_resumed_run_may_not_change_its_goals(quick_config, quiet) -> None:
    config = quick_config(benchmark_options={**OPTIONS, "num_tasks": 1})
    execute(config, console=quiet)
    import dataclasses

    with pytest.raises(UserError, match="goal changed"):
        execute(dataclasses.replace(config, goal=dataclasses.replace(config.goal, allowed_loss=0.05)), console=quiet)


def test_a_run_keeping_fewer_training_images_refuses_goals_measured_on_all_of_them(torchvision_root, tmp_path,
                                                                                   monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    settings = {"tasks": "perm-mnist", "arch": "mlp", "data_root": str(torchvision_root), "goal": {"value": None}}
    whole = write_pipeline(tmp_path / "whole.yaml", **settings, benchmark_options={"num_tasks": 1})
    reduced = write_pipeline(tmp_path / "reduced.yaml", **settings, name="reduced",
                             benchmark_options={"num_tasks": 1, "train_per_class": 5})
    assert main(["baseline", "--config", str(whole), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["run", "--config", str(reduced), "--quiet"]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("cpg: error: ") and ("goals measured with benchmark options {'num_tasks': 1}, this run has "
                                                 "{'num_tasks': 1, 'train_per_class': 5}") in error
    assert main(["baseline", "--config", str(reduced), "--quiet"]) == 0
    assert main(["run", "--config", str(reduced), "--quiet"]) == 0
    measured = json.loads((tmp_path / "baselines" / "perm-mnist-mlp.json").read_text())
    assert [task["goal"] for task in results(tmp_path / "checkpoints" / "reduced")["tasks"]] == [measured["tasks"][0]["val"]]
