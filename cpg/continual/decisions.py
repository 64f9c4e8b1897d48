"""The rules CPG's decisions follow, stated once (the README's Decisions section says the same).

Every decision compares an accuracy measured on a finite split with a reference: the task's goal
(is it learned well enough, must the network grow, which pruning step to keep) or the training
accuracy gate (has pruning cost the task its fit). A decision allows for sampling error:

    measured ≥ reference − allowed_loss − z · SE

z is `goal.standard_errors` (1 by default; 0 gives the paper's strict comparison). SE is the
standard error of the difference, computed one of two ways:

- **paired**, when both accuracies were measured on the same images and the reference says
  which of them it got right (a goal measured by cpg): only the discordant images carry
  information about the difference. With b images the reference got right and the run wrong, c
  the other way, out of n, Agresti and Min's adjusted Wald interval for matched proportions (2005) adds
  half an image to each cell of the 2×2 table: b' = b + ½, c' = c + ½, n' = n + 2 and
  SE = √(b' + c' − (c' − b')² / n') / n'. Two identical prediction vectors still carry an
  uncertainty of about one image, and a single discordant image never decides.
- **unpaired** otherwise (a published goal without per-image results, or training accuracies of
  different augmented batches): the two estimates count as independent binomials, each smoothed
  by one success and one failure ((k + 1) / (n + 2)); a reference given as a plain number
  (`--goal`, the 0.95 gate) has no variance.

The decisions built on it:
- goal met (after FINETUNE): the selection accuracy meets the goal. Missed below the maximum
  width: GROW.
- a pruning step passes the training gate when its training accuracy meets min(`goal.train_accuracy`,
  the task's own training accuracy before pruning). PRUNE stops after a step that fails it.
- CHOOSE (fixed sequence): the steps are judged in order of sparsity and a step may be kept only
  if it and every step before it met the goal, so PRUNE stops at the first step that misses.
  Looking at more steps cannot loosen the choice: a step whose true accuracy lies more than the
  tolerance below the goal is kept only if the first such step passes, which is no likelier
  than for one comparison. At the maximum width with the goal missed, the sparsest step within
  the gate whose target is at most the pruning cap (`prune_cap`); none: the unpruned weights.
"""

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from torch import Tensor

from cpg.goals import pack_correct


@dataclass(frozen=True)
class Estimate:
    """An accuracy, the number of images it was measured on (None: a given number, exact) and,
    when known, which of them were classified correctly (a boolean vector in split order)."""

    accuracy: float
    images: int | None = None
    correct: Tensor | None = field(default=None, compare=False)

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
    rule: str  # "paired", "unpaired" or "exact" (a given reference and no images)
    discordant: list[int] | None = None  # paired: [reference right and run wrong, run right and reference wrong]
    measured_correct: str | None = None  # paired: which images the run got right (`cpg.goals.pack_correct`)

    def to_dict(self) -> dict:
        return {key: value for key, value in asdict(self).items()
                if value is not None or key not in ("discordant", "measured_correct")}


def discordant_pairs(measured: Tensor, reference: Tensor) -> tuple[int, int]:
    """(b, c): images only `reference` got right, images only `measured` got right."""
    measured, reference = measured.bool(), reference.bool()
    return int((reference & ~measured).sum()), int((measured & ~reference).sum())


def paired_standard_error(only_reference: int, only_measured: int, images: int) -> float:
    """SE of the difference of two accuracies on the same `images` images, of which
    `only_reference` only the reference got right and `only_measured` only the measured model
    (Agresti–Min: half an image added to each cell of the 2×2 table)."""
    b_adj, c_adj, n_adj = only_reference + 0.5, only_measured + 0.5, images + 2
    return math.sqrt(b_adj + c_adj - (c_adj - b_adj) ** 2 / n_adj) / n_adj


def unpaired_standard_error(measured: Estimate, reference: Estimate) -> float:
    """SE of the difference of two independent accuracies (each smoothed, see the module doc)."""
    return math.sqrt(measured.variance() + reference.variance())


def is_paired(measured: Estimate, reference: Estimate) -> bool:
    return (measured.correct is not None and reference.correct is not None
            and measured.correct.shape == reference.correct.shape)


def compare(measured: Estimate, reference: Estimate, allowed_loss: float, standard_errors: float) -> Comparison:
    """Does `measured` reach `reference` − `allowed_loss`, within `standard_errors` SEs?"""
    discordant, measured_correct = None, None
    if is_paired(measured, reference):
        assert measured.correct is not None and reference.correct is not None
        discordant = list(discordant_pairs(measured.correct, reference.correct))
        standard_error, rule = paired_standard_error(*discordant, measured.correct.numel()), "paired"
        measured_correct = pack_correct(measured.correct)
    else:
        standard_error = unpaired_standard_error(measured, reference)
        rule = "unpaired" if measured.images or reference.images else "exact"
    tolerance = standard_errors * standard_error
    threshold = reference.accuracy - allowed_loss - tolerance
    return Comparison(measured.accuracy, measured.images, reference.accuracy, reference.images, allowed_loss,
                      tolerance, threshold, measured.accuracy >= threshold - 1e-12, rule, discordant, measured_correct)


def prune_cap(remaining_tasks: int) -> float:
    """How sparse a task whose goal is out of reach may be pruned: r / (r + 1) for r tasks after
    it, so that it keeps 1 / (r + 1) of the weights it claimed and leaves each later task as
    much. It rises with r and stays below 1 (the CPG paper's 1 − round(1 / (r + 1), 1) drops to
    no cap at all from 20 tasks left)."""
    if remaining_tasks < 0:
        raise ValueError(f"remaining tasks must not be negative, got {remaining_tasks}")
    return remaining_tasks / (remaining_tasks + 1)


def targets_within(targets: Sequence[float], cap: float | None) -> list[float]:
    """The pruning targets a task may be pruned to: all of them, or those at most `cap`. Targets
    are compared, not measured sparsities (per-layer rounding can leave a step a hair below its
    target)."""
    return [target for target in targets if cap is None or target <= cap + 1e-9]


def kept_step(steps: Sequence[tuple[bool, bool]], goal_out_of_reach: bool) -> int | None:
    """The step CHOOSE keeps, from each step's (within the training gate, met the goal) in order
    of sparsity: the last of the leading steps that may be kept (fixed sequence); None: the
    unpruned weights. With the goal out of reach, meeting it is not asked."""
    kept = None
    for index, (within_gate, met_goal) in enumerate(steps):
        if not (within_gate and (met_goal or goal_out_of_reach)):
            break
        kept = index
    return kept
