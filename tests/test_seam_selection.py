"""SeaM's best-epoch rule: lowest retained ratio at 0.1% granularity among epochs at least as
accurate as the source, ties by accuracy; fallback: best accuracy − ratio."""

from cpg.algorithms.seam.selection import BestEpoch, EpochResult, ratio_bin


def offer_all(bar: float, results: list[tuple[float, float]]) -> tuple[BestEpoch, list[int]]:
    best: BestEpoch[int] = BestEpoch(bar)
    snapshots: list[int] = []
    for epoch, (accuracy, retained) in enumerate(results):
        def snapshot(epoch: int = epoch) -> int:
            snapshots.append(epoch)
            return epoch
        best.offer(EpochResult(epoch, accuracy, retained), snapshot)
    return best, snapshots


def test_ratio_bins_are_tenths_of_a_percent():
    assert ratio_bin(0.1234) == ratio_bin(0.1239) == 123
    assert ratio_bin(0.1229) == 122
    assert ratio_bin(0.1) == 100
    assert ratio_bin(1.0) == 1000


def test_lowest_ratio_among_epochs_reaching_the_source():
    best, _ = offer_all(0.9, [(0.95, 0.5), (0.92, 0.2), (0.85, 0.05), (0.91, 0.3)])
    result, payload = best.selected
    assert best.qualified and payload == 1 and result.retained == 0.2


def test_within_one_bin_the_more_accurate_epoch_wins():
    best, _ = offer_all(0.9, [(0.91, 0.2004), (0.97, 0.2008), (0.93, 0.2001)])
    assert best.selected[1] == 1


def test_a_lower_bin_beats_a_more_accurate_epoch():
    best, _ = offer_all(0.9, [(0.99, 0.2011), (0.91, 0.2009)])
    assert best.selected[1] == 1


def test_full_tie_keeps_the_earlier_epoch():
    best, _ = offer_all(0.9, [(0.95, 0.3), (0.95, 0.3)])
    assert best.selected[1] == 0


def test_fallback_is_best_accuracy_minus_ratio_when_no_epoch_reaches_the_source():
    best, _ = offer_all(0.99, [(0.9, 0.5), (0.8, 0.1), (0.95, 0.6)])
    assert not best.qualified
    assert best.selected[1] == 1  # 0.7 beats 0.4 and 0.35


def test_fallback_is_dropped_once_an_epoch_qualifies():
    best, _ = offer_all(0.9, [(0.5, 0.01), (0.9, 0.8)])
    assert best.qualified and best.selected[1] == 1


def test_snapshots_are_taken_only_for_new_bests():
    _, snapshots = offer_all(0.9, [(0.95, 0.5), (0.95, 0.6), (0.8, 0.1), (0.96, 0.4)])
    assert snapshots == [0, 3]
