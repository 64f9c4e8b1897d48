"""The gradual pruning schedule: cubic in the iteration, updated every few iterations."""

import pytest

from cpg.continual.stages.prune import GradualPruneHook
from cpg.pruner import cubic_sparsity


def test_cubic_schedule_values():
    assert cubic_sparsity(0.2, 0.6, 0.0) == pytest.approx(0.2)
    assert cubic_sparsity(0.2, 0.6, 1.0) == pytest.approx(0.6)
    assert cubic_sparsity(0.2, 0.6, 0.5) == pytest.approx(0.6 - 0.4 * 0.125)
    assert cubic_sparsity(0.0, 0.9, 0.25) == pytest.approx(0.9 * (1 - 0.75**3))
    assert cubic_sparsity(0.0, 0.9, 2.0) == pytest.approx(0.9)  # progress beyond the ramp is clamped


class Recorder:
    def __init__(self) -> None:
        self.targets: list[float] = []

    def prune_to(self, sparsity: float, optimizers: tuple) -> int:
        self.targets.append(sparsity)
        return 0


def test_the_hook_moves_along_the_schedule_every_few_iterations_during_the_ramp():
    magnitude = Recorder()
    steps_per_epoch, ramp, every = 4, 10, 3
    hook = GradualPruneHook(magnitude, 0.5, 0.8, ramp, every, steps_per_epoch, ())
    for epoch in range(4):  # the ramp covers 10 of the 16 iterations
        hook.before_epoch(epoch)
        for step in range(steps_per_epoch):
            hook.after_step(step)
    updated_at = [0, 3, 6, 9]  # every 3rd iteration, and the ramp's last one (9)
    assert magnitude.targets == pytest.approx([cubic_sparsity(0.5, 0.8, (i + 1) / ramp) for i in updated_at])
    assert magnitude.targets[-1] == pytest.approx(0.8)
