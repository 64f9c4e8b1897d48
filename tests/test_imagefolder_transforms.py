"""Image-folder transforms: defaults that follow the images, options validated in one line."""

import re

import numpy as np
import pytest
import torch

from cpg.data import build_benchmark
from cpg.errors import UserError
from tests.fixtures.image_folders import read_pixels, write_image_tree


def _tasks(*roots):
    return [{"name": root.name, "root": str(root)} for root in roots]


@pytest.fixture
def gray_roots(tmp_path):
    return [write_image_tree(tmp_path / name, seed=seed) for seed, name in enumerate(("shapes", "more"))]


def _expected(task, index, mean, std):
    """The stored pixels of the task's training image ``index``, normalised by hand."""
    dataset = task.train.dataset
    path = dataset.samples[task.train.indices[index]][0]
    return torch.from_numpy((read_pixels(path) - mean[:, None, None]) / std[:, None, None]).float()


def _kept_pixels(task):
    dataset = task.train.dataset
    return np.stack([read_pixels(dataset.samples[i][0]) for i in task.train.indices])


def test_small_grayscale_folders_keep_their_size_and_channels_without_any_option(gray_roots):
    benchmark = build_benchmark("imagefolder", options={"tasks": _tasks(*gray_roots)})
    assert benchmark.input_shape == (1, 28, 28)
    for task in benchmark.tasks:
        pixels = _kept_pixels(task)
        mean, std = pixels.mean(axis=(0, 2, 3)), pixels.std(axis=(0, 2, 3))
        for index in range(3):
            image, _ = task.train[index]
            assert image.shape == (1, 28, 28)
            # no resize, no crop, no flip: exactly the stored pixels, normalised by the task's statistics
            assert torch.allclose(image, _expected(task, index, mean, std), atol=1e-5)
        test_image, _ = task.test[0]
        assert test_image.shape == (1, 28, 28)
    described = benchmark.describe()
    assert "input 1×28×28" in described and "own size 28×28" in described and "grayscale" in described
    assert "no augmentation" in described and "own training" in described


def test_task_statistics_make_each_tasks_training_images_zero_mean_unit_std(gray_roots):
    benchmark = build_benchmark("imagefolder", options={"tasks": _tasks(*gray_roots)})
    for task in benchmark.tasks:
        images = torch.stack([task.train[i][0] for i in range(len(task.train))]).double()
        assert images.mean().item() == pytest.approx(0.0, abs=1e-5)
        assert images.std(unbiased=False).item() == pytest.approx(1.0, abs=1e-5)


def test_rgb_images_of_their_own_size_stay_rgb(tmp_path):
    root = write_image_tree(tmp_path / "colour", size=(14, 12), mode="RGB")
    benchmark = build_benchmark("imagefolder", options={"tasks": _tasks(root)})
    assert benchmark.input_shape == (3, 14, 12)
    assert benchmark.tasks[0].train[0][0].shape == (3, 14, 12)


def test_mixed_modes_default_to_rgb(tmp_path):
    roots = [write_image_tree(tmp_path / "gray"), write_image_tree(tmp_path / "colour", mode="RGB")]
    benchmark = build_benchmark("imagefolder", options={"tasks": _tasks(*roots)})
    assert benchmark.input_shape == (3, 28, 28)
    assert benchmark.tasks[0].train[0][0].shape == (3, 28, 28)


def test_explicit_size_channels_crop_flip_and_imagenet_statistics(gray_roots):
    benchmark = build_benchmark("imagefolder", options={
        "tasks": _tasks(*gray_roots), "image_size": 16, "channels": "rgb", "augment": "crop-flip",
        "normalize": "imagenet"})
    assert benchmark.input_shape == (3, 16, 16)
    task = benchmark.tasks[0]
    assert task.train[0][0].shape == task.test[0][0].shape == (3, 16, 16)
    steps = [type(step).__name__ for step in task.train.dataset.transform.transforms]
    assert steps == ["Resize", "CenterCrop", "RandomCrop", "RandomHorizontalFlip", "ToTensor", "Normalize"]
    assert task.train.dataset.transform.transforms[2].padding == 2
    assert "RandomCrop" not in [type(step).__name__ for step in task.test.transform.transforms]
    assert "ImageNet" in benchmark.describe() and "zero padding 2" in benchmark.describe()


def test_random_resized_is_imagenets_crop_and_evaluation(gray_roots):
    benchmark = build_benchmark("imagefolder", options={
        "tasks": _tasks(gray_roots[0]), "image_size": 16, "augment": "random-resized"})
    task = benchmark.tasks[0]
    train_steps = task.train.dataset.transform.transforms
    assert [type(step).__name__ for step in train_steps[:2]] == ["RandomResizedCrop", "RandomHorizontalFlip"]
    assert train_steps[0].scale == (0.08, 1.0)
    resize, crop = task.test.transform.transforms[:2]
    assert resize.size == round(16 * 256 / 224) and crop.size == (16, 16)
    assert task.train[0][0].shape == (1, 16, 16)


def test_given_mean_and_std_are_used_as_given(gray_roots):
    benchmark = build_benchmark("imagefolder", options={
        "tasks": _tasks(gray_roots[0]), "normalize": {"mean": [0.25], "std": [0.5]}})
    task = benchmark.tasks[0]
    assert torch.allclose(task.train[0][0], _expected(task, 0, np.array([0.25]), np.array([0.5])), atol=1e-6)


def test_images_of_several_sizes_need_image_size(tmp_path):
    roots = [write_image_tree(tmp_path / "small"), write_image_tree(tmp_path / "large", size=(32, 32))]
    with pytest.raises(UserError, match="image_size") as error:
        build_benchmark("imagefolder", options={"tasks": _tasks(*roots)})
    assert "28×28" in str(error.value) and "32×32" in str(error.value)
    resized = build_benchmark("imagefolder", options={"tasks": _tasks(*roots), "image_size": 24})
    assert resized.input_shape == (1, 24, 24)


@pytest.mark.parametrize(("options", "named"), [
    ({"image_size": 0}, "image_size"),
    ({"image_size": "big"}, "image_size"),
    ({"channels": "bgr"}, "channels"),
    ({"augment": "flip"}, "augment"),
    ({"normalize": "z-score"}, "normalize"),
    ({"normalize": {"mean": [0.5], "std": [0.0]}}, "normalize"),
    ({"normalize": {"mean": [0.5], "std": [0.5, 0.5]}}, "normalize"),
    ({"normalize": {"mean": [0.5, 0.5, 0.5], "std": [0.2, 0.2, 0.2]}}, "normalize"),
    ({"normalize": "imagenet"}, "normalize"),
    ({"normalize": "imagenet", "channels": "grayscale"}, "normalize"),
    ({"resize": 8}, "resize"),
])
def test_bad_transform_options_are_one_line_errors_naming_the_option(gray_roots, options, named):
    with pytest.raises(UserError) as error:
        build_benchmark("imagefolder", options={"tasks": _tasks(gray_roots[0]), **options})
    message = str(error.value)
    assert "\n" not in message and re.search(rf"'?{named}'?", message)
