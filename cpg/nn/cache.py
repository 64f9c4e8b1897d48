"""A small per-layer cache of effective weights, keyed by task and checked against versions."""

from collections import OrderedDict
from collections.abc import Callable

from torch import Tensor


class EffectiveWeightCache:
    """Least-recently-used effective weights of at most `capacity` tasks.

    An entry is valid only while the tensors it was computed from are unchanged: the caller
    passes their version stamps (autograd's in-place counters and object ids), so any in-place
    update, reload or growth invalidates it without explicit bookkeeping.
    """

    def __init__(self, capacity: int = 4) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[int, tuple[tuple, Tensor]] = OrderedDict()

    def get(self, task: int, stamp: tuple, compute: Callable[[], Tensor]) -> Tensor:
        entry = self._entries.get(task)
        if entry is not None and entry[0] == stamp:
            self._entries.move_to_end(task)
            return entry[1]
        value = compute()
        if self.capacity > 0:
            self._entries[task] = (stamp, value)
            self._entries.move_to_end(task)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        self._entries.clear()
