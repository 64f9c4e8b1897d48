"""SeaM's ranking of epochs: lowest retained ratio at 0.1% granularity among epochs at least as
accurate as the source, ties by accuracy; fallback: best accuracy − ratio; with the loop's rule
(a higher score replaces the kept epoch, a tie keeps the earlier)."""

from cpg.seam.selection import ratio_bin, reached, seam_score


def kept(bar: float, results: list[tuple[float, float]]) -> int:
    """The epoch the loop keeps: the first of the highest scores."""
    scores = [seam_score(accuracy, retained, bar) for accuracy, retained in results]
    return scores.index(max(scores))


def test_ratio_bins_are_tenths_of_a_percent():
    assert ratio_bin(0.1234) == ratio_bin(0.1239) == 123
    assert ratio_bin(0.1229) == 122
    assert ratio_bin(0.1) == 100
    assert ratio_bin(1.0) == 1000


def test_lowest_ratio_among_epochs_reaching_the_source():
    assert kept(0.9, [(0.95, 0.5), (0.92, 0.2), (0.85, 0.05), (0.91, 0.3)]) == 1


def test_within_one_bin_the_more_accurate_epoch_wins():
    assert kept(0.9, [(0.91, 0.2004), (0.97, 0.2008), (0.93, 0.2001)]) == 1


def test_a_lower_bin_beats_a_more_accurate_epoch():
    assert kept(0.9, [(0.99, 0.2011), (0.91, 0.2009)]) == 1


def test_full_tie_keeps_the_earlier_epoch():
    assert kept(0.9, [(0.95, 0.3), (0.95, 0.3)]) == 0


def test_fallback_is_best_accuracy_minus_ratio_when_no_epoch_reaches_the_source():
    results = [(0.9, 0.5), (0.8, 0.1), (0.95, 0.6)]
    assert not any(reached(seam_score(accuracy, retained, 0.99)) for accuracy, retained in results)
    assert kept(0.99, results) == 1  # 0.7 beats 0.4 and 0.35


def test_an_epoch_reaching_the_source_beats_every_fallback():
    assert kept(0.9, [(0.5, 0.01), (0.9, 0.8)]) == 1
    assert reached(seam_score(0.9, 0.8, 0.9)) and not reached(seam_score(0.5, 0.01, 0.9))
