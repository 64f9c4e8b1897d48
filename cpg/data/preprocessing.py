"""What a task's network input is made from: the task's images as its benchmark stores them
("raw"), brought to [0, 1] units and normalised by the task's own channel statistics.

    preprocessing = task_preprocessing(task)
    normalised = (raw * preprocessing.unit_scale - mean) / std    # per channel

`cpg export` puts this normalisation inside the exported program when the task's data is held
in memory; image-folder tasks are normalised by torchvision transforms that also resize and crop
the decoded files, so there the program takes the transforms' output and the metadata says so.
"""

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from torch import Tensor
from torch.utils.data import Dataset
from torchvision import transforms

from cpg.data.in_memory import InMemoryImages, unit_scale
from cpg.data.task import Task


@dataclass(frozen=True)
class Preprocessing:
    shape: tuple[int, ...]  # (C, H, W) of one image
    stored_as: str  # dtype of the stored images ("uint8", "float32"), or "image files"
    value_range: tuple[float, float] | None  # smallest and largest stored value of the test images
    unit_scale: float  # raw value × unit_scale is in [0, 1] units (1/255 for uint8 pixels)
    mean: tuple[float, ...] | None  # per channel, in [0, 1] units; None: no normalisation found
    std: tuple[float, ...] | None
    normalised_in_program: bool  # whether the exported program takes raw images
    transform: str | None = None  # the torchvision transform the input comes from, when it is not in the program

    def to_dict(self) -> dict[str, Any]:
        return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()}

    def describe(self) -> str:
        """One sentence for the console: what to feed the exported program."""
        shape = ", ".join(map(str, self.shape))
        if not self.normalised_in_program:
            return (f"images [N, {shape}] float32 as the task's transform makes them ({self.transform}); "
                    f"the program does not normalise them")
        low, high = self.value_range or (0.0, 0.0)
        kind = "uint8 pixel values cast to float32" if self.stored_as == "uint8" else f"{self.stored_as} values"
        return (f"raw images [N, {shape}] as the benchmark stores them: {kind}, here {low:.4g} to {high:.4g}; the "
                f"program normalises them itself: (x × {self.unit_scale:.4g} − mean) / std, mean "
                f"{_numbers(self.mean)}, std {_numbers(self.std)}")


def task_preprocessing(task: Task) -> Preprocessing:
    """How `task`'s evaluation images are made (its test split tells)."""
    test = task.test
    if isinstance(test, InMemoryImages):
        images = test.images
        return Preprocessing(tuple(images.shape[1:]), str(images.dtype).removeprefix("torch."),
                             (float(images.min()), float(images.max())), unit_scale(images.dtype),
                             tuple(test.mean.tolist()), tuple(test.std.tolist()), True)
    image, _ = test[0]
    normalize = _normalize_transform(test)
    return Preprocessing(tuple(image.shape), "image files", None, 1.0,
                         None if normalize is None else tuple(map(float, normalize.mean)),
                         None if normalize is None else tuple(map(float, normalize.std)),
                         False, " → ".join(type(step).__name__ for step in _steps(test)) or "none")


def raw_batches(images: InMemoryImages, batch_size: int) -> Iterator[tuple[Tensor, Tensor]]:
    """The stored images as float32 (not normalised) with their labels, in order."""
    for start in range(0, len(images), batch_size):
        yield images.images[start:start + batch_size].float(), images.labels[start:start + batch_size]


def _steps(dataset: Dataset) -> list[Any]:
    """The steps of the dataset's torchvision transform (none without one)."""
    transform = getattr(dataset, "transform", None)
    if isinstance(transform, transforms.Compose):
        return list(transform.transforms)
    return [] if transform is None else [transform]


def _normalize_transform(dataset: Dataset) -> transforms.Normalize | None:
    return next((step for step in _steps(dataset) if isinstance(step, transforms.Normalize)), None)


def _numbers(values: tuple[float, ...] | None) -> str:
    return "–" if values is None else "[" + ", ".join(f"{value:.4g}" for value in values) + "]"
