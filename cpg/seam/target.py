"""Target problems: what the re-engineered module must solve, built from the source's data.

- binary: one class (label 0) against the rest (label 1), balanced on every split by drawing
  as many examples of the other classes as the class has, with a fixed seed;
- multi-class: a listed subset of the source's classes, or a CIFAR-100 superclass, relabelled
  0 … k−1 in the order given.

A cap (`train_per_class`) keeps at most that many training images of each target class,
stratified over the source classes it gathers, with a fixed seed; validation and test stay
whole. It makes a CPU protocol on CIFAR-10 a statement about data rather than an edit.

Every split keeps the source's normalisation (and the training split its augmentation): the
source model must see the images it was trained to see.
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from cpg.data import Task
from cpg.data.in_memory import InMemoryImages
from cpg.data.split import stratified_sample
from cpg.data.superclasses import SUPERCLASSES
from cpg.errors import SettingError, UserError

SAMPLING_SEED = 0
"""Seed of the balanced sampling: a property of the target problem, not of a run."""

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class TrainingSample:
    """What the training split holds: `kept` of the problem's `available` training images,
    at most `per_class` of each target class (None: no cap, all of them)."""

    available: int
    kept: int
    per_class: int | None = None

    def describe(self) -> str:
        if self.per_class is None or self.kept == self.available:
            return f"all {self.available:,} training images"
        return (f"{self.kept:,} of {self.available:,} training images (at most {self.per_class:,} per target class, "
                f"stratified over the source's classes, fixed seed)")


@dataclass(frozen=True)
class TargetProblem:
    name: str
    classes: tuple[str, ...]
    train: InMemoryImages
    val: InMemoryImages
    test: InMemoryImages
    collapse: Tensor
    """[source classes] → the target label the source's prediction means, −1 for a class
    outside the problem (a prediction that is always wrong)."""
    sample: TrainingSample
    left_out: InMemoryImages | None = None
    """Training images of classes the problem covers that its training sample does not hold
    (one vs rest: the other classes' images beyond the balanced sample; with a cap, also the
    images it dropped), labelled with their target label."""

    def describe_data(self) -> str:
        """The images of each split, in one line."""
        return f"{self.name}: {self.sample.describe()}; all {len(self.val):,} val and {len(self.test):,} test images"

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def split(self, name: str) -> InMemoryImages:
        return {"train": self.train, "val": self.val, "test": self.test}[name]


def resolve_class(classes: tuple[str, ...], token: str) -> int:
    """Index of a class given by name, or by its index when no class has that name."""
    if token in classes:
        return classes.index(token)
    if token.isdigit() and int(token) < len(classes):
        return int(token)
    preview = ", ".join(classes[:12]) + (", …" if len(classes) > 12 else "")
    raise UserError(f"target class {token!r} is not a class of the source (its classes: {preview})")


def binary_problem(task: Task, token: str, train_per_class: int | None = None) -> TargetProblem:
    """`token`'s class against the rest of `task`'s classes, balanced; with `train_per_class`,
    at most that many training images of each side."""
    target = resolve_class(task.classes, token)
    name = task.classes[target]
    collapse = torch.ones(task.num_classes, dtype=torch.long)
    collapse[target] = 0

    def members(split: str, labels: Tensor) -> Tensor:
        positives, negatives = balanced_indices(labels, target, SAMPLING_SEED)
        if not len(positives) or not len(negatives):
            raise UserError(f"class {name!r} vs the rest: the {split} split lacks examples of one side")
        return torch.cat([positives, negatives])

    return _problem(task, f"{name} vs rest", (name, f"not {name}"), collapse, members, train_per_class)


def balanced_indices(labels: Tensor, target: int, seed: int) -> tuple[Tensor, Tensor]:
    """Indices of every example of `target`, and of as many others (all of them if fewer),
    drawn without replacement by a generator seeded with `seed`; both sorted."""
    positives = (labels == target).nonzero().flatten()
    others = (labels != target).nonzero().flatten()
    order = torch.randperm(len(others), generator=torch.Generator().manual_seed(seed))
    negatives = others[order[: len(positives)]].sort().values
    return positives, negatives


def capped(source_labels: Tensor, target_labels: Tensor, per_class: int) -> Tensor:
    """Positions (sorted) of at most `per_class` examples of each target label. A target class
    with more keeps `per_class`, shared out over its source classes in proportion to their
    sizes (largest remainders first, ties to the lower class), each share drawn at random with
    the fixed seed of `stratified_sample`."""
    kept = []
    for target in target_labels.unique().tolist():
        members = (target_labels == target).nonzero().flatten()
        if len(members) > per_class:
            labels = source_labels[members]
            sizes = proportional_shares(torch.bincount(labels), per_class)
            members = members[torch.from_numpy(stratified_sample(labels.numpy(), sizes))]
        kept.append(members)
    return torch.cat(kept).sort().values


def proportional_shares(counts: Tensor, total: int) -> list[int]:
    """`total` (at most `counts.sum()`) split in proportion to `counts` into whole numbers:
    the floors of the exact shares, and one more for the largest remainders."""
    exact = counts.double() * total / counts.sum()
    shares = exact.floor().long()
    order = torch.sort(shares.double() - exact, stable=True).indices
    shares[order[: total - int(shares.sum())]] += 1
    return shares.tolist()


def subset_problem(task: Task, tokens: list[str], name: str | None = None,
                   train_per_class: int | None = None) -> TargetProblem:
    """The classes `tokens` of `task`, relabelled 0 … k−1 in that order; with
    `train_per_class`, at most that many training images of each."""
    chosen = [resolve_class(task.classes, token) for token in tokens]
    if len(set(chosen)) != len(chosen):
        raise UserError(f"target classes {','.join(tokens)}: a class is listed twice")
    if len(chosen) < 2:
        raise SettingError("target_classes", "a multi-class target needs at least two classes (a single target "
                                             "class is learned against the rest)")
    table = torch.full((task.num_classes,), -1, dtype=torch.long)
    table[chosen] = torch.arange(len(chosen))
    classes = tuple(task.classes[index] for index in chosen)

    def members(split: str, labels: Tensor) -> Tensor:
        return (table[labels] >= 0).nonzero().flatten()

    return _problem(task, name or "+".join(classes), classes, table, members, train_per_class)


def superclass_problem(task: Task, superclass: str, train_per_class: int | None = None) -> TargetProblem:
    """The five fine classes of a CIFAR-100 superclass (source over CIFAR-100's classes)."""
    if superclass not in SUPERCLASSES:
        raise SettingError("superclass", f"unknown superclass {superclass!r}; choose one of: {', '.join(SUPERCLASSES)}")
    fines = SUPERCLASSES[superclass]
    if not all(fine in task.classes for fine in fines):
        raise SettingError("superclass", f"{superclass!r} needs a source over CIFAR-100's fine classes (such as "
                                         "one trained on all 100 classes of cifar100-20); this source lacks some of them")
    return subset_problem(task, list(fines), superclass, train_per_class)


def _problem(task: Task, name: str, classes: tuple[str, ...], table: Tensor,
             members: Callable[[str, Tensor], Tensor], train_per_class: int | None) -> TargetProblem:
    """The problem whose split `split` holds the images `members(split, source labels)`, each
    labelled `table[its source label]`; the training split capped at `train_per_class`."""
    splits = {}
    for split in SPLITS:
        dataset = _in_memory(task, split)
        indices = members(split, dataset.labels)
        if split == "train":
            available = len(indices)
            if train_per_class is not None:
                source_labels = dataset.labels[indices]
                indices = indices[capped(source_labels, table[source_labels], train_per_class)]
            left_out = _left_out(dataset, table, indices)
        splits[split] = _subset(dataset, indices, table[dataset.labels[indices]])
    sample = TrainingSample(available, len(splits["train"]), train_per_class)
    return TargetProblem(name, classes, **splits, collapse=table, sample=sample, left_out=left_out)


def _left_out(dataset: InMemoryImages, table: Tensor, indices: Tensor) -> InMemoryImages | None:
    """The examples of the classes `table` covers that `indices` does not hold."""
    unused = table[dataset.labels] >= 0
    unused[indices] = False
    rest = unused.nonzero().flatten()
    return _subset(dataset, rest, table[dataset.labels[rest]]) if len(rest) else None


def _in_memory(task: Task, split: str) -> InMemoryImages:
    dataset = getattr(task, split)
    if not isinstance(dataset, InMemoryImages):
        raise UserError(f"{task.name}: SeaM builds target problems from in-memory datasets only (digits, synthetic, CIFAR)")
    return dataset


def _subset(dataset: InMemoryImages, indices: Tensor, labels: Tensor) -> InMemoryImages:
    return InMemoryImages(dataset.images[indices], labels, dataset.mean, dataset.std, dataset.augment)
