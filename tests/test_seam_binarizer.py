"""SeaM's binarizer: 0/1 at threshold 0 forward, straight-through gradient clipped to [-1, 1]."""

import torch

from cpg.nn.binarizer import binarize


def test_forward_is_one_strictly_above_the_threshold():
    mask = torch.tensor([-2.0, -1e-6, 0.0, 1e-6, 3.0])
    assert torch.equal(binarize(mask), torch.tensor([0.0, 0.0, 0.0, 1.0, 1.0]))


def test_forward_keeps_the_dtype():
    assert binarize(torch.ones(3, dtype=torch.float64)).dtype == torch.float64


def test_gradient_passes_straight_through_clipped_to_unit_interval():
    mask = torch.tensor([-5.0, -0.3, 0.0, 0.4, 2.0], requires_grad=True)
    upstream = torch.tensor([-3.0, -0.5, 0.25, 0.75, 7.0])
    (binarize(mask) * upstream).sum().backward()
    assert torch.equal(mask.grad, torch.tensor([-1.0, -0.5, 0.25, 0.75, 1.0]))


def test_gradient_reaches_masks_below_the_threshold():
    mask = torch.full((4,), -10.0, requires_grad=True)
    binarize(mask).sum().backward()
    assert torch.equal(mask.grad, torch.ones(4))
