"""A plugin's state is saved with the run at every save and given back when the run resumes; a
run works on copies of its strategy's plugins; what a plugin keeps counts in the run's size."""

from typing import Any

import pytest
import torch

from cpg.continual import STRATEGIES, Plugin
from cpg.continual.plugin import plugin_states
from cpg.engine import LoopHook
from cpg.workflows import execute
from tests.runs import Killed, at, kill_after_save


class Steps(LoopHook):
    def __init__(self, counts: torch.Tensor, task: int) -> None:
        self.counts, self.task = counts, task

    def after_step(self, step: int) -> None:
        self.counts[self.task - 1] += 1


class StepCounter(Plugin):
    """Counts the optimizer steps of every task (a state that a resumed run without it would
    count again from zero) and keeps 3 bytes per task."""

    def __init__(self) -> None:
        self.counts = torch.zeros(3, dtype=torch.long)
        self.resumed_with: list[int] | None = None

    def loop_hooks(self, session: Any, stage: str) -> list[LoopHook]:
        return [Steps(self.counts, session.task)]

    def state_dict(self) -> dict[str, Any]:
        return {"counts": self.counts}

    def load_state_dict(self, state: dict[str, Any], session: Any) -> None:
        self.counts.copy_(state["counts"])
        self.resumed_with = state["counts"].tolist()

    def storage_bytes(self, session: Any) -> dict[str, int]:
        return {"step_counts": 3 * len(session.state.results)}


def test_a_plugins_state_survives_a_kill_in_the_middle_of_a_task(quick_config, quiet, monkeypatch):
    whole = StepCounter()
    execute(quick_config(name="whole", strategy="finetune"), console=quiet, plugins=[whole])
    config = quick_config(name="killed", strategy="finetune")
    kill_after_save(monkeypatch, at(2, "finetune", 2))
    with pytest.raises(Killed):
        execute(config, console=quiet, plugins=[StepCounter()])
    resumed = StepCounter()
    results = execute(config, console=quiet, plugins=[resumed])
    steps = whole.counts[0].item()
    assert resumed.resumed_with == [steps, 2 * steps // 3, 0]  # task 1 whole, 2 of task 2's 3 epochs
    assert torch.equal(resumed.counts, whole.counts)
    assert results["storage_bytes"]["step_counts"] == 9
    assert results["storage_bytes"]["total"] == sum(size for kind, size in results["storage_bytes"].items()
                                                    if kind != "total")


def test_each_run_works_on_fresh_copies_of_its_strategys_plugins(quick_config, quiet):
    registered = STRATEGIES.get("si").plugins[0]
    execute(quick_config(name="si", strategy="si"), console=quiet)
    assert registered.importance == {} and registered.omega == {}


def test_two_plugins_of_one_class_cannot_both_keep_a_state():
    with pytest.raises(ValueError, match="two StepCounter plugins"):
        plugin_states([StepCounter(), StepCounter()])
