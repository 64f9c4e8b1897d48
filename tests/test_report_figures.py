"""The accuracy-vs-sparsity chart keeps a readable y axis."""

import pytest

from cpg.report.figures import accuracy_axis


@pytest.mark.parametrize(("accuracies", "axis"), [
    ([1.0, 1.0, 1.0], (0.9, 1.0)),
    ([0.5, 0.5], (0.5, 1.0)),
    ([0.97, 0.83], (0.8, 1.0)),
    ([], (0.0, 1.0)),
])
def test_the_accuracy_axis_never_collapses(accuracies, axis):
    assert accuracy_axis(accuracies) == pytest.approx(axis)

