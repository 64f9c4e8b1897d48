"""Goals like for like: `cpg baseline` measures them on the split and with the architecture the
run's decisions use, runs read them only where they fit, and a network of your own is measured
against copies of itself."""

import dataclasses
import json
from pathlib import Path

import pytest
import torch

import cpg
from cpg.cli import main
from cpg.config import build_config
from cpg.data import build_benchmark
from cpg.errors import UserError
from cpg.goals import GoalFile, goal_protocol, unpack_correct
from cpg.goals.protocol import file_digest
from cpg.models import build_model
from cpg.models.pretrained import initialized_builder
from cpg.nn.convert import find_head
from cpg.workflows import execute, fit
from tests.conftest import QUICK
from tests.runs import Killed, kill_after_save, results, write_pipeline

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
    protocol = document["protocol"]
    assert protocol["benchmark_options"] == OPTIONS and protocol["val_fraction"] == 0.1 and protocol["seed"] == 0
    assert document["arch"] == protocol["arch"] == "small_cnn"
    benchmark = build_benchmark("synthetic", options=OPTIONS)
    assert [entry["name"] for entry in document["tasks"]] == [task.name for task in benchmark.tasks]
    for entry, task in zip(document["tasks"], benchmark.tasks):
        for split, dataset in (("train", task.train), ("val", task.val), ("test", task.test)):
            images = entry[f"{split}_images"]
            assert images == len(dataset)
            assert entry[split] * images == pytest.approx(round(entry[split] * images)), "not k / n correct"
            if split != "train":
                correct = unpack_correct(entry[f"{split}_correct"], images)
                assert int(correct.sum()) == round(entry[split] * images)


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


def problem(path: Path, config_changes: dict, split: str = "val", arch: str = "small_cnn") -> str | None:
    config = build_config(("test", {**QUICK, **config_changes}))
    benchmark = build_benchmark("synthetic", options=config.benchmark_options)
    return GoalFile.read(path).problem(benchmark, arch, split, goal_protocol(config))


def test_goals_measured_otherwise_are_refused_naming_what_differs(goal_file: Path, tmp_path: Path) -> None:
    benchmark = build_benchmark("synthetic", options=OPTIONS)
    file = GoalFile.read(goal_file)
    assert problem(goal_file, {}) is None
    goals = file.goals("val")
    assert [goal.images for goal in goals] == [len(task.val) for task in benchmark.tasks]
    assert all(goal.correct_vector().shape == (len(task.val),) for goal, task in zip(goals, benchmark.tasks))
    assert "cpg baseline" in file.source
    assert "benchmark_options" in problem(goal_file, {"benchmark_options": {**OPTIONS, "difficulty": 0.9}})
    assert "are not those of benchmark" in problem(goal_file, {"benchmark_options": {**OPTIONS, "num_tasks": 4}})
    assert problem(goal_file, {}, arch="resnet20") == "goals of architecture 'small_cnn', this run trains 'resnet20'"
    assert problem(goal_file, {"val_fraction": 0.2}) == "measured with val_fraction 0.1 (goal file) vs 0.2 (this run)"
    assert problem(goal_file, {"seed": 1}) == "measured with seed 0 (goal file) vs 1 (this run)"
    assert problem(goal_file, {"epochs_scale": 0.5}).startswith("measured with finetune.epochs 3 (goal file) vs 2 (this run)")
    assert "finetune.lr 0.05 (goal file) vs 0.1 (this run)" in problem(goal_file, {"finetune": {**QUICK["finetune"], "lr": 0.1}})
    assert "lr_steps" in problem(goal_file, {"finetune": {**QUICK["finetune"], "lr_steps": {2: 0.1}}})
    weights = tmp_path / "start.pt"
    torch.save(build_model("small_cnn", 2, (1, 8, 8)).state_dict(), weights)
    assert problem(goal_file, {"init": str(weights)}).startswith("measured with init.file none (goal file) vs start.pt")


def test_test_set_goals_serve_only_runs_that_select_on_the_test_split(goal_file: Path) -> None:
    document = json.loads(goal_file.read_text())
    del document["protocol"]
    document["published"] = True
    for entry in document["tasks"]:
        for key in ("train", "train_images", "val", "val_images", "val_correct", "test_correct"):
            del entry[key]
    goal_file.write_text(json.dumps(document))
    benchmark = build_benchmark("synthetic", options=OPTIONS)
    assert problem(goal_file, {}) == "it holds a paper's published test accuracies, for runs that select on them (`select_on` test)"
    assert problem(goal_file, {"val_fraction": 0.2, "epochs_scale": 0.1}, split="test") is None, "published: any protocol"
    goals = GoalFile.read(goal_file).goals("test")
    assert [(goal.split, goal.images, goal.correct) for goal in goals] == [
        ("test", len(task.test), None) for task in benchmark.tasks]


def test_a_file_without_its_protocol_is_not_used(goal_file: Path) -> None:
    document = json.loads(goal_file.read_text())
    del document["protocol"]
    goal_file.write_text(json.dumps(document))
    assert "does not record the protocol" in problem(goal_file, {})


def test_the_shipped_published_goals_are_test_set_goals_of_500_images() -> None:
    document = json.loads((Path(cpg.__file__).parents[1] / "baselines" / "cifar100-20-vgg16.json").read_text())
    assert len(document["tasks"]) == 20
    assert all(set(entry) == {"name", "test", "test_images"} and entry["test_images"] == 500
               for entry in document["tasks"])


def test_a_network_of_your_own_is_measured_against_copies_of_itself(quick_config, quiet, tmp_path, monkeypatch):
    """No goal file of another architecture is read, even when one fits the benchmark: each goal
    is what a fresh copy of the network, trained for its task alone, reaches."""
    from functools import partial

    from cpg.config import scale_epochs
    from cpg.continual.alone import single_task_network, train_task_alone
    from cpg.report import Reporter

    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "baselines"
    folder.mkdir()
    (folder / "synthetic-small_cnn.json").write_text("not read")
    network = cpg.TaskNetwork(cpg.convert(torch_mlp()))
    copy = single_task_network(network, 2)
    assert [type(layer).__name__ for _, layer in copy.sharable_layers()] == ["SharableLinear", "SharableLinear"]
    assert copy.body[1].weight is not network.body[1].weight  # a copy, not the network being trained
    config = quick_config(goal={"value": None})
    benchmark = build_benchmark("synthetic", options=OPTIONS)
    alone = [train_task_alone(scale_epochs(config), benchmark, index, Reporter(quiet), torch.device("cpu"),
                              build=partial(single_task_network, network))[1]["val"] for index in range(3)]
    outcome = fit(network, benchmark, config, console=quiet)
    assert [task["goal"] for task in outcome["tasks"]] == alone


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


def test_a_run_keeping_fewer_training_images_measures_its_own_goals(torchvision_root, tmp_path,
                                                                                   monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    settings = {"tasks": "perm-mnist", "arch": "mlp", "data_root": str(torchvision_root), "goal": {"value": None}}
    whole = write_pipeline(tmp_path / "whole.yaml", **settings, benchmark_options={"num_tasks": 1})
    reduced = write_pipeline(tmp_path / "reduced.yaml", **settings, name="reduced",
                             benchmark_options={"num_tasks": 1, "train_per_class": 5})
    assert main(["baseline", "--config", str(whole), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["run", "--config", str(reduced), "--quiet"]) == 0
    printed = capsys.readouterr().err
    assert ("baselines/perm-mnist-mlp.json: measured with benchmark_options {\"num_tasks\": 1} (goal file) vs "
            "{\"num_tasks\": 1, \"train_per_class\": 5} (this run)") in printed
    assert "measuring the goals" in printed
    assert main(["baseline", "--config", str(reduced), "--quiet"]) == 0
    measured = json.loads((tmp_path / "baselines" / "perm-mnist-mlp.json").read_text())
    assert [task["goal"] for task in results(tmp_path / "checkpoints" / "reduced")["tasks"]] == [measured["tasks"][0]["val"]]


def test_a_second_run_of_the_same_protocol_reads_the_goals_the_first_measured(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    first = write_pipeline(tmp_path / "first.yaml", goal={"value": None}, name="first")
    assert main(["run", "--config", str(first), "--quiet"]) == 0
    printed = capsys.readouterr().err
    saved = list((tmp_path / "baselines").glob("synthetic-small_cnn-*.json"))
    assert len(saved) == 1 and "measuring the goals: training one small_cnn per task first" in printed
    assert f"goals saved as baselines/{saved[0].name}" in printed
    second = write_pipeline(tmp_path / "second.yaml", goal={"value": None}, name="second")
    assert main(["run", "--config", str(second), "--quiet"]) == 0
    printed = capsys.readouterr().err
    assert "measuring the goals" not in printed and f"accuracies from {saved[0].resolve()}" in printed
    work = tmp_path / "checkpoints" / "work"
    assert not work.exists() or not any(work.iterdir()), "the measurement's work folder is removed"
    goals = [task["goal"] for task in results(tmp_path / "checkpoints" / "first")["tasks"]]
    assert [task["goal"] for task in results(tmp_path / "checkpoints" / "second")["tasks"]] == goals
    first_seconds = results(tmp_path / "checkpoints" / "first")["goal_seconds"]
    assert results(tmp_path / "checkpoints" / "second")["goal_seconds"] < first_seconds
    third = write_pipeline(tmp_path / "third.yaml", goal={"value": None}, name="third", seed=1)
    assert main(["run", "--config", str(third), "--quiet"]) == 0
    assert "measuring the goals" in capsys.readouterr().err, "another seed is another protocol"
    assert len(list((tmp_path / "baselines").glob("*.json"))) == 2


def test_the_shipped_digits_goals_do_not_serve_a_shortened_protocol():
    config = build_config(("test", {"tasks": "digits-5", "arch": "small_cnn", "epochs_scale": 0.2,
                                    "finetune": {"epochs": 25, "lr_steps": {12: 0.1, 20: 0.01}}}))
    shipped = Path(cpg.__file__).parents[1] / "baselines" / "digits-5-small_cnn.json"
    benchmark = build_benchmark("digits-5")
    assert GoalFile.read(shipped).problem(benchmark, "small_cnn", "val",
                                          goal_protocol(dataclasses.replace(config, epochs_scale=1.0))) is None
    found = GoalFile.read(shipped).problem(benchmark, "small_cnn", "val", goal_protocol(config))
    assert found.startswith("measured with finetune.epochs 25 (goal file) vs 5 (this run)")


def test_a_goal_file_given_for_another_protocol_is_one_line_naming_the_difference(goal_file, tmp_path, capsys):
    pipeline = write_pipeline(tmp_path / "other.yaml", goal={"value": None, "file": str(goal_file)}, seed=3)
    assert main(["run", "--config", str(pipeline), "--quiet"]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error == (f"cpg: error: {goal_file}: measured with seed 0 (goal file) vs 3 (this run); remove `goal.file` "
                     "to measure goals for this run, or give --goal")


def test_goal_networks_start_from_the_run_s_initial_weights(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    start = build_model("small_cnn", 2, (1, 8, 8))
    weights = tmp_path / "start.pt"
    torch.save(start.state_dict(), weights)
    built = initialized_builder("small_cnn", (1, 8, 8), weights)(3)
    head = find_head(built) + "."
    for key, value in built.state_dict().items():
        if not key.startswith(head):
            assert torch.equal(value, start.state_dict()[key]), key
    pipeline = write_pipeline(tmp_path / "init.yaml", goal={"value": None}, init=str(weights),
                              benchmark_options={**OPTIONS, "num_tasks": 1})
    assert main(["run", "--config", str(pipeline), "--quiet"]) == 0
    saved = json.loads(next((tmp_path / "baselines").glob("*.json")).read_text())
    assert saved["protocol"]["init"] == {"file": "start.pt", "sha256": file_digest(weights)}


def test_goal_training_killed_between_two_epochs_resumes_there(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    pipeline = write_pipeline(tmp_path / "goals.yaml", goal={"value": None})
    kill_after_save(monkeypatch, lambda state: state.get("position", {}).get("epoch") == 2)
    with pytest.raises(Killed):
        main(["run", "--config", str(pipeline), "--quiet"])
    capsys.readouterr()
    assert main(["run", "--config", str(pipeline), "--quiet"]) == 0
    assert "resuming the work saved in checkpoints/work/goals-" in capsys.readouterr().err
    resumed = json.loads(next((tmp_path / "baselines").glob("*.json")).read_text())
    (tmp_path / "baselines").rename(tmp_path / "resumed")
    assert main(["run", "--config", str(pipeline), "--name", "again", "--quiet"]) == 0
    whole = json.loads(next((tmp_path / "baselines").glob("*.json")).read_text())
    assert resumed["tasks"] == whole["tasks"]
