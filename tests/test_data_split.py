import numpy as np
import pytest

from cpg.data.split import stratified_split


def test_split_is_a_disjoint_cover_stratified_and_deterministic():
    labels = np.repeat([0, 1, 2], [100, 40, 10])
    kept, held = stratified_split(labels, 0.2)
    assert np.intersect1d(kept, held).size == 0
    assert np.array_equal(np.sort(np.concatenate([kept, held])), np.arange(len(labels)))
    assert np.bincount(labels[held]).tolist() == [20, 8, 2]
    again_kept, again_held = stratified_split(labels, 0.2)
    assert np.array_equal(kept, again_kept) and np.array_equal(held, again_held)


def test_split_is_shuffled_within_each_class():
    labels = np.zeros(100, dtype=int)
    _, held = stratified_split(labels, 0.1)
    assert not np.array_equal(held, np.arange(10))


@pytest.mark.parametrize("fraction", [0.01, 0.5])
def test_every_class_keeps_one_and_holds_one_out(fraction):
    labels = np.array([0, 0, 1, 1, 1, 2])
    kept, held = stratified_split(labels, fraction)
    assert set(labels[kept]) == {0, 1, 2}
    assert set(labels[held]) == {0, 1}
