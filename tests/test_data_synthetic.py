import pytest
import torch

from cpg.data import build_benchmark
from cpg.errors import UserError


def _synthetic(**options):
    return build_benchmark("synthetic", options=options)


def _nearest_mean_accuracy(task):
    """Test accuracy of the nearest class mean of the training images."""
    images, labels = task.train.__getitems__(range(len(task.train)))
    means = torch.stack([images[labels == c].mean(0) for c in range(task.num_classes)])
    test_images, test_labels = task.test.__getitems__(range(len(task.test)))
    distances = torch.cdist(test_images.flatten(1), means.flatten(1))
    return (distances.argmin(1) == test_labels).float().mean().item()


def test_synthetic_defaults():
    benchmark = _synthetic()
    assert benchmark.input_shape == (1, 8, 8)
    assert [task.name for task in benchmark.tasks] == [f"synthetic_{i}" for i in range(1, 6)]
    for task in benchmark.tasks:
        assert task.num_classes == 2
        assert len(task.train) + len(task.val) == 200 and len(task.test) == 100
        assert torch.bincount(task.test.labels).tolist() == [50, 50]


def test_synthetic_options_shape_the_tasks():
    benchmark = _synthetic(num_tasks=2, classes_per_task=3, train_per_class=20,
                           test_per_class=4, image_size=12, channels=3)
    assert benchmark.input_shape == (3, 12, 12) and len(benchmark.tasks) == 2
    task = benchmark.tasks[1]
    assert task.classes == ("class_0", "class_1", "class_2")
    assert task.train[0][0].shape == (3, 12, 12)
    assert len(task.train) + len(task.val) == 60 and len(task.test) == 12


def test_synthetic_is_deterministic_given_its_seed():
    first, again, other = _synthetic(), _synthetic(seed=0), _synthetic(seed=1)
    assert torch.equal(first.tasks[2].train.images, again.tasks[2].train.images)
    assert not torch.equal(first.tasks[2].train.images, other.tasks[2].train.images)


def test_adding_tasks_keeps_the_earlier_ones():
    few, more = _synthetic(num_tasks=2), _synthetic(num_tasks=4)
    assert torch.equal(few.tasks[1].test.images, more.tasks[1].test.images)


def test_tasks_have_different_prototypes():
    first, second = _synthetic(difficulty=0.0).tasks[:2]
    assert (first.test.images.mean(0) - second.test.images.mean(0)).abs().max() > 0.5


def test_higher_difficulty_is_harder():
    easy, hard = (
        [_nearest_mean_accuracy(t) for t in _synthetic(difficulty=d, classes_per_task=5).tasks]
        for d in (0.0, 1.0)
    )
    assert min(easy) == 1.0
    assert max(hard) < 0.8


@pytest.mark.parametrize("difficulty", [-0.1, 1.5, "hard", None, True])
def test_difficulty_outside_0_1_is_a_user_error(difficulty):
    with pytest.raises(UserError, match="'difficulty'"):
        _synthetic(difficulty=difficulty)


@pytest.mark.parametrize(("key", "value"), [
    ("num_tasks", 0), ("classes_per_task", 1), ("train_per_class", 1), ("image_size", 2.5),
    ("channels", "3"), ("seed", -1), ("test_per_class", False),
])
def test_bad_integer_options_are_user_errors(key, value):
    with pytest.raises(UserError, match=f"'{key}'"):
        _synthetic(**{key: value})


def test_unknown_option_is_a_user_error_naming_it():
    with pytest.raises(UserError, match="'num_task'"):
        _synthetic(num_task=3)
