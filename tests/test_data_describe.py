"""Every registered benchmark's console line says what its tasks do to their images, checked
against the images on generated data: a training split that augments is described as augmented
and one that does not says "no augmentation"; a line saying each task is normalised by its own
training statistics belongs to training images at mean 0 and std 1 per channel; perm-mnist and
rot-mnist name the transformation each task applies."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch.utils.data import Dataset
from torchvision.transforms import InterpolationMode
from torchvision.transforms.v2 import functional as F

from cpg.data import BENCHMARKS, Benchmark, build_benchmark
from cpg.data.in_memory import InMemoryImages
from tests.fixtures.image_folders import write_image_tree
from tests.fixtures.mnist_idx import FILES, read_idx

SMALL = {"synthetic": {"num_tasks": 2}, "perm-mnist": {"num_tasks": 2}, "rot-mnist": {"angles": [0, 90]}}
"""Options that keep a benchmark small (none: its defaults)."""
READS = 8
"""Training images read twice to tell whether the split augments them."""


@pytest.fixture(scope="module")
def build(torchvision_root, tmp_path_factory) -> Callable[..., Benchmark]:
    """``build(name, **options)``: benchmark ``name`` on generated files (the torchvision
    formats, and an image folder tree for imagefolder)."""
    shapes = write_image_tree(tmp_path_factory.mktemp("shapes"), size=(8, 8))
    small = {**SMALL, "imagefolder": {"tasks": [{"name": "shapes", "root": str(shapes)}]}}

    def make(name: str, **options) -> Benchmark:
        return build_benchmark(name, data_root=torchvision_root, verify_checksums=False,
                               options={**small.get(name, {}), **options})

    return make


def augments(dataset: Dataset) -> bool:
    """Whether reading the same training images under two seeds gives different inputs."""
    reads = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        reads.append(torch.stack([dataset[index][0] for index in range(min(READS, len(dataset)))]))
    return not torch.equal(*reads)


def unaugmented(dataset: Dataset) -> Dataset:
    """``dataset`` read without its augmentation (an image folder split that augments has no such view)."""
    if isinstance(dataset, InMemoryImages):
        return InMemoryImages(dataset.images, dataset.labels, dataset.mean, dataset.std)
    assert not augments(dataset), "no unaugmented view of an augmented image folder split"
    return dataset


def at_unit_statistics(dataset: Dataset) -> bool:
    """Whether the images of ``dataset`` have mean 0 and std 1 in every channel."""
    channels = torch.stack([dataset[index][0] for index in range(len(dataset))]).transpose(0, 1).flatten(1)
    mean, std = channels.mean(1), channels.std(1, unbiased=False)
    return bool(torch.allclose(mean, torch.zeros_like(mean), atol=1e-4) and torch.allclose(std, torch.ones_like(std), atol=1e-3))


def mnist_test_images(root: Path) -> torch.Tensor:
    """The generated MNIST test images [N, 1, 28, 28], read without torchvision or cpg."""
    _, _, values = read_idx(root / "MNIST" / "raw" / FILES["test"][0])
    return torch.from_numpy(values.copy()).unsqueeze(1)


@pytest.mark.parametrize("name", sorted(BENCHMARKS.names()))
def test_the_line_says_whether_training_images_are_augmented(build, name):
    benchmark = build(name)
    line = benchmark.describe()
    for task in benchmark.tasks:
        assert ("no augmentation" not in line) == augments(task.train), line
        augment = getattr(task.train, "augment", None)
        assert augment is None or augment.describe() in line
        assert not augments(task.val) and not augments(task.test)


@pytest.mark.parametrize("name", sorted(BENCHMARKS.names()))
def test_the_line_says_whether_each_task_is_normalised_by_its_own_training_images(build, name):
    benchmark = build(name)
    said = bool(re.search(r"each task normalised by .*own training", benchmark.describe()))
    assert [said] * len(benchmark.tasks) == [at_unit_statistics(unaugmented(task.train)) for task in benchmark.tasks]


@pytest.mark.parametrize("identity_first", [True, False])
def test_the_perm_mnist_line_names_its_permutations(build, torchvision_root, identity_first):
    benchmark = build("perm-mnist", identity_first=identity_first)
    line = benchmark.describe()
    unpermuted = [torch.equal(task.test.images, mnist_test_images(torchvision_root)) for task in benchmark.tasks]
    assert ("first task unpermuted" in line) == unpermuted[0]
    assert "pixels shuffled by its own fixed permutation (seed 0" in line and not any(unpermuted[1:])


def test_the_rot_mnist_line_lists_the_angle_each_task_turns_its_images_by(build, torchvision_root):
    benchmark = build("rot-mnist", angles=[90, 0, 45])
    listed = re.search(r"turned counter-clockwise by its angle \(([^;]*);", benchmark.describe()).group(1)
    angles = [float(angle.removesuffix("°")) for angle in listed.split(", ")]
    raw = mnist_test_images(torchvision_root)
    assert len(angles) == len(benchmark.tasks)
    for angle, task in zip(angles, benchmark.tasks):
        assert torch.equal(task.test.images, F.rotate(raw, angle, interpolation=InterpolationMode.BILINEAR))
