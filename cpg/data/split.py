"""Deterministic stratified splits."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SPLIT_SEED = 0
"""Seed of every split made here: a property of the benchmark, not of a run."""


def stratified_split(labels: np.ndarray, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(kept, held_out)`` with ``round(fraction * n)`` of each class's ``n`` held out.

    Every class keeps at least one example and, when it has two or more, holds at least one
    out. Both index arrays are sorted. Uses numpy's legacy ``RandomState``, whose stream is
    frozen across numpy versions, so a split never changes under an upgrade.
    """
    rng = np.random.RandomState(SPLIT_SEED)
    held_out = []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        count = min(max(round(fraction * len(members)), 1), len(members) - 1)
        held_out.append(members[:count])
    held = np.sort(np.concatenate(held_out))
    kept = np.setdiff1d(np.arange(len(labels)), held)
    return kept, held


def stratified_sample(labels: np.ndarray, sizes: Sequence[int]) -> np.ndarray:
    """Sorted indices of ``sizes[c]`` examples of each class ``c``, drawn at random without
    replacement (all of a class that has fewer), seeded like `stratified_split`.

    The order in which a class's examples are drawn depends on ``labels`` alone, so a smaller
    size keeps a subset of what a larger one keeps.
    """
    rng = np.random.RandomState(SPLIT_SEED)
    kept = [rng.permutation(np.flatnonzero(labels == label))[:size] for label, size in enumerate(sizes)]
    return np.sort(np.concatenate(kept))
