"""Whether the network may grow (up to `max_width`, by `width_step`) when a task misses its goal."""

from dataclasses import dataclass

from cpg.config import RunConfig
from cpg.continual.session import TaskSession
from cpg.errors import SettingError


@dataclass(frozen=True)
class Growth:
    """A task that misses its goal below `max_width` starts over on a wider network (GROW)."""

    grows = True

    def check(self, strategy: str, config: RunConfig) -> None:
        """Refuse settings the policy cannot honour."""

    def may_grow(self, session: TaskSession) -> bool:
        return not session.at_max_width


@dataclass(frozen=True)
class NoGrowth(Growth):
    """The network keeps its width: `max_width` must be 1."""

    grows = False

    def check(self, strategy: str, config: RunConfig) -> None:
        if config.max_width != 1.0:
            raise SettingError("max_width", f"{strategy} does not grow the network; use 1.0 (got {config.max_width:g})")

    def may_grow(self, session: TaskSession) -> bool:
        return False
