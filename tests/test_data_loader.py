import torch

from cpg.data import make_loader
from cpg.data.augment import RandomCropFlip
from cpg.data.in_memory import InMemoryImages


def _augmented_dataset(count=100):
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (count, 3, 8, 8), dtype=torch.uint8, generator=generator)
    labels = torch.arange(count) % 5
    return InMemoryImages(images, labels, torch.full((3,), 0.5), torch.full((3,), 0.25),
                          RandomCropFlip(4))


def _epochs(loader, count=2):
    return [[batch for batch in loader] for _ in range(count)]


def _same(first, second):
    return len(first) == len(second) and all(
        torch.equal(a, b) for x, y in zip(first, second) for a, b in zip(x, y)
    )


def test_loader_yields_float_images_and_int64_labels():
    loader = make_loader(_augmented_dataset(), 32, shuffle=True)
    batches = list(loader)
    assert [len(labels) for _, labels in batches] == [32, 32, 32, 4]
    images, labels = batches[0]
    assert images.shape == (32, 3, 8, 8) and images.dtype == torch.float32
    assert labels.dtype == torch.int64
    assert sorted(torch.cat([labels for _, labels in batches]).tolist()) == sorted(
        (torch.arange(100) % 5).tolist()
    )


def test_same_seed_replays_order_and_augmentation_across_epochs():
    dataset = _augmented_dataset()
    first = _epochs(make_loader(dataset, 32, shuffle=True, seed=3))
    again = _epochs(make_loader(dataset, 32, shuffle=True, seed=3))
    for epoch, epoch_again in zip(first, again):
        assert _same(epoch, epoch_again)
    assert not _same(first[0], first[1])


def test_other_seed_changes_order_and_augmentation():
    dataset = _augmented_dataset()
    first = _epochs(make_loader(dataset, 32, shuffle=True, seed=3), 1)[0]
    other = _epochs(make_loader(dataset, 32, shuffle=True, seed=4), 1)[0]
    assert not torch.equal(first[0][1], other[0][1])
    unshuffled = [make_loader(dataset, 100, shuffle=False, seed=seed) for seed in (3, 4)]
    (images_3, labels_3), (images_4, labels_4) = (next(iter(loader)) for loader in unshuffled)
    assert torch.equal(labels_3, labels_4)
    assert not torch.equal(images_3, images_4)


def test_loader_does_not_touch_the_global_rng():
    state = torch.get_rng_state()
    _epochs(make_loader(_augmented_dataset(), 32, shuffle=True, seed=5))
    assert torch.equal(state, torch.get_rng_state())


def test_workers_are_seeded_by_the_loader_and_draw_differently():
    dataset = _augmented_dataset()
    dataset.images[:] = dataset.images[0]
    first, again = (
        _epochs(make_loader(dataset, 25, shuffle=True, seed=1, num_workers=2), 1)[0]
        for _ in range(2)
    )
    assert _same(first, again)
    (from_worker_0, _), (from_worker_1, _) = first[:2]
    assert not torch.equal(from_worker_0, from_worker_1)


def test_drop_last_and_sampler_pass_through():
    dataset = _augmented_dataset()
    assert len(list(make_loader(dataset, 32, shuffle=True, drop_last=True))) == 3
    sampler = torch.utils.data.SubsetRandomSampler(
        range(10), generator=torch.Generator().manual_seed(0)
    )
    batches = list(make_loader(dataset, 4, shuffle=False, sampler=sampler))
    assert sum(len(labels) for _, labels in batches) == 10
