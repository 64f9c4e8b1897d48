import torch

from cpg.data.augment import RandomCropFlip
from cpg.data.in_memory import InMemoryImages, channel_stats

PADDING = 4


def test_dataset_pads_with_black_before_normalising():
    images = torch.zeros(32, 3, 8, 8, dtype=torch.uint8) + 200
    mean, std = torch.tensor([0.2, 0.4, 0.6]), torch.tensor([0.5, 0.25, 0.1])
    dataset = InMemoryImages(images, torch.zeros(32), mean, std, RandomCropFlip(PADDING))
    batch, labels = dataset.__getitems__(range(32))
    black = (-mean / std)[:, None, None]
    white = ((200 / 255 - mean) / std)[:, None, None]
    is_black = torch.isclose(batch, black.expand_as(batch[0]))
    is_white = torch.isclose(batch, white.expand_as(batch[0]))
    assert (is_black | is_white).all()
    assert is_black.any() and is_white.any()
    assert labels.dtype == torch.int64 and labels.shape == (32,)


def test_unaugmented_dataset_normalises_by_channel():
    images = torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8)
    mean, std = torch.tensor([0.1, 0.5, 0.9]), torch.tensor([0.2, 0.3, 0.4])
    dataset = InMemoryImages(images, torch.arange(4), mean, std)
    image, label = dataset[2]
    expected = (images[2].float() / 255 - mean[:, None, None]) / std[:, None, None]
    assert torch.allclose(image, expected) and image.dtype == torch.float32
    assert label == 2


def test_channel_stats_match_torch_on_unit_range_values():
    images = torch.randint(0, 256, (3000, 3, 4, 4), dtype=torch.uint8)
    mean, std = channel_stats(images, chunk=1000)
    expected_std, expected_mean = torch.std_mean(images / 255, dim=(0, 2, 3), correction=0)
    assert torch.allclose(mean, expected_mean) and torch.allclose(std, expected_std)
    floats = torch.randn(50, 2, 3, 3) * 3 + 1
    expected_std, expected_mean = torch.std_mean(floats, dim=(0, 2, 3), correction=0)
    mean, std = channel_stats(floats)
    assert torch.allclose(mean, expected_mean) and torch.allclose(std, expected_std)


def test_with_generator_shares_the_images_and_replays_augmentation():
    images = torch.randint(0, 256, (16, 3, 8, 8), dtype=torch.uint8)
    dataset = InMemoryImages(
        images, torch.zeros(16), torch.zeros(3), torch.ones(3), RandomCropFlip(PADDING)
    )
    first, again = (dataset.with_generator(torch.Generator().manual_seed(7)) for _ in range(2))
    assert first.images.data_ptr() == dataset.images.data_ptr()
    assert dataset.generator is None
    assert torch.equal(first.__getitems__(range(16))[0], again.__getitems__(range(16))[0])
