"""End-to-end runs of the CPG state machine on small synthetic tasks."""

import json

import pytest
import torch

from cpg.runner import execute
from cpg.runs import open_run


def committed_logits(monkeypatch):
    """Record, at every commit, the logits of every committed task on a fixed batch."""
    from cpg.algorithms.context import RunContext

    records: list[dict[int, torch.Tensor]] = []
    original = RunContext.task_committed
    batch = torch.randn(16, 1, 8, 8, generator=torch.Generator().manual_seed(5))

    def record(self, network, summary):
        network.eval()
        logits = {}
        for task in network.committed_tasks:
            network.use_task(task)
            with torch.no_grad():
                logits[task] = network(batch).clone()
        records.append(logits)
        original(self, network, summary)

    monkeypatch.setattr(RunContext, "task_committed", record)
    return records, batch


def test_zero_forgetting_bit_exact_with_growth_batchnorm_and_reload(quick_config, quiet, monkeypatch):
    records, batch = committed_logits(monkeypatch)
    # an unreachable training-accuracy goal makes every task grow to the maximum width
    config = quick_config(max_width=2.0, goal={"train_accuracy": 1.0})
    results = execute(config, console=quiet)
    assert [task["width"] for task in results["tasks"]] == [2.0, 2.0, 2.0]
    assert results["final_width"] == 2.0
    assert all(task["attempts"] == 3 for task in results["tasks"][:1])
    assert results["forgetting"] == [0.0, 0.0, 0.0]
    run = open_run(config.checkpoint_dir + "/run")
    for task, logits in records[-1].items():
        run.network.use_task(task)
        with torch.no_grad():
            assert torch.equal(run.network(batch), logits)
    for row in records:
        for task, logits in row.items():
            assert torch.equal(records[-1][task], logits), f"task {task} changed after a later task"


def test_growth_starts_at_width_one_and_stops_at_max(quick_config, quiet):
    config = quick_config(max_width=1.5, goal={"train_accuracy": 1.0}, benchmark_options={
        "num_tasks": 2, "classes_per_task": 2, "train_per_class": 30, "test_per_class": 10, "image_size": 8,
        "channels": 1, "difficulty": 0.3})
    results = execute(config, console=quiet)
    assert results["final_width"] == 1.5
    assert [task["attempts"] for task in results["tasks"]] == [2, 1]
    assert all(task["width"] == 1.5 for task in results["tasks"])
    # at max width with the goal missed, pruning stops at the cap 1 - round(1 / (remaining + 1), 1)
    assert results["tasks"][0]["prune"][-1]["sparsity"] >= 0.5 - 1e-6
    assert len(results["tasks"][0]["prune"]) == 1


def test_task_without_free_weights_learns_by_picking_alone(quick_config, quiet):
    config = quick_config(prune={"targets": []}, benchmark_options={
        "num_tasks": 2, "classes_per_task": 2, "train_per_class": 30, "test_per_class": 10, "image_size": 8,
        "channels": 1, "difficulty": 0.3})
    results = execute(config, console=quiet)
    first, second = results["tasks"]
    assert first["owned_share"] == pytest.approx(1.0)
    assert second["picking_only"] is True and second["owned_share"] == 0.0
    assert 0.0 < second["picked_share"] <= 1.0
    assert results["forgetting"] == [0.0, 0.0]


def test_results_json_has_the_documented_fields(quick_config, quiet):
    config = quick_config()
    execute(config, console=quiet)
    results = json.loads(open(f"{config.checkpoint_dir}/run/results.json").read())
    for key in ("tasks", "accuracy_matrix", "average_accuracy", "forgetting", "backward_transfer",
                "model_size", "checkpoint_bytes", "dense_float32_bytes", "wall_time_seconds", "seconds_per_stage"):
        assert key in results
    assert [len(row) for row in results["accuracy_matrix"]] == [1, 2, 3]
    for task in results["tasks"]:
        for key in ("goal", "final_accuracy", "forgetting", "sparsity", "owned_share", "width", "seconds"):
            assert key in task
        assert {"finetune", "prune", "choose", "commit"} <= set(task["seconds"])


def test_retrain_trains_the_picking_mask_frozen_during_pruning(quick_config, quiet, monkeypatch):
    from cpg.algorithms.cpg import CPG

    trained = []
    original = CPG._optimizers

    def spy(self, lr, mask_lr):
        optimizers = original(self, lr, mask_lr)
        if self.state.stage.value == "retrain":
            trained.append(all(p.requires_grad for opt in optimizers[1:] for group in opt.param_groups for p in group["params"])
                           and len(optimizers) == 2)
        return optimizers

    monkeypatch.setattr(CPG, "_optimizers", spy)
    execute(quick_config(), console=quiet)
    assert trained and all(trained)


def test_doctor_stage_inside_cpg_keeps_zero_forgetting(quick_config, quiet, monkeypatch, tmp_path):
    records, batch = committed_logits(monkeypatch)
    config = quick_config(doctor={"enabled": True, "epochs": 2, "images_per_class": 5, "alpha": 1.0})
    results = execute(config, console=quiet)
    assert results["forgetting"] == [0.0, 0.0, 0.0]
    for row in records:
        for task, logits in row.items():
            assert torch.equal(records[-1][task], logits)
    for task in results["tasks"]:
        assert set(task["doctor"]) == {"start_accuracy", "best_accuracy", "kept"}
        assert "doctor" in task["seconds"]
    assert (tmp_path / "checkpoints" / "run" / "doctor-task-2.pt").is_file()


def test_bfloat16_autocast_training_keeps_zero_forgetting(quick_config, quiet, monkeypatch):
    records, _ = committed_logits(monkeypatch)
    results = execute(quick_config(amp=True), console=quiet)
    assert results["forgetting"] == [0.0, 0.0, 0.0]
    for row in records:
        for task, logits in row.items():
            assert torch.equal(records[-1][task], logits)


def test_imagefolder_tasks_train_with_loader_workers(quick_config, quiet, tmp_path):
    from tests.test_data_imagefolder import _write_tree

    roots = [_write_tree(tmp_path / name, seed) for seed, name in enumerate(("insects", "more"))]
    options = {"tasks": [{"name": root.name, "root": str(root)} for root in roots], "image_size": 16}
    config = quick_config(tasks="imagefolder", benchmark_options=options, arch="resnet20", num_workers=2,
                          finetune={"epochs": 1}, prune={"targets": [0.5], "epochs": 1}, retrain={"epochs": 1})
    results = execute(config, console=quiet)
    assert [task["name"] for task in results["tasks"]] == ["insects", "more"]
    assert results["forgetting"] == [0.0, 0.0]
