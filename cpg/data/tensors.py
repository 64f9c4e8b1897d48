"""A benchmark from your own tensors: `from_tensors(name, tasks=[...])`."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from cpg.data.assemble import in_memory_task, in_memory_transforms
from cpg.data.augment import RandomCropFlip
from cpg.data.task import Benchmark
from cpg.errors import UserError

TensorTask = tuple[Tensor, Tensor, Tensor, Tensor, int | Sequence[str]]
"""``(train_images, train_labels, test_images, test_labels, classes)``."""
Split = tuple[Tensor, Tensor]
MAX_VAL_FRACTION = 0.5


def from_tensors(
    name: str,
    tasks: Sequence[TensorTask],
    *,
    task_names: Sequence[str] | None = None,
    val_fraction: float = 0.1,
    augment: bool = False,
) -> Benchmark:
    """A benchmark with one task per ``(train_images, train_labels, test_images, test_labels,
    classes)`` entry of ``tasks``.

    Images are ``[N, C, H, W]`` tensors, uint8 (0–255) or float, with the same C, H, W in every
    task; labels are integers ``0 … classes - 1``; ``classes`` is the number of classes or their
    names. Each task holds out a stratified ``val_fraction`` of its training images for model
    selection and is normalised by the per-channel mean and std of the rest. ``augment`` crops
    training images at random (zero padding of an eighth of the shorter side, at least 1 pixel)
    and flips them horizontally. Tasks are named ``<name>_1``, ``<name>_2`` … unless
    ``task_names`` names them.
    """
    if not tasks:
        raise UserError(f"from_tensors({name!r}): give at least one task")
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, (int, float)) or not 0 < val_fraction <= MAX_VAL_FRACTION:
        raise UserError(f"from_tensors({name!r}): val_fraction must be in (0, {MAX_VAL_FRACTION}], got {val_fraction!r}")
    names = list(task_names) if task_names is not None else [f"{name}_{index}" for index in range(1, len(tasks) + 1)]
    if len(names) != len(tasks) or len(set(names)) != len(names):
        raise UserError(f"from_tensors({name!r}): task_names must name each of the {len(tasks)} tasks once")
    checked = [_checked(task_name, entry) for task_name, entry in zip(names, tasks)]
    shapes = sorted({tuple(images.shape[1:]) for _, _, train, test in checked for images, _ in (train, test)})
    if len(shapes) != 1:
        raise UserError(f"from_tensors({name!r}): every image must have the same C×H×W, got {shapes}")
    augmentation = RandomCropFlip(max(1, min(shapes[0][1:]) // 8)) if augment else None
    built = tuple(in_memory_task(*task, val_fraction, augmentation) for task in checked)
    return Benchmark(name=name, tasks=built, input_shape=shapes[0], transforms=in_memory_transforms(augmentation))


def _checked(task: str, entry: TensorTask) -> tuple[str, tuple[str, ...], Split, Split]:
    """``(name, class names, train, test)`` of a valid task entry."""
    if len(entry) != 5:
        raise UserError(f"task {task!r} must be (train_images, train_labels, test_images, test_labels, classes), "
                        f"got {len(entry)} items")
    train_images, train_labels, test_images, test_labels, classes = entry
    class_names = _class_names(task, classes)
    for split, images, labels in (("train", train_images, train_labels), ("test", test_images, test_labels)):
        _check_split(task, split, images, labels, len(class_names))
    return task, class_names, (train_images, train_labels.long()), (test_images, test_labels.long())


def _class_names(task: str, classes: int | Sequence[str]) -> tuple[str, ...]:
    if isinstance(classes, int) and not isinstance(classes, bool):
        names = tuple(str(index) for index in range(classes))
    elif isinstance(classes, Sequence) and not isinstance(classes, str) and all(isinstance(c, str) for c in classes):
        names = tuple(classes)
    else:
        raise UserError(f"task {task!r}: classes must be a number of classes or a list of class names, got {classes!r}")
    if len(names) < 2 or len(set(names)) != len(names):
        raise UserError(f"task {task!r}: needs at least 2 distinct classes, got {list(names)}")
    return names


def _check_split(task: str, split: str, images: Tensor, labels: Tensor, num_classes: int) -> None:
    if not isinstance(images, Tensor) or images.dim() != 4 or not len(images):
        raise UserError(f"task {task!r}: {split} images must be a non-empty [N, C, H, W] tensor")
    if images.dtype != torch.uint8 and not images.is_floating_point():
        raise UserError(f"task {task!r}: {split} images must be uint8 or float, got {images.dtype}")
    if not isinstance(labels, Tensor) or labels.shape != (len(images),) or labels.is_floating_point():
        raise UserError(f"task {task!r}: {split} labels must be an integer tensor [{len(images)}], one per image")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise UserError(f"task {task!r}: {split} labels must be in 0 … {num_classes - 1}, "
                        f"got {int(labels.min())} … {int(labels.max())}")
