"""Short end-to-end runs of the standard sequences on files written in the real formats, and the
shipped pipelines of those sequences."""

from pathlib import Path

import pytest

from cpg.cli.pipelines import SHIPPED, resolve_config
from cpg.models import ARCHS
from cpg.workflows import execute
from tests.fixtures.cifar_archive import write_cifar10
from tests.fixtures.mnist_idx import write_mnist

SHORT = {"finetune": {"epochs": 2}, "prune": {"targets": [0.5], "epochs": 1}, "retrain": {"epochs": 1}}
"""Stages cut to the minimum that still runs each of them once."""
SEQUENCES = ("split-mnist", "perm-mnist", "rot-mnist", "split-fashion-mnist", "split-cifar10", "split-cifar100")


def test_split_mnist_grows_the_mnist_cnn_and_forgets_nothing(tmp_path, quick_config, quiet):
    write_mnist(tmp_path / "data", train_per_class=10, test_per_class=5)
    config = quick_config(tasks="split-mnist", arch="mnist_cnn", benchmark_options={}, data_root=str(tmp_path / "data"),
                          max_width=1.5, goal={"value": 1.0}, **SHORT)
    results = execute(config, console=quiet)
    assert [task["name"] for task in results["tasks"]] == ["mnist_0-1", "mnist_2-3", "mnist_4-5", "mnist_6-7",
                                                           "mnist_8-9"]
    assert [task["width"] for task in results["tasks"]] == [1.5] * 5
    assert results["forgetting"] == [0.0] * 4
    assert all(0.0 <= row[-1] <= 1.0 for row in results["accuracy_matrix"])


def test_perm_mnist_with_the_mlp_forgets_nothing(tmp_path, quick_config, quiet):
    write_mnist(tmp_path / "data", train_per_class=10, test_per_class=5)
    config = quick_config(tasks="perm-mnist", arch="mlp", benchmark_options={"num_tasks": 3},
                          data_root=str(tmp_path / "data"), **SHORT)
    results = execute(config, console=quiet)
    assert [task["name"] for task in results["tasks"]] == ["mnist_perm_1", "mnist_perm_2", "mnist_perm_3"]
    assert results["forgetting"] == [0.0] * 2


def test_split_cifar10_with_resnet20_forgets_nothing(tmp_path, quick_config, quiet):
    write_cifar10(tmp_path / "data", train_per_class=10, test_per_class=5)
    config = quick_config(tasks="split-cifar10", arch="resnet20", benchmark_options={}, data_root=str(tmp_path / "data"),
                          verify_checksums=False, **SHORT)
    results = execute(config, console=quiet)
    assert [task["name"] for task in results["tasks"]] == [f"cifar10_{c}-{c + 1}" for c in range(0, 10, 2)]
    assert results["forgetting"] == [0.0] * 4


@pytest.mark.parametrize("name", SEQUENCES)
def test_each_sequence_ships_a_short_pipeline_with_a_registered_arch(name):
    path = Path(SHIPPED) / f"{name}.yaml"
    config = resolve_config(str(path), None, {})
    assert config.tasks == name and config.arch in ARCHS
    assert 10 <= config.finetune.epochs <= 20
    assert all(epoch < config.finetune.epochs for epoch in config.finetune.lr_steps)
