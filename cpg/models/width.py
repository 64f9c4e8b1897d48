"""Width multipliers: a width of w means about w times the parameters, so channels scale by √w."""

import math


def scaled(channels: int, width: float) -> int:
    """Number of channels (or hidden units) of a layer with `channels` at width 1.0."""
    return max(1, int(round(channels * math.sqrt(width))))
