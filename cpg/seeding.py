"""Seeds derived from a run's position, so a resumed run draws the same random numbers as an
uninterrupted one without saving generator states."""

import hashlib


def derive_seed(seed: int, *parts: object) -> int:
    """A 63-bit seed determined by `seed` and the position `parts` (task, stage, epoch…)."""
    text = repr((seed, *parts)).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "little") >> 1
