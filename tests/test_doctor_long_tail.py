import math

import pytest
import torch
import torch.nn.functional as F

from cpg.data import build_benchmark
from cpg.data.batches import TaskData
from cpg.data.labels import class_counts
from cpg.data.long_tail import long_tail_sizes, split_long_tail_name
from cpg.errors import UserError
from cpg.losses import focal_loss


@pytest.mark.parametrize("ratio", [10, 50])
def test_class_sizes_decay_exponentially_from_n_max_to_n_max_over_rho(ratio):
    balanced = build_benchmark("digits-10").tasks[0]
    benchmark = build_benchmark("digits-10", options={"imbalance": ratio})
    task = benchmark.tasks[0]
    n_max = int(class_counts(balanced.train, 10).min())
    counts = class_counts(task.train, 10).tolist()
    assert counts[0] == n_max and counts[-1] == max(1, int(n_max / ratio))
    for label, count in enumerate(counts):
        assert count == max(1, int(n_max * ratio ** (-label / 9)))
    assert benchmark.name == f"digits-10-lt{ratio}"
    assert len(task.val) == len(balanced.val) and len(task.test) == len(balanced.test)


def test_long_tailed_examples_are_a_subset_of_the_balanced_split():
    balanced = build_benchmark("digits-10").tasks[0].train
    tail = build_benchmark("digits-10", options={"imbalance": 10}).tasks[0].train
    rows = {tuple(image.flatten().tolist()) for image in balanced.images}
    assert all(tuple(image.flatten().tolist()) in rows for image in tail.images)
    assert torch.equal(tail.mean, balanced.mean)


def test_every_benchmark_takes_the_option():
    options = {"num_tasks": 2, "classes_per_task": 3, "train_per_class": 40, "imbalance": 4}
    for task in build_benchmark("synthetic", options=options).tasks:
        assert class_counts(task.train, 3).tolist() == long_tail_sizes(36, 3, 4)


@pytest.mark.parametrize("ratio", [0.5, -1, "ten", True])
def test_a_ratio_below_one_is_a_user_error(ratio):
    with pytest.raises(UserError, match="'imbalance'"):
        build_benchmark("digits-10", options={"imbalance": ratio})


def test_unknown_options_list_imbalance_as_accepted():
    with pytest.raises(UserError, match="accepted options: imbalance"):
        build_benchmark("digits-10", options={"num_tasks": 3})


def test_long_tail_names_read_back():
    assert split_long_tail_name("digits-10-lt10") == ("digits-10", 10.0)
    assert split_long_tail_name("cifar100-20-lt2.5") == ("cifar100-20", 2.5)
    assert split_long_tail_name("digits-10") == ("digits-10", None)


def test_balanced_sampling_draws_classes_about_equally_and_replays_with_its_seed():
    task = build_benchmark("digits-10", options={"imbalance": 10}).tasks[0]
    data = TaskData(task, 64, 256, seed=3, balanced=True)
    labels = torch.cat([targets for _, targets in data.train_batches("epoch", 0)])
    again = torch.cat([targets for _, targets in data.train_batches("epoch", 0)])
    assert len(labels) == len(task.train) and torch.equal(labels, again)
    drawn = torch.bincount(labels, minlength=10).float()
    assert drawn.min() > 0.5 * drawn.mean() and drawn.max() < 1.5 * drawn.mean()
    natural = class_counts(task.train, 10).float()
    assert natural.max() > 5 * natural.min()


def test_focal_loss_is_cross_entropy_at_gamma_zero_and_down_weights_easy_examples():
    logits = torch.tensor([[4.0, 0.0], [0.2, 0.0]])
    targets = torch.tensor([0, 0])
    assert focal_loss(0.0) is F.cross_entropy
    per_example = F.cross_entropy(logits, targets, reduction="none")
    probability = torch.exp(-per_example)
    expected = ((1 - probability) ** 2 * per_example).mean()
    assert torch.allclose(focal_loss(2.0)(logits, targets), expected)
    assert math.isclose(focal_loss(2.0)(logits[:1], targets[:1]).item() / per_example[0].item(),
                        (1 - probability[0].item()) ** 2, rel_tol=1e-5)
