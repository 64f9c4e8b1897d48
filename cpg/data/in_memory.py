"""A dataset split held in memory as one image tensor, read a whole batch at a time."""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import Tensor
from torch.utils.data import Dataset, get_worker_info

from cpg.data.augment import RandomCropFlip


def unit_scale(dtype: torch.dtype) -> float:
    """Factor bringing raw values into [0, 1]: 1/255 for uint8 (as ``ToTensor``), else 1."""
    return 1 / 255 if dtype == torch.uint8 else 1.0


def channel_stats(images: Tensor, chunk: int = 1024) -> tuple[Tensor, Tensor]:
    """Per-channel mean and standard deviation of raw images ``[N, C, H, W]`` in [0, 1] units,
    accumulated in float64 over chunks so that no float copy of all images is ever made."""
    total = torch.zeros(images.shape[1], dtype=torch.float64)
    squares = torch.zeros_like(total)
    for part in images.split(chunk):
        values = part.double() * unit_scale(images.dtype)
        total += values.sum(dim=(0, 2, 3))
        squares += values.square().sum(dim=(0, 2, 3))
    count = images.numel() // images.shape[1]
    mean = total / count
    std = (squares / count - mean.square()).clamp_min(0).sqrt()
    return mean.float(), std.float()


class InMemoryImages(Dataset):
    """Images ``[N, C, H, W]`` (uint8 or float) and int64 labels ``[N]``, normalised on access.

    ``__getitems__`` returns a whole batch ``(images [B, C, H, W] float32, labels [B] int64)``;
    ``make_loader`` uses it with a collate that passes the batch through unchanged. ``augment``
    is applied to the raw images before normalisation, drawing from ``generator``; with no
    generator it draws from torch's global RNG, as torchvision transforms do. ``make_loader``
    reads through a copy carrying a generator seeded from the loader's seed.
    """

    def __init__(
        self,
        images: Tensor,
        labels: Tensor,
        mean: Tensor,
        std: Tensor,
        augment: RandomCropFlip | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        self.images = images.contiguous()
        self.labels = labels.long()
        self.mean = mean
        self.std = std
        self._scale = (unit_scale(images.dtype) / std)[:, None, None]
        self._shift = (-mean / std)[:, None, None]
        self.augment = augment
        self.generator = generator

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        images, labels = self.__getitems__([index])
        return images[0], labels[0]

    def __getitems__(self, indices: Sequence[int]) -> tuple[Tensor, Tensor]:
        index = torch.as_tensor(indices, dtype=torch.long)
        images = self.images.index_select(0, index)
        if self.augment is not None:
            images = self.augment(images, self._augment_generator())
        labels = self.labels.index_select(0, index)
        return torch.addcmul(self._shift, images.float(), self._scale), labels

    def with_generator(self, generator: torch.Generator) -> InMemoryImages:
        """A view of the same tensors whose augmentation draws from ``generator``."""
        view = copy.copy(self)
        view.generator = generator
        return view

    def _augment_generator(self) -> torch.Generator | None:
        """In a DataLoader worker, the worker's own RNG, which the loader seeds per epoch."""
        return self.generator if get_worker_info() is None else None
