"""How image files become a network's input: size, channels, augmentation and normalisation.

The options of the ``imagefolder`` benchmark (see `TransformOptions`) choose them; whatever is
left unset follows the images themselves, so small images are never silently resized:

- ``image_size``: unset keeps the images' own size (they must all share it); an integer resizes
  the shorter side to it and takes the centre square.
- ``channels``: ``grayscale`` (1 channel) or ``rgb`` (3); unset is grayscale when every image is
  stored in a grayscale mode, else rgb.
- ``augment`` (training images only): ``none`` (the default), ``crop-flip`` (a random crop of
  the image padded with zeros by an eighth of its side, 4 pixels at 32×32 as for CIFAR, then a
  random horizontal flip) or ``random-resized`` (ImageNet's RandomResizedCrop, scale 0.08–1,
  and a horizontal flip; evaluation then resizes to 256/224 of the size and takes the centre).
- ``normalize``: ``task`` (the default: each task's own per-channel mean and std, computed from
  its training images), ``imagenet`` (ImageNet's RGB statistics, for pretrained networks), or
  ``{mean: [...], std: [...]}`` with one number per channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from torchvision import transforms

from cpg.data.options import int_option
from cpg.errors import UserError

AUGMENTATIONS: tuple[str, ...] = ("none", "crop-flip", "random-resized")
CHANNELS: Mapping[str, int] = {"grayscale": 1, "rgb": 3}
PIL_MODES: Mapping[str, str] = {"grayscale": "L", "rgb": "RGB"}
GRAYSCALE_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"})
"""PIL modes holding one intensity per pixel (with or without alpha)."""
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
EVAL_RESIZE = 256 / 224
"""``random-resized`` evaluation: resize to this multiple of the size, then crop the centre."""
OPTION_DEFAULTS: Mapping[str, Any] = {
    "image_size": None, "channels": None, "augment": "none", "normalize": "task",
}


@dataclass(frozen=True)
class Normalisation:
    """``task`` statistics, or fixed ``mean`` and ``std`` (``imagenet`` or given)."""

    kind: str
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None


@dataclass(frozen=True)
class TransformOptions:
    """The validated transform options; ``None`` means "as the images are"."""

    image_size: int | None
    channels: str | None
    augment: str
    normalize: Normalisation

    @classmethod
    def parse(cls, benchmark: str, given: Mapping[str, Any]) -> TransformOptions:
        """Check each option of ``given`` (which holds every key of `OPTION_DEFAULTS`)."""
        size = given["image_size"]
        if size is not None:
            size = int_option(benchmark, "image_size", size, 1)
        channels = _choice(benchmark, "channels", given["channels"], tuple(CHANNELS), allow_none=True)
        augment = _choice(benchmark, "augment", given["augment"], AUGMENTATIONS)
        options = cls(size, channels, augment, _normalisation(benchmark, given["normalize"]))
        if channels is not None:
            options.check_channels(benchmark, channels)
        return options

    def check_channels(self, benchmark: str, channels: str) -> None:
        """Fixed statistics must have one value per channel of ``channels``."""
        count = CHANNELS[channels]
        mean = self.normalize.mean
        if mean is not None and len(mean) != count:
            source = "ImageNet's statistics have" if self.normalize.kind == "imagenet" else "normalize gives"
            raise UserError(
                f"option 'normalize' of benchmark {benchmark!r}: {source} {len(mean)} values per "
                f"statistic but the images are {channels} ({count} channel{'s' if count > 1 else ''}); "
                "set channels to match, or normalize: task"
            )

    def resolve(self, benchmark: str, survey: ImageSurvey | None) -> ImageTransforms:
        """The transforms in use; ``survey`` (needed when size or channels are unset) tells
        what the images are."""
        channels = self.channels
        if channels is None:
            assert survey is not None
            channels = "grayscale" if survey.modes <= GRAYSCALE_MODES else "rgb"
            self.check_channels(benchmark, channels)
        if self.image_size is not None:
            size, resized = (self.image_size, self.image_size), True
        else:
            assert survey is not None
            size, resized = survey.common_size(benchmark), False
        return ImageTransforms(size, resized, channels, self.augment, self.normalize,
                               stored_channels=self.channels is None)


@dataclass(frozen=True)
class ImageSurvey:
    """The sizes ``(height, width)`` and PIL modes of a benchmark's images, with an example
    file of each size."""

    sizes: Mapping[tuple[int, int], str]
    modes: frozenset[str]

    def common_size(self, benchmark: str) -> tuple[int, int]:
        if len(self.sizes) == 1:
            return next(iter(self.sizes))
        examples = ", ".join(f"{h}×{w} ({path})" for (h, w), path in list(self.sizes.items())[:3])
        raise UserError(
            f"the images of benchmark {benchmark!r} have {len(self.sizes)} different sizes "
            f"({examples}{', …' if len(self.sizes) > 3 else ''}); set the option image_size to "
            "resize them (shorter side, then the centre square)"
        )


@dataclass(frozen=True)
class ImageTransforms:
    """Resolved transforms: images of ``size`` (height, width) with ``channels``."""

    size: tuple[int, int]
    resized: bool
    channels: str
    augment: str
    normalize: Normalisation
    stored_channels: bool = False  # channels were taken from the images' own mode

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (CHANNELS[self.channels], *self.size)

    @property
    def pil_mode(self) -> str:
        return PIL_MODES[self.channels]

    def raw(self) -> transforms.Compose:
        """Evaluation geometry and conversion to [0, 1] tensors, without normalisation."""
        return transforms.Compose([*self._eval_geometry(), transforms.ToTensor()])

    def evaluation(self, mean: Sequence[float], std: Sequence[float]) -> transforms.Compose:
        return transforms.Compose([*self._eval_geometry(), transforms.ToTensor(), transforms.Normalize(mean, std)])

    def training(self, mean: Sequence[float], std: Sequence[float]) -> transforms.Compose:
        if self.augment == "random-resized":
            steps = [transforms.RandomResizedCrop(self.size), transforms.RandomHorizontalFlip()]
        elif self.augment == "crop-flip":
            steps = [*self._fit(), transforms.RandomCrop(self.size, padding=self.crop_padding),
                     transforms.RandomHorizontalFlip()]
        else:
            steps = self._fit()
        return transforms.Compose([*steps, transforms.ToTensor(), transforms.Normalize(mean, std)])

    @property
    def crop_padding(self) -> int:
        """``crop-flip``'s zero padding: an eighth of the shorter side (4 at 32×32), at least 1."""
        return max(1, min(self.size) // 8)

    def _fit(self) -> list[Any]:
        """Resize the shorter side to the size and take the centre, when a size was asked for."""
        if not self.resized:
            return []
        return [transforms.Resize(self.size[0]), transforms.CenterCrop(self.size)]

    def _eval_geometry(self) -> list[Any]:
        if self.augment == "random-resized":
            return [transforms.Resize(round(min(self.size) * EVAL_RESIZE)), transforms.CenterCrop(self.size)]
        return self._fit()

    def describe(self) -> str:
        """The transforms in words, for the line a run prints when it starts."""
        height, width = self.size
        size = (f"resized (shorter side) and centre-cropped to {height}×{width}" if self.resized
                else f"kept at their own size {height}×{width}")
        channels = f"{self.channels} ({'as the images are stored' if self.stored_channels else 'as set'})"
        augment = {
            "none": "no augmentation",
            "crop-flip": f"training images randomly cropped (zero padding {self.crop_padding}) and flipped horizontally",
            "random-resized": ("training images RandomResizedCrop (scale 0.08–1) and flipped horizontally, "
                               f"evaluation resized to {round(min(self.size) * EVAL_RESIZE)} and centre-cropped"),
        }[self.augment]
        normalize = {
            "task": "each task normalised by the mean/std of its own training images",
            "imagenet": "normalised by ImageNet's mean/std",
        }.get(self.normalize.kind, f"normalised by mean {list(self.normalize.mean or ())} std {list(self.normalize.std or ())}")
        return f"images {size}, {channels}; {augment}; {normalize}"


def _choice(benchmark: str, key: str, value: Any, choices: tuple[str, ...], allow_none: bool = False) -> Any:
    if value is None and allow_none:
        return None
    if value not in choices:
        unset = " (or unset)" if allow_none else ""
        raise UserError(
            f"option {key!r} of benchmark {benchmark!r} must be one of {', '.join(choices)}{unset}, got {value!r}"
        )
    return value


def _normalisation(benchmark: str, value: Any) -> Normalisation:
    if value == "task":
        return Normalisation("task")
    if value == "imagenet":
        return Normalisation("imagenet", IMAGENET_MEAN, IMAGENET_STD)
    if isinstance(value, Mapping) and set(value) == {"mean", "std"}:
        mean, std = (_numbers(value[key]) for key in ("mean", "std"))
        if mean is not None and std is not None and len(mean) == len(std) and all(s > 0 for s in std):
            return Normalisation("given", mean, std)
    raise UserError(
        f"option 'normalize' of benchmark {benchmark!r} must be task, imagenet or {{mean: [...], std: [...]}} "
        f"with one number per channel and every std > 0, got {value!r}"
    )


def _numbers(value: Any) -> tuple[float, ...] | None:
    if not isinstance(value, (list, tuple)) or not value:
        return None
    if any(isinstance(item, bool) or not isinstance(item, (int, float)) for item in value):
        return None
    return tuple(float(item) for item in value)
