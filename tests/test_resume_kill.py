"""A run killed at any moment and resumed ends exactly like an uninterrupted one."""

import pytest

from tests.runs import assert_same_weights, cpg_process, final_weights, results, without_times, write_pipeline

MOMENTS = {
    "during finetune": "state:1:finetune:2",
    "during a prune step": "state:2:prune:1:0",
    "during retrain": "state:2:retrain:1",
    "right after a commit": "state:2:finetune:0",
    "during a checkpoint write": "write:9",
}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("reference")
    pipeline = write_pipeline(root / "quick.yaml")
    completed = cpg_process(["run", "--config", str(pipeline), "--name", "run", "--quiet"], root)
    assert completed.returncode == 0, completed.stderr
    return root / "checkpoints" / "run"


@pytest.mark.parametrize("moment", MOMENTS.values(), ids=MOMENTS.keys())
def test_killed_run_resumes_to_identical_results(reference, tmp_path, moment):
    pipeline = write_pipeline(tmp_path / "quick.yaml")
    killed = cpg_process(["run", "--config", str(pipeline), "--name", "run", "--quiet"], tmp_path, moment)
    assert killed.returncode == -9, f"not killed at {moment}: {killed.returncode} {killed.stderr[-500:]}"
    run_dir = tmp_path / "checkpoints" / "run"
    resumed = cpg_process(["resume", str(run_dir), "--quiet"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stderr
    assert without_times(results(run_dir)) == without_times(results(reference))
    assert_same_weights(final_weights(run_dir), final_weights(reference))


def test_run_with_an_existing_name_resumes_unless_restart(reference, tmp_path):
    pipeline = write_pipeline(tmp_path / "quick.yaml")
    args = ["run", "--config", str(pipeline), "--name", "run", "--quiet"]
    assert cpg_process(args, tmp_path, "state:2:prune:1:0").returncode == -9
    again = cpg_process(args, tmp_path)
    assert again.returncode == 0 and "resuming" in again.stderr
    restarted = cpg_process(args + ["--restart"], tmp_path)
    assert restarted.returncode == 0 and "resuming" not in restarted.stderr
    assert without_times(results(tmp_path / "checkpoints" / "run")) == without_times(results(reference))
