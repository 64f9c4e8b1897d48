"""`cpg.data.from_tensors`: a benchmark from your own image and label tensors."""

import pytest
import torch

from cpg.data import from_tensors
from cpg.errors import UserError


def _split(count: int, classes: int, seed: int, shape=(3, 6, 6), dtype=torch.float32):
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(count) % classes
    images = torch.rand(count, *shape, generator=generator) * 255
    return images.to(dtype), labels


def test_each_entry_becomes_a_task_with_its_classes_and_a_held_out_validation_part():
    benchmark = from_tensors("mine", tasks=[
        (*_split(40, 2, 0), *_split(10, 2, 1), ("cat", "dog")),
        (*_split(60, 3, 2), *_split(9, 3, 3), 3),
    ])
    assert benchmark.name == "mine" and benchmark.input_shape == (3, 6, 6)
    first, second = benchmark.tasks
    assert (first.name, first.classes) == ("mine_1", ("cat", "dog"))
    assert (second.name, second.classes) == ("mine_2", ("0", "1", "2"))
    assert (len(first.train), len(first.val), len(first.test)) == (36, 4, 10)
    assert (len(second.train), len(second.val), len(second.test)) == (54, 6, 9)
    assert sorted(second.val.labels.tolist()) == [0, 0, 1, 1, 2, 2]
    assert "no augmentation" in benchmark.describe()


def test_images_are_normalised_by_the_statistics_of_their_tasks_training_part():
    train_images, train_labels = _split(40, 2, 0, dtype=torch.uint8)
    benchmark = from_tensors("mine", tasks=[(train_images, train_labels, *_split(10, 2, 1, dtype=torch.uint8), 2)])
    task = benchmark.tasks[0]
    images, labels = task.train.__getitems__(list(range(len(task.train))))
    assert images.dtype == torch.float32 and labels.dtype == torch.int64
    per_channel = images.transpose(0, 1).flatten(1)
    assert torch.allclose(per_channel.mean(1), torch.zeros(3), atol=1e-4)
    assert torch.allclose(per_channel.std(1, unbiased=False), torch.ones(3), atol=1e-3)


def test_augment_crops_and_flips_training_images_only():
    benchmark = from_tensors("mine", tasks=[(*_split(40, 2, 0, shape=(1, 16, 16)), *_split(10, 2, 1, shape=(1, 16, 16)), 2)],
                             augment=True, task_names=["digits"])
    task = benchmark.tasks[0]
    assert task.name == "digits" and task.train.augment.padding == 2
    assert task.val.augment is None and task.test.augment is None
    assert "randomly cropped (zero padding 2)" in benchmark.describe()


@pytest.mark.parametrize(("tasks", "message"), [
    ([], "at least one task"),
    ([(*_split(20, 2, 0), *_split(5, 2, 1, shape=(3, 7, 7)), 2)], "same C×H×W"),
    ([(*_split(20, 2, 0), *_split(5, 2, 1), 1)], "at least 2 distinct classes"),
    ([(*_split(20, 3, 0), *_split(5, 2, 1), 2)], "labels must be in 0 … 1"),
    ([(_split(20, 2, 0)[0][:, 0], _split(20, 2, 0)[1], *_split(5, 2, 1), 2)], r"\[N, C, H, W\]"),
    ([(_split(20, 2, 0)[0], _split(20, 2, 0)[1][:10], *_split(5, 2, 1), 2)], "one per image"),
    ([(*_split(20, 2, 0), *_split(5, 2, 1))], "got 4 items"),
    ([(*_split(20, 2, 0), *_split(5, 2, 1), "two")], "classes must be"),
])
def test_malformed_tensors_are_user_errors(tasks, message):
    with pytest.raises(UserError, match=message):
        from_tensors("mine", tasks=tasks)
