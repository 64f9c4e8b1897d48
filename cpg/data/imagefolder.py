"""Tasks read from image files, one ImageFolder tree per task (the fine-grained protocol).

Images are normalised with ImageNet's channel statistics rather than each task's own: computing
those would mean decoding every training image before training starts, and the networks used
on these tasks are typically ImageNet-pretrained, so they expect ImageNet statistics anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from torch.utils.data import Subset
from torchvision import transforms
from torchvision.datasets import ImageFolder

from cpg.data.options import int_option, resolve_options
from cpg.data.split import stratified_split
from cpg.data.task import Benchmark, Task
from cpg.errors import UserError

DEFAULTS: Mapping[str, Any] = {"tasks": (), "image_size": 224}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def imagefolder_benchmark(
    name: str, options: Mapping[str, Any] | None, data_root: Path | None, val_fraction: float
) -> Benchmark:
    """Option ``tasks`` lists ``{name, root}`` entries, each root holding ``train/`` and ``test/``
    ImageFolder trees; relative roots are resolved against ``data_root`` when it is given."""
    given = resolve_options(name, options, DEFAULTS)
    size = int_option(name, "image_size", given["image_size"], 1)
    entries = _task_entries(name, given["tasks"])
    tasks = tuple(
        _task(task_name, (data_root or Path()) / root, size, val_fraction)
        for task_name, root in entries
    )
    return Benchmark(name=name, tasks=tasks, input_shape=(3, size, size))


def train_transform(size: int) -> transforms.Compose:
    return transforms.Compose([
        transforms.RandomResizedCrop(size),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


def eval_transform(size: int) -> transforms.Compose:
    return transforms.Compose([
        transforms.Resize(int(size * 256 / 224)),
        transforms.CenterCrop(size),
        transforms.ToTensor(),
        transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


def _task_entries(benchmark: str, tasks: Any) -> list[tuple[str, Path]]:
    """The validated ``(name, root)`` pairs of the ``tasks`` option."""
    if not isinstance(tasks, (list, tuple)) or not tasks:
        raise UserError(
            f"benchmark {benchmark!r} needs the option 'tasks': a non-empty list of "
            "{name, root} entries"
        )
    entries = []
    for position, entry in enumerate(tasks, start=1):
        if (
            not isinstance(entry, Mapping)
            or set(entry) != {"name", "root"}
            or not isinstance(entry["name"], str)
            or not entry["name"]
            or not isinstance(entry["root"], (str, Path))
        ):
            raise UserError(
                f"task {position} of option 'tasks' must have exactly a string 'name' and a "
                f"path 'root', got {entry!r}"
            )
        entries.append((entry["name"], Path(entry["root"])))
    names = [task_name for task_name, _ in entries]
    repeated = sorted({task_name for task_name in names if names.count(task_name) > 1})
    if repeated:
        raise UserError(f"option 'tasks' names {', '.join(repeated)} more than once; rename them")
    return entries


def _task(name: str, root: Path, size: int, val_fraction: float) -> Task:
    for folder in (root / "train", root / "test"):
        if not folder.is_dir():
            raise UserError(f"{folder} does not exist; check the 'root' of task {name!r}")
    train_view = _image_folder(root / "train", train_transform(size))
    val_view = _image_folder(root / "train", eval_transform(size))
    test = _image_folder(root / "test", eval_transform(size))
    if test.classes != train_view.classes:
        raise UserError(
            f"the class folders of {root / 'test'} differ from those of {root / 'train'}; "
            "give both the same classes"
        )
    kept, held = stratified_split(np.asarray(train_view.targets), val_fraction)
    return Task(
        name=name,
        classes=tuple(train_view.classes),
        train=Subset(train_view, kept.tolist()),
        val=Subset(val_view, held.tolist()),
        test=test,
    )


def _image_folder(folder: Path, transform: transforms.Compose) -> ImageFolder:
    try:
        return ImageFolder(str(folder), transform=transform)
    except FileNotFoundError as error:
        raise UserError(
            f"{folder} is not an ImageFolder tree ({error}); put each class's images in a "
            "sub-folder named after the class"
        ) from error
