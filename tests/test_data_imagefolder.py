import re

import numpy as np
import pytest
import torch
from PIL import Image

from cpg.data import build_benchmark, make_loader
from cpg.errors import UserError

CLASSES = ("ant", "bee")
TRAIN_PER_CLASS, TEST_PER_CLASS = 10, 2


def _write_tree(root, seed=0):
    rng = np.random.default_rng(seed)
    for split, count in (("train", TRAIN_PER_CLASS), ("test", TEST_PER_CLASS)):
        for label, name in enumerate(CLASSES):
            folder = root / split / name
            folder.mkdir(parents=True)
            for index in range(count):
                pixels = rng.integers(0, 256, (14, 12, 3), dtype=np.uint8)
                pixels[..., 0] = 255 * label
                Image.fromarray(pixels).save(folder / f"{index}.png")
    return root


def _build(tasks, **options):
    return build_benchmark("imagefolder", options={"tasks": tasks, **options})


@pytest.fixture
def two_roots(tmp_path):
    return [_write_tree(tmp_path / name, seed) for seed, name in enumerate(("insects", "more"))]


def test_imagefolder_tasks_from_png_trees(two_roots):
    tasks = [{"name": "insects", "root": str(two_roots[0])}, {"name": "more", "root": two_roots[1]}]
    benchmark = _build(tasks, image_size=8)
    assert benchmark.input_shape == (3, 8, 8)
    assert [task.name for task in benchmark.tasks] == ["insects", "more"]
    task = benchmark.tasks[0]
    assert task.classes == CLASSES
    assert len(task.train) == 18 and len(task.val) == 2 and len(task.test) == 4
    assert sorted(label for _, label in (task.val[i] for i in range(2))) == [0, 1]
    image, _ = task.test[0]
    assert image.shape == (3, 8, 8) and image.dtype == torch.float32
    assert torch.equal(task.val[0][0], task.val[0][0])


def test_imagefolder_val_and_train_are_disjoint(two_roots):
    task = _build([{"name": "insects", "root": str(two_roots[0])}]).tasks[0]
    assert not set(task.train.indices) & set(task.val.indices)
    assert len(set(task.train.indices) | set(task.val.indices)) == 2 * TRAIN_PER_CLASS


def test_imagefolder_loader_order_is_seeded(two_roots):
    task = _build([{"name": "insects", "root": str(two_roots[0])}], image_size=8).tasks[0]
    first, again, other = (
        torch.cat([labels for _, labels in make_loader(task.train, 4, shuffle=True, seed=s)])
        for s in (0, 0, 1)
    )
    assert first.dtype == torch.int64 and len(first) == 18
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_relative_roots_are_resolved_against_data_root(two_roots, tmp_path):
    benchmark = build_benchmark(
        "imagefolder", data_root=tmp_path, options={"tasks": [{"name": "a", "root": "insects"}]}
    )
    assert benchmark.tasks[0].classes == CLASSES


def test_missing_folder_is_a_user_error_naming_it(tmp_path):
    (tmp_path / "train" / "ant").mkdir(parents=True)
    with pytest.raises(UserError, match=re.escape(str(tmp_path / "test"))):
        _build([{"name": "a", "root": str(tmp_path)}])


def test_empty_class_folder_is_a_user_error(tmp_path):
    (tmp_path / "train" / "ant").mkdir(parents=True)
    (tmp_path / "test" / "ant").mkdir(parents=True)
    with pytest.raises(UserError, match="ImageFolder tree"):
        _build([{"name": "a", "root": str(tmp_path)}])


@pytest.mark.parametrize("tasks", [
    [],
    "cubs",
    [{"name": "a"}],
    [{"name": "a", "root": "x", "extra": 1}],
    [{"name": 3, "root": "x"}],
])
def test_malformed_tasks_option_is_a_user_error(tasks):
    with pytest.raises(UserError, match="'tasks'"):
        _build(tasks)


def test_repeated_task_name_is_a_user_error(two_roots):
    entry = {"name": "insects", "root": str(two_roots[0])}
    with pytest.raises(UserError, match="more than once"):
        _build([entry, entry])


def test_unknown_imagefolder_option_is_a_user_error(two_roots):
    with pytest.raises(UserError, match="'size'"):
        _build([{"name": "a", "root": str(two_roots[0])}], size=8)
