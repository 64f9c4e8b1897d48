"""Helpers for tests that compare whole runs."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch
import yaml

from tests.conftest import QUICK

TIMES = ("wall_time_seconds", "goal_seconds", "seconds_per_stage", "seconds")


def without_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: without_times(item) for key, item in value.items() if key not in TIMES}
    if isinstance(value, list):
        return [without_times(item) for item in value]
    return value


def write_pipeline(path: Path, **overrides: Any) -> Path:
    path.write_text(yaml.safe_dump({**QUICK, **overrides}))
    return path


def cpg_process(args: list[str], cwd: Path, moment: str = "never") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tests.fixtures.killer", moment, *args], cwd=cwd,
                          capture_output=True, text=True, env=_env())


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1]) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def results(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "results.json").read_text())


def final_weights(run_dir: Path) -> dict[str, torch.Tensor]:
    from cpg.workflows import open_run

    return open_run(run_dir).network.state_dict()


def assert_same_weights(left: dict[str, Any], right: dict[str, Any]) -> None:
    assert left.keys() == right.keys()
    for key, value in left.items():
        if isinstance(value, torch.Tensor):
            assert torch.equal(value, right[key]), key
        else:
            assert value == right[key], key


BATCH = torch.randn(16, 1, 8, 8, generator=torch.Generator().manual_seed(5))
"""A fixed input batch for 1×8×8 networks."""


def record_committed_logits(monkeypatch: Any) -> list[dict[int, torch.Tensor]]:
    """At every commit, the logits of every committed task on `BATCH` (one dict per commit)."""
    from cpg.continual.context import RunContext

    records: list[dict[int, torch.Tensor]] = []
    original = RunContext.task_committed

    def record(self, network, summary):  # type: ignore[no-untyped-def]
        network.eval()
        logits = {}
        for task in network.committed_tasks:
            network.use_task(task)
            with torch.no_grad():
                logits[task] = network(BATCH).clone()
        records.append(logits)
        original(self, network, summary)

    monkeypatch.setattr(RunContext, "task_committed", record)
    return records


def assert_unchanged_after_commit(records: list[dict[int, torch.Tensor]]) -> None:
    """Every committed task's logits are bit-identical at every later commit."""
    for row in records:
        for task, logits in row.items():
            assert torch.equal(records[-1][task], logits), f"task {task} changed after a later task"


class Killed(BaseException):
    """Stands in for SIGKILL inside the test process: nothing after the save runs."""


def kill_after_save(monkeypatch: Any, when: Any) -> None:
    """Make the first `RunFolder.save` whose saved state satisfies `when(state)` raise `Killed`
    right after it has written its files (later saves are left alone)."""
    from cpg.checkpoint import RunFolder

    save = RunFolder.save

    def dying_save(self, state, tensors):  # type: ignore[no-untyped-def]
        version = save(self, state, tensors)
        if when(state):
            monkeypatch.setattr(RunFolder, "save", save)
            raise Killed
        return version

    monkeypatch.setattr(RunFolder, "save", dying_save)


def at(task: int, stage: str, epoch: int) -> Any:
    """A state predicate: the run is at (task, stage, epoch of the stage's loop)."""
    return lambda state: (state.get("task"), state.get("stage"), state.get("loop", {}).get("epoch")) == (task, stage, epoch)
