"""SeaM's ranking of epochs, as a score for the loop's kept-epoch rule (cpg.engine.loop).

Epochs whose target accuracy reaches the source model's accuracy on the target problem rank
above all others; among them the lowest retained ratio wins, compared at 0.1% granularity
(per-mille bins), and within a bin the higher accuracy. When no epoch reaches the source's
accuracy, the highest accuracy − ratio wins. On a full tie the earlier epoch stays (the loop's
rule).
"""

import math
from dataclasses import dataclass

from cpg.engine import Score


@dataclass(frozen=True)
class EpochResult:
    epoch: int  # 0-based
    accuracy: float
    retained: float


def ratio_bin(retained: float) -> int:
    """The retained ratio in whole tenths of a percent."""
    return math.floor(retained * 1000 + 1e-9)


def seam_score(accuracy: float, retained: float, bar: float) -> Score:
    if accuracy >= bar:
        return (1.0, -float(ratio_bin(retained)), accuracy)
    return (0.0, accuracy - retained, 0.0)


def reached(score: Score) -> bool:
    """Whether an epoch of this score reached the source's accuracy."""
    return score[0] == 1.0
