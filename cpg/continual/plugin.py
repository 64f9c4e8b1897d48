"""Plugins: what a method adds to the strategy it joins, without a stage of its own (in the
manner of Avalanche's plugins and MMEngine's hooks).

A plugin sees the run's events (a task starts learning, a task is committed) and adds hooks to
every training loop of a task; a loop hook sees each training step (the batch, the outputs, a
loss it may add a term to, the optimizers: `cpg.engine.TrainStep`) and each epoch. What a plugin
keeps across steps and tasks (Fisher information, importances, a replay buffer, a frozen copy of
the network) is its state: saved with the run at every save and given back when the run
resumes, so a run killed at any moment ends as an uninterrupted one. A strategy lists its
plugins (`Strategy.plugins`); `execute` and `fit` take more.
"""

from collections.abc import Sequence
from typing import Any

from cpg.continual.session import TaskSession
from cpg.engine import LoopHook


class Plugin:
    """Every method does nothing unless overridden."""

    def task_started(self, session: TaskSession) -> None:
        """The current task was added to the network and begins learning (again after growth)."""

    def loop_hooks(self, session: TaskSession, stage: str) -> Sequence[LoopHook]:
        """Hooks for a training loop of the current task in `stage`."""
        return ()

    def task_committed(self, session: TaskSession) -> None:
        """The current task was committed and recorded in the run's state, before results.json
        is written and the run is saved."""

    def state_dict(self) -> dict[str, Any]:
        """What the plugin keeps (tensors, numbers, strings, lists and dicts of them), saved
        with the run at every save; empty: nothing."""
        return {}

    def load_state_dict(self, state: dict[str, Any], session: TaskSession) -> None:
        """Take back what `state_dict` returned at the save a run resumes from (its tensors on
        the CPU), before the run goes on in `session`."""

    def storage_bytes(self, session: TaskSession) -> dict[str, int]:
        """The bytes the plugin keeps beside the network, by kind, for results.json."""
        return {}


def plugin_states(plugins: Sequence[Plugin]) -> dict[str, dict[str, Any]]:
    """The state of every plugin that keeps one, by its class name (one plugin per class)."""
    states: dict[str, dict[str, Any]] = {}
    for plugin in plugins:
        state = plugin.state_dict()
        if state:
            name = type(plugin).__name__
            if name in states:
                raise ValueError(f"two {name} plugins keep a state; a run saves one per class")
            states[name] = state
    return states


def resume_plugins(plugins: Sequence[Plugin], saved: dict[str, dict[str, Any]], session: TaskSession) -> None:
    """Give each plugin the state a saved version holds of it."""
    for plugin in plugins:
        state = saved.get(type(plugin).__name__)
        if state is not None:
            plugin.load_state_dict(state, session)
