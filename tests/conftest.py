"""Shared fixtures: small, fast run configurations on synthetic data."""

from pathlib import Path
from typing import Any

import pytest

from cpg.config import RunConfig, build_config
from cpg.report import ConsoleReport
from tests.fixtures.cifar_archive import TEST_PER_CLASS, TRAIN_PER_CLASS, write_cifar10, write_cifar100
from tests.fixtures.mnist_idx import write_mnist

QUICK: dict[str, Any] = {
    "tasks": "synthetic",
    "benchmark_options": {"num_tasks": 3, "classes_per_task": 2, "train_per_class": 40, "test_per_class": 20,
                          "image_size": 8, "channels": 1, "difficulty": 0.3},
    "arch": "small_cnn",
    "max_width": 1.0,
    "batch_size": 16,
    "goal": {"value": 0.0},
    "save_every_seconds": 0,
    "finetune": {"epochs": 3, "lr": 0.05, "lr_steps": {}, "mask_lr": 0.005, "mask_lr_steps": {}},
    "prune": {"targets": [0.5, 0.8], "epochs": 2, "ramp_epochs": 1, "update_every": 2},
    "retrain": {"epochs": 2, "patience": 2},
}


def merge(base: dict[str, Any], layer: dict[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in layer.items():
        result[key] = merge(result[key], value) if isinstance(value, dict) and isinstance(result.get(key), dict) and key != "benchmark_options" else value
    return result


@pytest.fixture
def quick_config(tmp_path: Path):
    """`quick_config(**overrides)` → a RunConfig that trains in seconds, writing under tmp_path."""

    def make(**overrides: Any) -> RunConfig:
        layer = merge(QUICK, {"checkpoint_dir": str(tmp_path / "checkpoints"), "log_dir": str(tmp_path / "logs"),
                              "name": "run", **overrides})
        return build_config(("test", layer))

    return make


@pytest.fixture
def quiet() -> ConsoleReport:
    return ConsoleReport(quiet=True)


@pytest.fixture(scope="session")
def cifar_root(tmp_path_factory) -> Path:
    """CIFAR-10 and CIFAR-100 archives in the real format, with TRAIN_PER_CLASS training and
    TEST_PER_CLASS test images per class."""
    root = tmp_path_factory.mktemp("cifar")
    write_cifar100(root, TRAIN_PER_CLASS, TEST_PER_CLASS)
    write_cifar10(root, TRAIN_PER_CLASS, TEST_PER_CLASS)
    return root


TORCHVISION_TRAIN, TORCHVISION_TEST = 8, 2
"""Training and test images per class of every dataset of `torchvision_root`."""


@pytest.fixture(scope="session")
def torchvision_root(tmp_path_factory) -> Path:
    """MNIST, Fashion-MNIST, CIFAR-10 and CIFAR-100 files in torchvision's formats, with
    TORCHVISION_TRAIN training and TORCHVISION_TEST test images per class."""
    root = tmp_path_factory.mktemp("torchvision")
    for folder in ("MNIST", "FashionMNIST"):
        write_mnist(root, folder, TORCHVISION_TRAIN, TORCHVISION_TEST)
    write_cifar10(root, TORCHVISION_TRAIN, TORCHVISION_TEST)
    write_cifar100(root, TORCHVISION_TRAIN, TORCHVISION_TEST)
    return root
