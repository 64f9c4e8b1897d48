import itertools

import torch
import torch.nn.functional as F

from cpg.data.augment import RandomCropFlip

PADDING = 4


def _raw_images(count=64, size=8, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(1, 256, (count, 3, size, size), dtype=torch.uint8, generator=generator)


def _candidates(image):
    """Every crop of the zero-padded image at every offset, flipped or not (torchvision's
    RandomCrop(padding=4) followed by RandomHorizontalFlip)."""
    size = image.shape[-1]
    padded = F.pad(image, (PADDING,) * 4)
    for top, left in itertools.product(range(2 * PADDING + 1), repeat=2):
        crop = padded[:, top:top + size, left:left + size]
        yield (top, left, False), crop
        yield (top, left, True), crop.flip(-1)


def test_each_image_is_a_zero_padded_crop_maybe_flipped_with_its_own_draw():
    images = _raw_images()
    augmented = RandomCropFlip(PADDING)(images, torch.Generator().manual_seed(1))
    assert augmented.shape == images.shape and augmented.dtype == images.dtype
    draws = []
    for image, result in zip(images, augmented):
        matches = [draw for draw, crop in _candidates(image) if torch.equal(crop, result)]
        assert len(matches) == 1
        draws.append(matches[0])
    assert len({(top, left) for top, left, _ in draws}) > 20
    assert 10 < sum(flip for _, _, flip in draws) < 54
    assert any(top != PADDING or left != PADDING for top, left, _ in draws)


def test_augmentation_follows_its_generator():
    images = _raw_images()
    augment = RandomCropFlip(PADDING)
    first, again, other = (
        augment(images, torch.Generator().manual_seed(seed)) for seed in (1, 1, 2)
    )
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
