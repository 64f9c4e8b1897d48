"""Tasks read from image files, one ImageFolder tree per task (``train/`` and ``test/``).

How the images become tensors is set by the transform options of `cpg.data.image_transforms`;
unset options follow the images themselves (their own size and mode, no augmentation, each
task normalised by its own training statistics).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Subset
from torchvision import transforms
from torchvision.datasets import ImageFolder

from cpg.data.build import BenchmarkRequest
from cpg.data.image_transforms import OPTION_DEFAULTS, ImageSurvey, ImageTransforms, TransformOptions
from cpg.data.options import resolve_options
from cpg.data.split import stratified_split
from cpg.data.task import Benchmark, Task
from cpg.errors import UserError
from cpg.registry import BENCHMARKS

DEFAULTS: Mapping[str, Any] = {"tasks": (), **OPTION_DEFAULTS}
Loader = Callable[[str], Image.Image]
MIN_STD = 1e-6
"""Floor of a computed channel std, so that a constant channel normalises to 0, not NaN."""


@BENCHMARKS.register("imagefolder")
def imagefolder_benchmark(request: BenchmarkRequest) -> Benchmark:
    """Option ``tasks`` lists ``{name, root}`` entries, each root holding ``train/`` and ``test/``
    ImageFolder trees; relative roots are resolved against the request's ``data_root`` when it
    is given. The other options are the transform options of `cpg.data.image_transforms`."""
    name, data_root, val_fraction = request.name, request.data_root, request.val_fraction
    given = resolve_options(name, request.options, DEFAULTS)
    requested = TransformOptions.parse(name, given)
    entries = _task_entries(name, given["tasks"])
    folders = [_folders(task_name, (data_root or Path()) / root) for task_name, root in entries]
    needs_survey = requested.image_size is None or requested.channels is None
    survey = survey_images([folder for pair in folders for folder in pair]) if needs_survey else None
    resolved = requested.resolve(name, survey)
    tasks = tuple(
        _task(task_name, train, test, resolved, val_fraction)
        for (task_name, _), (train, test) in zip(entries, folders)
    )
    return Benchmark(name=name, tasks=tasks, input_shape=resolved.input_shape, transforms=resolved.describe())


def survey_images(folders: Sequence[ImageFolder]) -> ImageSurvey:
    """The sizes and modes of every image of ``folders``, read from the file headers only."""
    sizes: dict[tuple[int, int], str] = {}
    modes: set[str] = set()
    for folder in folders:
        for path, _ in folder.samples:
            try:
                with Image.open(path) as image:
                    width, height = image.size
                    modes.add(image.mode)
            except (OSError, UnidentifiedImageError) as error:
                raise UserError(f"cannot read the image {path} ({error}); remove or replace it") from None
            sizes.setdefault((height, width), path)
    return ImageSurvey(sizes, frozenset(modes))


def load_image(path: str, mode: str) -> Image.Image:
    """The image file at ``path`` in the PIL ``mode`` ("L" or "RGB")."""
    with open(path, "rb") as file:
        return Image.open(file).convert(mode)


def _task_entries(benchmark: str, tasks: Any) -> list[tuple[str, Path]]:
    """The validated ``(name, root)`` pairs of the ``tasks`` option."""
    if not isinstance(tasks, (list, tuple)) or not tasks:
        raise UserError(
            f"benchmark {benchmark!r} needs the option 'tasks': a non-empty list of {{name, root}} "
            "entries, in a pipeline's benchmark_options or a task list file (a .yaml file given as `tasks`)"
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


def _folders(name: str, root: Path) -> tuple[ImageFolder, ImageFolder]:
    """The task's ``train`` and ``test`` trees, with the same classes."""
    for folder in (root / "train", root / "test"):
        if not folder.is_dir():
            raise UserError(f"{folder} does not exist; check the 'root' of task {name!r}")
    train, test = _image_folder(root / "train"), _image_folder(root / "test")
    if test.classes != train.classes:
        raise UserError(
            f"the class folders of {root / 'test'} differ from those of {root / 'train'}; "
            "give both the same classes"
        )
    return train, test


def _task(name: str, train: ImageFolder, test: ImageFolder, resolved: ImageTransforms,
          val_fraction: float) -> Task:
    kept, held = stratified_split(np.asarray(train.targets), val_fraction)
    loader = partial(load_image, mode=resolved.pil_mode)
    mean, std = resolved.normalize.mean, resolved.normalize.std
    if resolved.normalize.kind == "task":
        mean, std = _channel_statistics(train, kept, resolved.raw(), loader, resolved.input_shape[0])
    train_view, val_view, test_view = (_with(folder, loader, transform) for folder, transform in (
        (train, resolved.training(mean, std)),
        (train, resolved.evaluation(mean, std)),
        (test, resolved.evaluation(mean, std)),
    ))
    return Task(
        name=name,
        classes=tuple(train.classes),
        train=Subset(train_view, kept.tolist()),
        val=Subset(val_view, held.tolist()),
        test=test_view,
    )


def _channel_statistics(folder: ImageFolder, indices: np.ndarray, raw: transforms.Compose, loader: Loader,
                        channels: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std of the images ``indices`` of ``folder`` in [0, 1] units, as the
    network sees them before normalisation (evaluation geometry), accumulated in float64."""
    total = torch.zeros(channels, dtype=torch.float64)
    squares = torch.zeros_like(total)
    count = 0
    for index in indices:
        pixels = raw(loader(folder.samples[index][0])).double().flatten(1)
        total += pixels.sum(1)
        squares += pixels.square().sum(1)
        count += pixels.shape[1]
    mean = total / count
    std = (squares / count - mean.square()).clamp_min(0).sqrt().clamp_min(MIN_STD)
    return tuple(mean.tolist()), tuple(std.tolist())


def _with(folder: ImageFolder, loader: Loader, transform: transforms.Compose) -> ImageFolder:
    """A view of ``folder``'s file list that loads with ``loader`` and applies ``transform``."""
    view = copy.copy(folder)
    view.loader = loader
    view.transform = transform
    return view


def _image_folder(folder: Path) -> ImageFolder:
    try:
        return ImageFolder(str(folder))
    except FileNotFoundError as error:
        raise UserError(
            f"{folder} is not an ImageFolder tree ({error}); put each class's images in a "
            "sub-folder named after the class"
        ) from error
