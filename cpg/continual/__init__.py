"""Continual learning: CPG and the strategies it is compared with, each a composition of
policies (`Strategy`), run by one stage machine on a task session (docs/architecture.md)."""

from cpg.continual.machine import StageMachine
from cpg.continual.plugin import Plugin
from cpg.continual.recorder import RunRecorder
from cpg.continual.session import TaskSession
from cpg.continual.state import DONE, RunState
from cpg.continual.strategy import Strategy
from cpg.registry import STRATEGIES

__all__ = ["DONE", "STRATEGIES", "Plugin", "RunRecorder", "RunState", "StageMachine", "Strategy", "TaskSession"]
