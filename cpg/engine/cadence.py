"""How often a loop's position is written: at most every `seconds` (0: after every epoch).

A save costs about the same whatever an epoch costs; on fast hardware an epoch takes well under
a second, so saving after every epoch would take longer than training. A loop saves after an
epoch only when the last save is `seconds` old; a run killed between saves resumes from the last
one and, since every epoch's batches are seeded by its position, ends exactly as it would have.
"""

import time


class Cadence:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last = time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self._last >= self.seconds

    def mark(self) -> None:
        self._last = time.monotonic()
