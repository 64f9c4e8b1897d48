"""Stopping a training command cleanly: the first SIGINT (Ctrl-C) or SIGTERM asks the running
loop to finish its epoch, save, and stop; a second one stops at once (the last save stands)."""

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class StopRequested(KeyboardInterrupt):
    """Raised by a loop after it saved, when a stop was asked for."""


class StopRequest:
    def __init__(self) -> None:
        self.requested = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print("cpg: stopping after this epoch (it is saved first); signal again to stop at once", file=sys.stderr)

    @contextmanager
    def handling(self) -> Iterator[None]:
        """Route SIGINT and SIGTERM here while the block runs (in the main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {number: signal.signal(number, self._handle) for number in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
            self.requested = False


STOP = StopRequest()
"""The process's stop request, installed by the command line around every command."""
