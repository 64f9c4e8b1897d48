"""Target problems: balanced one-vs-rest with a fixed seed, class subsets, superclasses, and a
cap on their training images."""

import pytest
import torch

from cpg.config.seam import seam_config
from cpg.seam.target import (
    SPLITS, balanced_indices, binary_problem, proportional_shares, resolve_class, subset_problem, superclass_problem,
)
from cpg.data import Task
from cpg.data.in_memory import InMemoryImages
from cpg.data.superclasses import SUPERCLASSES
from cpg.errors import UserError
from tests.fixtures.seam import digits_task


def test_balanced_indices_take_every_positive_and_as_many_others():
    labels = torch.tensor([0, 1, 2, 1, 3, 1, 0, 2, 2, 3, 1])
    positives, negatives = balanced_indices(labels, 1, seed=0)
    assert positives.tolist() == [1, 3, 5, 10]
    assert len(negatives) == 4 and len(set(negatives.tolist())) == 4
    assert bool((labels[negatives] != 1).all())
    assert negatives.tolist() == sorted(negatives.tolist())


def test_balanced_sampling_is_fixed_by_its_seed():
    labels = torch.arange(200) % 10
    first = balanced_indices(labels, 3, seed=0)[1]
    assert torch.equal(first, balanced_indices(labels, 3, seed=0)[1])
    assert not torch.equal(first, balanced_indices(labels, 3, seed=1)[1])


def test_balanced_sampling_takes_all_others_when_they_are_fewer():
    labels = torch.tensor([1, 1, 1, 0])
    assert balanced_indices(labels, 1, seed=0)[1].tolist() == [3]


def test_binary_problem_is_balanced_on_every_split_and_keeps_the_source_normalisation():
    task = digits_task()
    problem = binary_problem(task, "3")
    assert problem.classes == ("3", "not 3")
    for split in SPLITS:
        source, target = getattr(task, split), problem.split(split)
        assert int((target.labels == 0).sum()) == int((source.labels == 3).sum()) == int((target.labels == 1).sum())
        assert torch.equal(target.mean, source.mean) and torch.equal(target.std, source.std)
        positives = target.images[target.labels == 0]
        assert torch.equal(positives, source.images[source.labels == 3])
    assert problem.collapse.tolist() == [1, 1, 1, 0, 1, 1, 1, 1, 1, 1]


def test_binary_problem_keeps_the_negatives_balancing_left_out():
    labels = torch.arange(40) % 4  # ten of each class
    images = torch.arange(40, dtype=torch.float32).view(40, 1, 1, 1)  # each image is its index
    split = InMemoryImages(images, labels, torch.zeros(1), torch.ones(1))
    problem = binary_problem(Task("four", ("a", "b", "c", "d"), split, split, split), "b")
    left_out = problem.left_out.images.flatten().long()
    taken = problem.train.images[problem.train.labels == 1].flatten().long()
    assert len(left_out) == 20 and bool((labels[left_out] != 1).all())
    assert sorted(left_out.tolist() + taken.tolist()) == (labels != 1).nonzero().flatten().tolist()
    assert problem.left_out.labels.tolist() == [1] * 20
    assert subset_problem(digits_task(), ["1", "2"]).left_out is None


def test_binary_problem_is_the_same_every_time():
    task = digits_task()
    assert torch.equal(binary_problem(task, "7").test.images, binary_problem(task, "7").test.images)


def test_subset_problem_relabels_in_the_given_order():
    task = digits_task()
    problem = subset_problem(task, ["7", "2", "5"])
    assert problem.classes == ("7", "2", "5") and problem.name == "7+2+5"
    source = task.test
    for label, digit in enumerate((7, 2, 5)):
        assert torch.equal(problem.test.images[problem.test.labels == label], source.images[source.labels == digit])
    assert len(problem.test) == int(sum((source.labels == digit).sum() for digit in (7, 2, 5)))
    assert problem.collapse.tolist() == [-1, -1, 1, -1, -1, 2, -1, 0, -1, -1]


def test_class_names_come_before_indices():
    assert resolve_class(("b", "a", "0"), "a") == 1
    assert resolve_class(("b", "a", "0"), "0") == 2
    assert resolve_class(("b", "a", "c"), "2") == 2


@pytest.mark.parametrize("token", ["10", "eleven", "-1"])
def test_unknown_target_class_is_a_user_error(token):
    with pytest.raises(UserError, match="is not a class of the source"):
        binary_problem(digits_task(), token)


def test_a_class_listed_twice_or_alone_is_a_user_error():
    with pytest.raises(UserError, match="twice"):
        subset_problem(digits_task(), ["1", "1"])
    with pytest.raises(UserError, match="at least two"):
        subset_problem(digits_task(), ["1"])


def fine_task() -> Task:
    classes = tuple(sorted(fine for fines in SUPERCLASSES.values() for fine in fines))
    labels = torch.arange(300) % 100
    split = InMemoryImages(torch.rand(300, 3, 4, 4), labels, torch.zeros(3), torch.ones(3))
    return Task("cifar100", classes, split, split, split)


def test_superclass_takes_its_five_fine_classes():
    task = fine_task()
    problem = superclass_problem(task, "flowers")
    assert problem.classes == ("orchid", "poppy", "rose", "sunflower", "tulip")
    assert len(problem.train) == 15 and sorted(set(problem.train.labels.tolist())) == [0, 1, 2, 3, 4]


def test_superclass_errors_name_the_problem():
    with pytest.raises(UserError, match="unknown superclass"):
        superclass_problem(fine_task(), "dragons")
    with pytest.raises(UserError, match="fine classes"):
        superclass_problem(digits_task(), "flowers")


def indexed_task(per_class: int = 40, num_classes: int = 10) -> Task:
    """A task whose every split holds `per_class` images of each class, each image its index."""
    count = per_class * num_classes
    split = InMemoryImages(torch.arange(count, dtype=torch.float32).view(count, 1, 1, 1),
                           torch.arange(count) % num_classes, torch.zeros(1), torch.ones(1))
    return Task("indexed", tuple("abcdefghij"[:num_classes]), split, split, split)


def source_labels(images: InMemoryImages, num_classes: int = 10) -> torch.Tensor:
    return images.images.flatten().long() % num_classes


def test_proportional_shares_are_whole_and_give_the_remainder_to_the_largest_fractions():
    assert proportional_shares(torch.tensor([5, 3, 2]), 5) == [3, 1, 1]  # 2.5, 1.5, 1.0: the tie goes to the first
    assert proportional_shares(torch.tensor([1, 1, 8]), 5) == [1, 0, 4]  # 0.5, 0.5, 4.0
    counts = torch.tensor([7, 11, 2, 30, 1])
    for total in range(int(counts.sum()) + 1):
        shares = torch.tensor(proportional_shares(counts, total))
        exact = counts.double() * total / counts.sum()
        assert int(shares.sum()) == total
        assert bool((shares >= exact.floor()).all()) and bool((shares <= exact.ceil()).all())


def test_a_cap_keeps_that_many_training_images_per_side_stratified_over_the_source_classes():
    task = indexed_task()
    whole, capped = binary_problem(task, "b"), binary_problem(task, "b", train_per_class=18)
    assert capped.train.labels.tolist() == [0] * 18 + [1] * 18
    assert bool((source_labels(capped.train)[:18] == 1).all())
    negatives = source_labels(whole.train)[whole.train.labels == 1]
    counts = torch.bincount(negatives, minlength=10)
    kept = torch.bincount(source_labels(capped.train)[18:], minlength=10)
    assert counts[1] == 0 and int(kept[counts == 0].sum()) == 0
    assert kept[counts > 0].tolist() == proportional_shares(counts[counts > 0], 18)
    assert set(capped.train.images.flatten().tolist()) <= set(whole.train.images.flatten().tolist())
    for split in ("val", "test"):
        assert torch.equal(capped.split(split).images, whole.split(split).images)
        assert torch.equal(capped.split(split).labels, whole.split(split).labels)


def test_a_capped_sample_is_fixed_and_drawn_at_random():
    task = indexed_task()
    first = binary_problem(task, "c", train_per_class=10).train.images
    assert torch.equal(first, binary_problem(task, "c", train_per_class=10).train.images)
    positives = first[:10].flatten().long()
    assert positives.tolist() != list(range(2, 102, 10))  # not simply the first ten of class c


def test_images_the_cap_drops_are_left_out_with_their_target_labels():
    task = indexed_task()
    problem = binary_problem(task, "b", train_per_class=18)
    left_out = problem.left_out
    taken = problem.train.images.flatten().long().tolist()
    assert sorted(taken + left_out.images.flatten().long().tolist()) == list(range(400))
    assert torch.equal(left_out.labels, (source_labels(left_out) != 1).long())
    assert int((left_out.labels == 0).sum()) == 40 - 18


def test_a_cap_applies_to_each_class_of_a_subset_and_is_described():
    problem = subset_problem(indexed_task(), ["c", "a", "e"], train_per_class=15)
    assert torch.bincount(problem.train.labels).tolist() == [15, 15, 15]
    assert len(problem.test) == 120 and len(problem.left_out) == 75
    assert problem.describe_data() == ("c+a+e: 45 of 120 training images (at most 15 per target class, stratified "
                                       "over the source's classes, fixed seed); all 120 val and 120 test images")


def test_a_cap_above_the_class_sizes_keeps_everything():
    whole, capped = binary_problem(indexed_task(), "d"), binary_problem(indexed_task(), "d", train_per_class=1000)
    assert torch.equal(whole.train.images, capped.train.images) and capped.sample.kept == capped.sample.available == 80
    assert capped.describe_data().startswith("d vs rest: all 80 training images;")


@pytest.mark.parametrize("value", [0, -3])
def test_the_cap_must_be_positive(value):
    with pytest.raises(UserError, match="target_train_per_class: must be at least 1"):
        seam_config(("file.yaml", {"target_train_per_class": value}))
