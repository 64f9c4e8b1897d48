"""The CIFAR-100-20 protocol, shortened (two pruning steps, a small network), on an archive the test
writes in the real format."""

import json
from pathlib import Path

from cpg.cli import main
from tests.fixtures.cifar_archive import CIFAR100_COARSE_LABEL_NAMES, write_cifar100


def test_cifar100_20_runs_from_a_local_archive(tmp_path, monkeypatch, capsys):
    write_cifar100(tmp_path / "data", train_per_class=6, test_per_class=2)
    monkeypatch.chdir(tmp_path)
    protocol = Path(__file__).parents[1] / "pipelines" / "cifar100-20.yaml"
    (tmp_path / "short.yaml").write_text(f"base: {protocol}\nprune:\n  targets: [0.5, 0.9]\n")
    code = main([
        "run", "--config", "short.yaml", "--arch", "small_cnn", "--data-root", "data", "--no-verify-checksums",
        "--epochs-scale", "0.01", "--goal", "0", "--max-width", "1", "--name", "cifar", "--quiet",
    ])
    assert code == 0
    results = json.loads((tmp_path / "checkpoints" / "cifar" / "results.json").read_text())
    assert [task["name"] for task in results["tasks"]] == CIFAR100_COARSE_LABEL_NAMES
    assert [len(row) for row in results["accuracy_matrix"]] == list(range(1, 21))
    assert results["forgetting"] == [0.0] * 19
    assert (tmp_path / "logs" / "cifar").is_dir()
    assert "vehicles_2" in capsys.readouterr().out


def test_the_headline_command_runs_as_typed_measuring_its_goals(tmp_path, monkeypatch, capsys):
    """`cpg run --tasks cifar100-20 --max-width 1.5`, exactly, with a cifar-100-python folder under
    ./data: the shipped goals are the paper's test accuracies, so a run selecting on validation
    measures its own first. A pipeline in ./pipelines shortens the protocol (as a user's would)."""
    write_cifar100(tmp_path / "data", train_per_class=6, test_per_class=2)
    monkeypatch.chdir(tmp_path)
    protocol = Path(__file__).parents[1] / "pipelines" / "cifar100-20.yaml"
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "cifar100-20.yaml").write_text(
        f"base: {protocol}\narch: small_cnn\nverify_checksums: false\nepochs_scale: 0.01\n"
        "prune:\n  targets: [0.5, 0.9]\n")
    (tmp_path / "baselines").mkdir()
    published = json.loads((Path(__file__).parents[1] / "baselines" / "cifar100-20-vgg16.json").read_text())
    (tmp_path / "baselines" / "cifar100-20-small_cnn.json").write_text(json.dumps({**published, "arch": "small_cnn"}))
    assert main(["run", "--tasks", "cifar100-20", "--max-width", "1.5"]) == 0
    printed = capsys.readouterr().err
    assert ("baselines/cifar100-20-small_cnn.json: it holds a paper's published test accuracies, for runs that "
            "select on them (`select_on` test)") in printed
    assert "measuring the goals: training one small_cnn per task first (20 × 1 epochs)" in printed
    results = json.loads((tmp_path / "checkpoints" / "cifar100-20-small_cnn-cpg-w1.5-s0" / "results.json").read_text())
    assert len(results["tasks"]) == 20 and all(task["goal"] is not None for task in results["tasks"])


def test_the_shipped_cifar100_goals_serve_the_paper_s_test_selection_only(cifar_root):
    from cpg.config import build_config
    from cpg.data import build_benchmark
    from cpg.goals import GoalFile, goal_protocol

    benchmark = build_benchmark("cifar100-20", data_root=cifar_root, verify_checksums=False)
    shipped = GoalFile.read(Path(__file__).parents[1] / "baselines" / "cifar100-20-vgg16.json")
    config = build_config(("test", {"tasks": "cifar100-20", "arch": "vgg16"}))
    assert shipped.problem(benchmark, "vgg16", "val", goal_protocol(config)) == (
        "it holds a paper's published test accuracies, for runs that select on them (`select_on` test)")
    assert shipped.problem(benchmark, "vgg16", "test", goal_protocol(config)) is None
    assert [goal.accuracy for goal in shipped.goals("test")][:2] == [0.658, 0.784]
