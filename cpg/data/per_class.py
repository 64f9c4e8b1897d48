"""The ``train_per_class`` option of the benchmarks read in torchvision's formats (MNIST,
Fashion-MNIST, CIFAR-10, CIFAR-100): keep that many training images of each class.

The images are drawn at random within each class with the fixed split seed, from the whole
training set as read, before it is dealt out to tasks, transformed, or has its validation part
held out; a task's training and validation splits together hold ``train_per_class`` images of
each of its classes. The draw depends on the files and the count alone: a smaller count keeps
a subset of a larger one, and every benchmark reading the same files keeps the same images. A
class with fewer images keeps all of them. The test split stays whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from cpg.data.class_split import Split
from cpg.data.options import int_option, resolve_options
from cpg.data.split import SPLIT_SEED, stratified_sample

OPTION = "train_per_class"
DEFAULTS: Mapping[str, Any] = {OPTION: None}
"""Unset keeps every training image."""
MINIMUM = 2
"""One training and one validation image of each class."""


def requested_count(benchmark: str, given: Mapping[str, Any]) -> int | None:
    """The validated ``train_per_class`` of options ``given`` (which hold every key of
    `DEFAULTS`); None keeps every training image."""
    value = given[OPTION]
    return None if value is None else int_option(benchmark, OPTION, value, MINIMUM)


def train_per_class_option(benchmark: str, options: Mapping[str, Any] | None) -> int | None:
    """`requested_count` for a benchmark whose one option of its own is ``train_per_class``."""
    return requested_count(benchmark, resolve_options(benchmark, options, DEFAULTS))


def keep_per_class(train: Split, count: int | None) -> tuple[Split, str | None]:
    """``train`` with at most ``count`` images of each class, in their order as read, and the
    words saying what was kept (None when ``count`` is None: ``train`` as it is)."""
    if count is None:
        return train, None
    images, labels = train
    sizes = torch.bincount(labels).tolist()
    index = torch.from_numpy(stratified_sample(labels.numpy(), [count] * len(sizes)))
    return (images[index], labels[index]), _kept(sizes, count)


def _kept(sizes: list[int], count: int) -> str:
    low, high = min(sizes), max(sizes)
    available = f"{low:,}" if low == high else f"{low:,}–{high:,}"
    if count >= high:
        what = f"every training image ({available} per class, none above train_per_class {count:,})"
    else:
        fewer = sum(size < count for size in sizes)
        whole = f"{fewer} class{'es' if fewer > 1 else ''} with fewer kept whole; " if fewer else ""
        what = f"{count:,} of {available} training images per class ({whole}stratified, seed {SPLIT_SEED})"
    return f"kept {what}, validation held out of them; test split whole"
