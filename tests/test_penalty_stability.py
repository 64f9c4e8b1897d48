"""EWC's and SI's penalty is a quadratic whose curvature SGD has to stay within: a penalty too
strong for the learning rate is refused before the task it would throw off trains, naming the
strength that fits, and the run resumes with it."""

import json
import re
from pathlib import Path

import pytest
import torch
import yaml

from cpg.cli import main
from cpg.continual.quadratic import stable_step_limit
from cpg.optim import sgd
from tests.conftest import QUICK


def distance_after_steps(rate_times_curvature: float, momentum: float, steps: int = 3000) -> float:
    """|x| after `steps` of cpg's SGD on x²/2 from x = 1 (curvature 1), at the given rate."""
    x = torch.nn.Parameter(torch.ones(1))
    optimizer = sgd([x], lr=rate_times_curvature, momentum=momentum)
    for _ in range(steps):
        optimizer.zero_grad()
        (x.square() / 2).sum().backward()
        optimizer.step()
        if x.abs().item() > 1e3:
            break
    return x.abs().item()


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_the_step_limit_is_where_the_engines_sgd_stops_converging_on_a_quadratic(momentum):
    limit = stable_step_limit(momentum)
    assert distance_after_steps(0.98 * limit, momentum) < 1e-3
    assert distance_after_steps(1.02 * limit, momentum) > 1e3


def refusal(capsys, strategy: str) -> float:
    """The strength the one error line says fits."""
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("cpg: error:")]
    assert len(errors) == 1 and errors[0].startswith(f"cpg: error: {strategy}.strength: "), errors
    return float(re.search(r"less than ([0-9.e+-]+),", errors[0]).group(1))


def position(run: Path) -> tuple[int, str, int]:
    newest = max(run.glob("state-*.json"), key=lambda path: int(path.stem.split("-")[1]))
    state = json.loads(newest.read_text())
    return state["task"], state["stage"], state["loop"]["epoch"]


@pytest.mark.parametrize("strategy", ["ewc", "si"])
def test_too_strong_a_penalty_is_refused_before_a_task_trains_and_the_run_resumes_below_it(
        tmp_path, monkeypatch, capsys, strategy):
    """Each task's importance adds to the earlier ones', so a strength that fits one task may not
    fit the next: every refusal comes before a later task trains and names a lower strength."""
    monkeypatch.chdir(tmp_path)
    Path("stiff.yaml").write_text(yaml.safe_dump({**QUICK, "strategy": strategy, strategy: {"strength": 1e6}}))
    run = tmp_path / "checkpoints" / "stiff"
    code, strength, refused_at = main(["run", "--config", "stiff.yaml", "--name", "stiff", "--quiet"]), 1e6, 1
    while code == 2:
        most = refusal(capsys, strategy)
        task, stage, epoch = position(run)
        assert most < strength and task > refused_at and (stage, epoch) == ("finetune", 0)
        strength, refused_at = 0.9 * most, task
        Path("fits.yaml").write_text(yaml.safe_dump({strategy: {"strength": strength}}))
        code = main(["resume", str(run), "--config", "fits.yaml", "--quiet"])
    assert code == 0 and refused_at > 1
    results = json.loads((run / "results.json").read_text())
    assert len(results["tasks"]) == QUICK["benchmark_options"]["num_tasks"]
