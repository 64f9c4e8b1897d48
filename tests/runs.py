"""Helpers for tests that compare whole runs."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch
import yaml

from cpg.continual import Plugin
from cpg.engine import LoopHook
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


class Watch(Plugin):
    """A test's seam into a run: calls `started(session)` when a task starts learning,
    `committed(session)` when it is committed, and adds `hooks(session, stage)` to every training
    loop (each optional)."""

    def __init__(self, started: Any = None, committed: Any = None, hooks: Any = None) -> None:
        self.started, self.committed, self.hooks = started, committed, hooks

    def task_started(self, session: Any) -> None:
        if self.started is not None:
            self.started(session)

    def task_committed(self, session: Any) -> None:
        if self.committed is not None:
            self.committed(session)

    def loop_hooks(self, session: Any, stage: str) -> Any:
        return self.hooks(session, stage) if self.hooks is not None else ()


class AfterEpoch(LoopHook):
    """Calls `action(record)` after every epoch of the loop it joins."""

    def __init__(self, action: Any) -> None:
        self.action = action

    def after_epoch(self, record: Any) -> dict[str, float]:
        self.action(record)
        return {}


def record_committed_logits() -> tuple[Watch, list[dict[int, torch.Tensor]]]:
    """A plugin that records, at every commit, the logits of every committed task on `BATCH`
    (one dict per commit), and the records."""
    records: list[dict[int, torch.Tensor]] = []

    def record(session: Any) -> None:
        network = session.network
        network.eval()
        logits = {}
        for task in network.committed_tasks:
            network.use_task(task)
            with torch.no_grad():
                logits[task] = network(BATCH).clone()
        records.append(logits)

    return Watch(committed=record), records


def assert_unchanged_after_commit(records: list[dict[int, torch.Tensor]]) -> None:
    """Every committed task's logits are bit-identical at every later commit."""
    for row in records:
        for task, logits in row.items():
            assert torch.equal(records[-1][task], logits), f"task {task} changed after a later task"


class Killed(BaseException):
    """Stands in for SIGKILL inside the test process: nothing after the save runs."""


def after_each_save(monkeypatch: Any, action: Any) -> None:
    """Call `action(state)` right after every save of a run folder (or of a command's work
    folder) has written its files, `state` being what was saved."""
    from cpg.checkpoint import RunFolder

    save = RunFolder.save

    def saving(self, state, tensors):  # type: ignore[no-untyped-def]
        version = save(self, state, tensors)
        action(state)
        return version

    # Patched rather than injected: this is the storage boundary, where a kill strikes
    # (tests/fixtures/killer.py patches it in a process of its own), and the saves of commands
    # the tests run through `cpg.cli.main` (train, baseline, compress, goals) offer no seam.
    monkeypatch.setattr(RunFolder, "save", saving)


def kill_after_save(monkeypatch: Any, when: Any) -> None:
    """Raise `Killed` right after the first save whose state satisfies `when(state)`."""
    killed = []

    def kill(state: dict[str, Any]) -> None:
        if not killed and when(state):
            killed.append(state)
            raise Killed

    after_each_save(monkeypatch, kill)


def at(task: int, stage: str, epoch: int) -> Any:
    """A state predicate: the run is at (task, stage, epoch of the stage's loop)."""
    return lambda state: (state.get("task"), state.get("stage"), state.get("loop", {}).get("epoch")) == (task, stage, epoch)
