"""What a continual-learning strategy is: a composition of policies and the stages that run them.

Every strategy is one `Strategy` value registered in `cpg.registry.STRATEGIES` (one file each
in cpg/continual/strategies/). Its policies own the behaviour the strategies differ in: what the
tasks share, how a task is pruned, what decides whether it is learned well enough and which
pruning step it keeps, whether the network grows. Its stages (each an object in
cpg/continual/stages/) call the policies and never ask which strategy runs. Its plugins add
what needs no stage (a loss term, a replay buffer): the registered value holds them as they are
before any task, and each run works on copies of its own (`for_run`).
"""

import copy
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from cpg.config import RunConfig
from cpg.continual.plugin import Plugin
from cpg.continual.policies import (Growth, LastStep, NetworkPolicy, NoGrowth, NoPruning, PruningPolicy,
                                    SelectionPolicy)
from cpg.continual.session import TaskSession
from cpg.registry import Registry


class TaskStage(Protocol):
    """A stage of learning a task: it works on the session (and may replace its network) as the
    strategy's policies say, and returns the name of the stage that comes next."""

    def run(self, session: TaskSession, strategy: "Strategy") -> str: ...


STAGES: Registry[type[TaskStage]] = Registry("stage", "cpg.continual.stages", "STAGES")
"""The stages of a strategy whose tasks share one network, by name, each registered by its file
in cpg/continual/stages/."""


@dataclass(frozen=True)
class Strategy:
    network: NetworkPolicy
    pruning: PruningPolicy = NoPruning()
    selection: SelectionPolicy = LastStep()
    growth: Growth = NoGrowth()
    stages: Registry[type[TaskStage]] = STAGES
    plugins: Sequence[Plugin] = field(default_factory=tuple)

    def for_run(self, plugins: Sequence[Plugin] = ()) -> "Strategy":
        """The strategy one run works with: fresh copies of its own plugins (what they keep
        belongs to that run), then `plugins`, which the caller keeps."""
        return dataclasses.replace(self, plugins=(*copy.deepcopy(tuple(self.plugins)), *plugins))

    def summary(self, session: TaskSession) -> dict[str, Any]:
        """Width, free capacity and size for results.json: the network policy's, with the bytes
        each plugin keeps beside the network added to `storage_bytes` by kind."""
        summary = self.network.summary(session)
        kept = {kind: size for plugin in self.plugins for kind, size in plugin.storage_bytes(session).items()}
        if not kept:
            return summary
        storage = {kind: size for kind, size in summary["storage_bytes"].items() if kind != "total"}
        storage.update(kept)
        return {**summary, "storage_bytes": {**storage, "total": sum(storage.values())}}

    def check(self, name: str, config: RunConfig) -> None:
        """Refuse settings the strategy (registered as `name`) cannot honour."""
        self.network.check(name, config)
        self.growth.check(name, config)

    def after_training(self, session: TaskSession) -> str:
        """The stage after the task was trained (and treated): check the goal and record the
        decision with its numbers, then GROW when it is missed and the network may grow, else
        what the pruning policy says (PRUNE, or COMMIT)."""
        decision = self.selection.check_goal(session)
        if not session.progress.goal_met and self.growth.may_grow(session):
            stage = "grow"
        else:
            stage = self.pruning.after_training(session)
        if decision is not None:
            session.progress.decisions.append({**decision, "next": stage})
        return stage
