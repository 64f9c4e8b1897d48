"""The decision rules of cpg/continual/decisions.py on constructed numbers: the paired standard
error, the pruning cap and the fixed-sequence choice of a pruning step."""

import math

import pytest
import torch

from benchmarks.decision_rule import simulated_keep_rate
from cpg.continual.decisions import (Estimate, compare, kept_step, paired_standard_error, prune_cap,
                                      targets_within, unpaired_standard_error)

DEFAULT_TARGETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def estimate(correct: torch.Tensor) -> Estimate:
    return Estimate(int(correct.sum()) / len(correct), len(correct), correct)


def test_the_paired_standard_error_is_agresti_and_min_s_and_smaller_when_errors_coincide():
    goal = torch.tensor([True] * 30 + [False] * 10)
    run = goal.clone()
    run[:3] = False  # three images only the goal network gets right
    run[30] = True  # one only the run gets right
    comparison = compare(estimate(run), estimate(goal), 0.0, 1.0)
    b, c, n = 3.5, 1.5, 42
    expected = math.sqrt(b + c - (c - b) ** 2 / n) / n
    assert comparison.rule == "paired" and comparison.discordant == [3, 1]
    assert comparison.tolerance == pytest.approx(expected)
    assert comparison.threshold == pytest.approx(0.75 - expected)
    unpaired = unpaired_standard_error(Estimate(run.float().mean().item(), 40), Estimate(0.75, 40))
    assert comparison.tolerance < 0.6 * unpaired, "errors on the same images make the difference less noisy"


def test_per_image_results_of_different_splits_are_not_paired():
    run, goal = torch.ones(40, dtype=torch.bool), torch.ones(50, dtype=torch.bool)
    assert compare(estimate(run), estimate(goal), 0.0, 1.0).rule == "unpaired"
    assert compare(Estimate(0.9, 40), Estimate(0.9), 0.0, 1.0).rule == "unpaired"
    assert compare(Estimate(0.9), Estimate(0.9), 0.0, 1.0).rule == "exact"


def test_one_discordant_image_never_decides_and_identical_results_pass_even_the_strict_rule():
    generator = torch.Generator().manual_seed(0)
    for images in (10, 25, 40, 250, 1000):
        goal = torch.rand(images, generator=generator) < 0.8
        goal[0] = True
        run = goal.clone()
        run[0] = False
        assert compare(estimate(run), estimate(goal), 0.0, 1.0).passed, images
        assert compare(estimate(goal), estimate(goal), 0.0, 0.0).passed
        assert not compare(estimate(run), estimate(goal), 0.0, 0.0).passed, "z = 0 is the paper's strict rule"


def test_the_standard_error_from_counts_matches_the_one_from_vectors():
    assert paired_standard_error(0, 0, 250) == pytest.approx(math.sqrt(1 - 0 / 252) / 252)
    assert paired_standard_error(10, 10, 250) > paired_standard_error(5, 5, 250)


@pytest.mark.parametrize(("tasks", "cap", "deepest"), [(5, 0.8, 0.8), (10, 0.9, 0.9), (20, 0.95, 0.95),
                                                      (40, 0.975, 0.95)])
def test_the_cap_of_a_first_task_out_of_reach_leaves_every_later_task_as_much(tasks, cap, deepest):
    assert prune_cap(tasks - 1) == pytest.approx(cap)
    assert max(targets_within(DEFAULT_TARGETS, prune_cap(tasks - 1))) == deepest
    assert 1 - prune_cap(tasks - 1) == pytest.approx(1 / tasks), "the task keeps one share of what it claimed"


def test_the_cap_rises_with_the_tasks_left_and_never_lifts():
    caps = [prune_cap(remaining) for remaining in range(200)]
    assert caps[0] == 0.0, "the last task keeps everything when its goal is out of reach"
    assert all(low < high < 1.0 for low, high in zip(caps, caps[1:]))
    assert targets_within(DEFAULT_TARGETS, prune_cap(1)) == [0.1, 0.2, 0.3, 0.4, 0.5]
    assert targets_within(DEFAULT_TARGETS, prune_cap(2)) == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], "2/3 admits 0.6, not 0.7"
    assert targets_within(DEFAULT_TARGETS, None) == list(DEFAULT_TARGETS)
    with pytest.raises(ValueError):
        prune_cap(-1)


def test_choose_keeps_the_last_of_the_leading_steps_that_may_be_kept():
    met, missed, below_gate = (True, True), (True, False), (False, True)
    assert kept_step([met, met, missed, met], goal_out_of_reach=False) == 1, "a step after a miss is never kept"
    assert kept_step([missed, met], goal_out_of_reach=False) is None
    assert kept_step([met, below_gate, met], goal_out_of_reach=False) == 0
    assert kept_step([missed, missed, (False, False)], goal_out_of_reach=True) == 1
    assert kept_step([], goal_out_of_reach=False) is None


def test_looking_at_more_steps_does_not_loosen_the_choice():
    """Ten steps each 3 points below their goal on 250 images: cpg's rule keeps one no more often
    than it keeps a single such step; keeping the sparsest step that passes would, nearly always."""
    single = simulated_keep_rate(1, fixed_sequence=True)
    assert 0.05 < single < 0.6, "a step 3 points below passes one comparison now and then"
    assert simulated_keep_rate(10, fixed_sequence=True, seed=1) == pytest.approx(single, abs=0.04)
    assert simulated_keep_rate(10, fixed_sequence=False) > single + 0.3


def test_one_image_never_decides():
    for images in (10, 25, 40, 150, 500):
        for correct in range(images // 2, images + 1):
            goal = correct / images
            one_short = Estimate(goal - 1 / images, images)
            assert compare(one_short, Estimate(goal, images), 0.0, 1.0).passed, (images, correct)
            assert compare(one_short, Estimate(goal), 0.0, 1.0).passed, (images, correct)
    assert not compare(Estimate(0.96, 25), Estimate(1.0, 25), 0.0, 0.0).passed  # the paper's strict rule
    far = compare(Estimate(0.70, 40), Estimate(0.90, 40), 0.0, 1.0)
    assert not far.passed and far.threshold == pytest.approx(0.90 - far.tolerance)
    allowed = compare(Estimate(0.85, 40), Estimate(0.90), 0.05, 0.0)
    assert allowed.passed and allowed.threshold == pytest.approx(0.85)
