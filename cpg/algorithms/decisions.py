"""The rules CPG's decisions follow, stated once.

Every decision compares an accuracy measured on a finite split with a reference: the task's goal
(is it learned well enough, must the network grow, which pruning step to keep) or the training
accuracy gate (has pruning cost the task its fit). Both sides are estimates from a few hundred
images at most, so a decision allows for their sampling error:

    measured ≥ reference − allowed_loss − z · SE

SE is the standard error of the difference of two independent binomial estimates, each
smoothed by one success and one failure ((k + 1) / (n + 2)), so that 25 of 25 correct still
carries an uncertainty; a reference given as a plain number (`--goal`, the 0.95 gate) has none.
z is `goal.standard_errors` (1 by default; 0 gives the paper's strict comparison). With z ≥ 1 a
single image never decides: one image moves an accuracy by 1/n, less than one SE of any
difference that includes a measured accuracy below 1.

The decisions built on it:
- goal met (after FINETUNE): the selection accuracy meets the goal. Training accuracy does not
  enter: a task that generalises as well as a network trained for it alone is learned, however
  closely it fits its training images (the CPG paper also asked for training accuracy > 0.95,
  which made hard tasks grow whatever their validation accuracy). Missed below the maximum
  width: GROW.
- a pruning step passes the training gate when its training accuracy meets min(`goal.train_accuracy`,
  the task's own training accuracy before pruning): pruning may not cost the task its fit.
  PRUNE stops after a step that fails it.
- CHOOSE keeps only steps that passed the gate: the sparsest one whose selection accuracy meets
  the goal; at the maximum width with the goal missed, the sparsest one (the goal is out of
  reach, so the task leaves what it can to the tasks after it); none: the unpruned weights.
"""

import math
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Estimate:
    """An accuracy and the number of images it was measured on (None: a given number, exact)."""

    accuracy: float
    images: int | None = None

    def variance(self) -> float:
        if not self.images:
            return 0.0
        smoothed = (self.accuracy * self.images + 1) / (self.images + 2)
        return smoothed * (1 - smoothed) / (self.images + 2)

    def lower(self, other: "Estimate") -> "Estimate":
        """The lower of two references (the first on a tie)."""
        return other if other.accuracy < self.accuracy else self


@dataclass(frozen=True)
class Comparison:
    """One decision's numbers, as results.json records them."""

    measured: float
    images: int | None
    reference: float
    reference_images: int | None
    allowed_loss: float
    tolerance: float
    threshold: float
    passed: bool

    def to_dict(self) -> dict:
        return asdict(self)


def compare(measured: Estimate, reference: Estimate, allowed_loss: float, standard_errors: float) -> Comparison:
    """Does `measured` reach `reference` − `allowed_loss`, within `standard_errors` SEs?"""
    tolerance = standard_errors * math.sqrt(measured.variance() + reference.variance())
    threshold = reference.accuracy - allowed_loss - tolerance
    return Comparison(measured.accuracy, measured.images, reference.accuracy, reference.images, allowed_loss,
                      tolerance, threshold, measured.accuracy >= threshold - 1e-12)
