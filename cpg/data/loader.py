"""DataLoaders whose batches depend only on their seed."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, Sampler

from cpg.data.in_memory import InMemoryImages


def make_loader(
    dataset: Dataset,
    batch_size: int,
    *,
    shuffle: bool,
    seed: int = 0,
    drop_last: bool = False,
    sampler: Sampler | None = None,
    num_workers: int = 0,
    pin_memory: bool = False,
) -> DataLoader:
    """A loader yielding ``(images [B, C, H, W] float32, labels [B] int64)``.

    The order comes from a generator seeded with ``seed``, so building the loader again with
    the same seed replays the same batches, epoch after epoch. In-memory datasets are read a
    whole batch at a time and their augmentation draws from a second generator seeded with
    ``seed``: such a loader never touches torch's global RNG. File datasets go through
    torchvision's per-sample transforms, which draw from torch's RNG: their order is seeded,
    their augmentation only when ``num_workers > 0`` (each worker's RNG is seeded by the
    loader).
    """
    collate_fn = None
    if isinstance(dataset, InMemoryImages):
        dataset = dataset.with_generator(torch.Generator().manual_seed(seed))
        collate_fn = _whole_batch
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        sampler=sampler,
        drop_last=drop_last,
        num_workers=num_workers,
        pin_memory=pin_memory,
        collate_fn=collate_fn,
        generator=torch.Generator().manual_seed(seed),
    )


def _whole_batch(batch: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
    """The collate of datasets whose ``__getitems__`` already returns a collated batch."""
    return batch
