import torch

from cpg.data import build_benchmark

NUM_DIGITS = 1797


def _labels(dataset):
    return torch.stack([torch.as_tensor(dataset[i][1]) for i in range(len(dataset))])


def test_digits_5_has_five_tasks_of_digit_pairs():
    benchmark = build_benchmark("digits-5")
    assert benchmark.input_shape == (1, 8, 8)
    assert [task.name for task in benchmark.tasks] == [
        "digits_0_1", "digits_2_3", "digits_4_5", "digits_6_7", "digits_8_9"
    ]
    assert [task.classes for task in benchmark.tasks] == [
        (str(2 * k), str(2 * k + 1)) for k in range(5)
    ]
    for task in benchmark.tasks:
        assert task.num_classes == 2
        for split in (task.train, task.val, task.test):
            image, label = split[0]
            assert image.shape == (1, 8, 8) and image.dtype == torch.float32
            assert set(_labels(split).tolist()) == {0, 1}


def test_digits_uses_every_image_once_with_a_30_percent_test_split():
    tasks = build_benchmark("digits-5").tasks
    total = sum(len(t.train) + len(t.val) + len(t.test) for t in tasks)
    test = sum(len(t.test) for t in tasks)
    assert total == NUM_DIGITS
    assert abs(test - 0.3 * NUM_DIGITS) < 5


def test_digits_10_is_one_task_of_ten_classes_matching_digits_5_test_split():
    (task,) = build_benchmark("digits-10").tasks
    assert task.name == "digits" and task.classes == tuple("0123456789")
    pairs = build_benchmark("digits-5").tasks
    assert len(task.test) == sum(len(pair.test) for pair in pairs)
    assert torch.bincount(_labels(task.test)).tolist() == [
        int((_labels(pair.test) == bit).sum()) for pair in pairs for bit in (0, 1)
    ]


def test_val_is_disjoint_from_train_and_stratified():
    for task in build_benchmark("digits-5").tasks:
        train = task.train.images.flatten(1)
        val = task.val.images.flatten(1)
        assert not (torch.cdist(val, train) == 0).any()  # the digits images are all distinct
        assert torch.equal(task.train.mean, task.val.mean)
        train_share = torch.bincount(task.train.labels) / len(task.train)
        val_share = torch.bincount(task.val.labels) / len(task.val)
        assert torch.allclose(train_share, val_share, atol=0.05)
        assert 0.08 < len(task.val) / (len(task.train) + len(task.val)) < 0.12


def test_each_task_is_normalised_by_its_own_training_statistics():
    for task in build_benchmark("digits-5").tasks:
        images, _ = task.train.__getitems__(range(len(task.train)))
        assert abs(images.mean().item()) < 1e-5
        assert abs(images.std(correction=0).item() - 1) < 1e-5


def test_digits_do_not_augment():
    task = build_benchmark("digits-5").tasks[0]
    assert torch.equal(task.train[3][0], task.train[3][0])
