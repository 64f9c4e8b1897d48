"""Training augmentation applied to a whole batch at once with tensor ops."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


class RandomCropFlip:
    """Batched ``RandomCrop(size, padding)`` followed by ``RandomHorizontalFlip()``.

    Same semantics as the torchvision pair applied to each image: the raw image is padded with
    zeros, a window of the original size is taken at a uniformly random offset, and the window
    is mirrored left-right with probability 0.5. Every image of the batch draws its own offset
    and flip. Works on raw (not yet normalised) images of any dtype, so zero padding means black.
    """

    def __init__(self, padding: int = 4) -> None:
        self.padding = padding

    def __call__(self, images: Tensor, generator: torch.Generator | None = None) -> Tensor:
        batch, _, height, width = images.shape
        offsets = 2 * self.padding + 1
        top, left = torch.randint(offsets, (2, batch), generator=generator)
        flip = torch.rand(batch, generator=generator) < 0.5
        padded = F.pad(images, (self.padding,) * 4)
        windows = padded.unfold(2, height, 1).unfold(3, width, 1)
        crops = windows[torch.arange(batch), :, top, left]
        return torch.where(flip[:, None, None, None], crops.flip(-1), crops)

    def describe(self) -> str:
        return f"training images randomly cropped (zero padding {self.padding}) and flipped horizontally"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(padding={self.padding})"
