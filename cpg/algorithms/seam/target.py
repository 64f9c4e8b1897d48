"""Target problems: what the re-engineered module must solve, built from the source's data.

- binary: one class (label 0) against the rest (label 1), balanced on every split by drawing
  as many examples of the other classes as the class has, with a fixed seed;
- multi-class: a listed subset of the source's classes, or a CIFAR-100 superclass, relabelled
  0 … k−1 in the order given.

Every split keeps the source's normalisation (and the training split its augmentation): the
source model must see the images it was trained to see.
"""

from dataclasses import dataclass

import torch
from torch import Tensor

from cpg.data import Task
from cpg.data.in_memory import InMemoryImages
from cpg.data.superclasses import SUPERCLASSES
from cpg.errors import UserError

SAMPLING_SEED = 0
"""Seed of the balanced sampling: a property of the target problem, not of a run."""

SPLITS = ("train", "val", "test")


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
    left_out: InMemoryImages | None = None
    """Training images of classes the problem covers that balancing left out (one vs rest: the
    other classes' images beyond the balanced sample), labelled with their target label."""

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


def binary_problem(task: Task, token: str) -> TargetProblem:
    """`token`'s class against the rest of `task`'s classes, balanced."""
    target = resolve_class(task.classes, token)
    splits = {}
    for split in SPLITS:
        dataset: InMemoryImages = _in_memory(task, split)
        positives, negatives = balanced_indices(dataset.labels, target, SAMPLING_SEED)
        if not len(positives) or not len(negatives):
            raise UserError(f"class {task.classes[target]!r} vs the rest: the {split} split lacks examples of one side")
        labels = torch.cat([torch.zeros(len(positives), dtype=torch.long),
                            torch.ones(len(negatives), dtype=torch.long)])
        splits[split] = _subset(dataset, torch.cat([positives, negatives]), labels)
        if split == "train":
            left_out = _left_out_negatives(dataset, target, negatives)
    collapse = torch.ones(task.num_classes, dtype=torch.long)
    collapse[target] = 0
    name = task.classes[target]
    return TargetProblem(f"{name} vs rest", (name, f"not {name}"), **splits, collapse=collapse, left_out=left_out)


def _left_out_negatives(dataset: InMemoryImages, target: int, negatives: Tensor) -> InMemoryImages | None:
    """The examples of the other classes that the balanced sample `negatives` did not take."""
    unused = dataset.labels != target
    unused[negatives] = False
    indices = unused.nonzero().flatten()
    return _subset(dataset, indices, torch.ones(len(indices), dtype=torch.long)) if len(indices) else None


def balanced_indices(labels: Tensor, target: int, seed: int) -> tuple[Tensor, Tensor]:
    """Indices of every example of `target`, and of as many others (all of them if fewer),
    drawn without replacement by a generator seeded with `seed`; both sorted."""
    positives = (labels == target).nonzero().flatten()
    others = (labels != target).nonzero().flatten()
    order = torch.randperm(len(others), generator=torch.Generator().manual_seed(seed))
    negatives = others[order[: len(positives)]].sort().values
    return positives, negatives


def subset_problem(task: Task, tokens: list[str], name: str | None = None) -> TargetProblem:
    """The classes `tokens` of `task`, relabelled 0 … k−1 in that order."""
    chosen = [resolve_class(task.classes, token) for token in tokens]
    if len(set(chosen)) != len(chosen):
        raise UserError(f"target classes {','.join(tokens)}: a class is listed twice")
    if len(chosen) < 2:
        raise UserError("a multi-class target needs at least two classes (use --target-class for one class vs the rest)")
    table = torch.full((task.num_classes,), -1, dtype=torch.long)
    table[chosen] = torch.arange(len(chosen))
    splits = {}
    for split in SPLITS:
        dataset = _in_memory(task, split)
        labels = table[dataset.labels]
        members = (labels >= 0).nonzero().flatten()
        splits[split] = _subset(dataset, members, labels[members])
    classes = tuple(task.classes[index] for index in chosen)
    return TargetProblem(name or "+".join(classes), classes, **splits, collapse=table)


def superclass_problem(task: Task, superclass: str) -> TargetProblem:
    """The five fine classes of a CIFAR-100 superclass (source over CIFAR-100's classes)."""
    if superclass not in SUPERCLASSES:
        raise UserError(f"unknown superclass {superclass!r}; choose one of: {', '.join(SUPERCLASSES)}")
    fines = SUPERCLASSES[superclass]
    if not all(fine in task.classes for fine in fines):
        raise UserError(f"superclass {superclass!r} needs a source over CIFAR-100's fine classes "
                        "(e.g. --dataset cifar100-20, all 100 classes); this source lacks some of them")
    return subset_problem(task, list(fines), superclass)


def _in_memory(task: Task, split: str) -> InMemoryImages:
    dataset = getattr(task, split)
    if not isinstance(dataset, InMemoryImages):
        raise UserError(f"{task.name}: SeaM builds target problems from in-memory datasets only (digits, synthetic, CIFAR)")
    return dataset


def _subset(dataset: InMemoryImages, indices: Tensor, labels: Tensor) -> InMemoryImages:
    return InMemoryImages(dataset.images[indices], labels, dataset.mean, dataset.std, dataset.augment)
