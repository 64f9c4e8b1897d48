"""End-to-end runs of the CPG state machine on small synthetic tasks."""

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from cpg.nn import PICK_INIT, picked_share
from cpg.workflows import execute, open_run
from tests.conftest import QUICK
from tests.runs import BATCH, AfterEpoch, Watch, assert_unchanged_after_commit, record_committed_logits


QUICK_FINETUNE = QUICK["finetune"]
HARD = {"num_tasks": 3, "classes_per_task": 2, "train_per_class": 40, "test_per_class": 20, "image_size": 8,
        "channels": 1, "difficulty": 0.9}


def test_a_goal_out_of_reach_grows_step_by_step_to_the_maximum_and_no_further(quick_config, quiet):
    watch, records = record_committed_logits()
    config = quick_config(max_width=2.0, val_fraction=0.25, benchmark_options=HARD, goal={"value": 1.0})
    results = execute(config, console=quiet, plugins=[watch])
    for record in results["tasks"]:
        looks = [entry for entry in record["decisions"] if entry["decision"] == "goal"]
        assert not any(look["met"] for look in looks), "a goal of 1.0 is out of reach on these tasks"
        assert [look["width"] for look in looks] == [1.0, 1.5, 2.0][3 - len(looks):]
        assert [look["next"] for look in looks][-1] == "prune"
    assert [task["attempts"] for task in results["tasks"]] == [3, 1, 1]
    assert [task["width"] for task in results["tasks"]] == [2.0, 2.0, 2.0] and results["final_width"] == 2.0
    # at the maximum width with the goal missed, no target beyond r / (r + 1) for r tasks left is tried
    assert [step["target"] for step in results["tasks"][0]["prune"]] == [0.5]  # cap 2/3: 0.8 lies beyond
    assert [step["target"] for step in results["tasks"][1]["prune"]] == [0.5]  # cap 1/2
    assert results["tasks"][2]["prune"] == []  # cap 0: the last task keeps what it has
    for task, cap in zip(results["tasks"], (2 / 3, 1 / 2, 0.0)):
        choices = [entry for entry in task["decisions"] if entry["decision"] == "choose"]
        assert all(choice["target"] <= cap + 1e-9 for choice in choices)
    assert results["forgetting"] == [0.0, 0.0]
    assert_unchanged_after_commit(records)
    run = open_run(config.checkpoint_dir + "/run")
    for task, logits in records[-1].items():
        run.network.use_task(task)
        with torch.no_grad():
            assert torch.equal(run.network(BATCH), logits)


def test_five_tasks_out_of_reach_prune_no_further_than_their_share(quick_config, quiet):
    options = {**HARD, "num_tasks": 5}
    config = quick_config(val_fraction=0.25, benchmark_options=options, goal={"value": 1.0},
                          prune={"targets": [0.5, 0.8, 0.9]})
    results = execute(config, console=quiet)
    tried = [[step["target"] for step in task["prune"]] for task in results["tasks"]]
    assert tried == [[0.5, 0.8], [0.5], [0.5], [0.5], []], "caps 4/5, 3/4, 2/3, 1/2, 0"
    for task, cap in zip(results["tasks"], (0.8, 0.75, 2 / 3, 0.5, 0.0)):
        choices = [entry for entry in task["decisions"] if entry["decision"] == "choose"]
        assert all(choice["target"] <= cap + 1e-9 for choice in choices)


def test_packnet_prunes_once_to_its_own_ratio_on_a_benchmark_without_a_packnet_pipeline(tmp_path, monkeypatch):
    """The synthetic pipeline lists two gradual targets; PackNet ignores them and prunes each task
    once to `prune.one_shot_ratio`, then trains half the finetune epochs."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from cpg.cli import main
    from tests.runs import results, write_pipeline

    monkeypatch.chdir(tmp_path)
    pipeline = write_pipeline(tmp_path / "synthetic.yaml", max_width=1.5, finetune={**QUICK_FINETUNE, "epochs": 4})
    assert main(["run", "--config", str(pipeline), "--strategy", "packnet", "--name", "packnet", "--quiet"]) == 0
    done = results(tmp_path / "checkpoints" / "packnet")
    assert done["max_width"] == 1.0, "a strategy that does not grow runs at width 1 whatever the pipeline says"
    for task in done["tasks"]:
        assert [step["target"] for step in task["prune"]] == [0.6]
        assert task["sparsity"] == pytest.approx(0.6, abs=0.01)
    events = EventAccumulator(str(tmp_path / "logs" / "packnet"), size_guidance={"scalars": 0}).Reload()
    assert len(events.Scalars("task01/prune/loss")) == 2, "half of the 4 finetune epochs"


def test_picking_mask_moves_where_reuse_helps_and_a_picking_only_task_learns_it_to_the_end(quick_config, quiet):
    """Task 2 sees task 1's images again and owns no weight: it learns by picking alone, and
    its mask keeps learning after the epoch where the schedule stops a task with weights."""
    from cpg.data import build_benchmark
    from cpg.data.task import Benchmark
    from cpg.models import model_factory
    from cpg.nn import TaskNetwork
    from cpg.workflows import fit

    config = quick_config(prune={"targets": []}, finetune={"epochs": 4, "mask_lr_steps": {2: 0.0}})
    source = build_benchmark("synthetic", options=config.benchmark_options, val_fraction=config.val_fraction)
    first = source.tasks[0]
    again = dataclasses.replace(first, name="synthetic_1_again")
    benchmark = Benchmark("synthetic", (first, again), source.input_shape)
    snapshots: list[list[torch.Tensor]] = []

    def keep_logits(session, stage):
        if session.task != 2 or stage != "finetune":
            return ()
        picks = session.network.picking_logits()
        return [AfterEpoch(lambda record: snapshots.append([pick.detach().clone() for pick in picks]))]

    network = TaskNetwork.build(model_factory("small_cnn", benchmark.input_shape))
    results = fit(network, benchmark, config, console=quiet, plugins=[Watch(hooks=keep_logits)])
    second = results["tasks"][1]
    assert second["picking_only"] and second["owned_share"] == 0.0
    assert len(snapshots) == 4
    moved = torch.cat([(logits - PICK_INIT).abs().flatten() for logits in snapshots[-1]])
    assert (moved > 1e-4).float().mean() > 0.5, "the picking mask hardly moved from its initial value"
    assert any(not torch.equal(late, last) for late, last in zip(snapshots[-2], snapshots[-1])), \
        "the picking-only task stopped learning its mask at the schedule's zero step"
    run = open_run(config.checkpoint_dir + "/run")
    assert second["picked_share"] == pytest.approx(picked_share(run.network, 2))
    assert second["test_accuracy"] >= results["tasks"][0]["test_accuracy"] - 0.1


def test_results_json_records_consistent_numbers(quick_config, quiet):
    config = quick_config()
    returned = execute(config, console=quiet)
    run_dir = Path(config.checkpoint_dir) / "run"
    results = json.loads((run_dir / "results.json").read_text())
    assert results == json.loads(json.dumps(returned))
    matrix = results["accuracy_matrix"]
    assert [len(row) for row in matrix] == [1, 2, 3]
    assert [task["accuracy_at_commit"] for task in results["tasks"]] == [matrix[i][i] for i in range(3)]
    assert [task["final_accuracy"] for task in results["tasks"]] == matrix[-1]
    assert results["average_accuracy"] == pytest.approx(sum(matrix[-1]) / 3)
    assert len(results["forgetting"]) == 2 and results["tasks"][-1]["forgetting"] is None
    assert results["average_forgetting"] == pytest.approx(sum(results["forgetting"]) / 2)
    storage = results["storage_bytes"]
    assert storage["total"] == sum(value for key, value in storage.items() if key != "total")
    network = open_run(run_dir).network
    weights = sum(layer.weight.numel() for _, layer in network.sharable_layers())
    assert storage["shared_weights"] == 4 * weights and storage["ownership"] == weights
    packed = sum((layer.weight.numel() + 7) // 8 for _, layer in network.sharable_layers())
    assert storage["picking_masks"] == 2 * packed  # 1 bit per weight for tasks 2 and 3; task 1 has nothing to pick
    assert storage["heads"] > 0 and storage["batchnorm"] > 0
    versions = sorted(run_dir.glob("model-*.pt"))
    assert results["checkpoint_bytes"] == versions[-1].stat().st_size
    for task in results["tasks"]:
        assert {"finetune", "prune", "choose", "commit"} <= set(task["seconds"])
        assert all(seconds >= 0 for seconds in task["seconds"].values())
        assert task["seconds"]["finetune"] > 0
    assert results["seconds_per_stage"]["finetune"] == pytest.approx(
        sum(task["seconds"]["finetune"] for task in results["tasks"]))


def test_the_picking_mask_is_frozen_while_pruning_and_trained_in_retrain(quick_config, quiet):
    from cpg.engine import LoopHook

    seen: dict[str, list[bool]] = {"prune": [], "retrain": []}

    class PickTrained(LoopHook):
        """At a loop's first step: do its optimizers train the picking mask?"""

        def __init__(self, session, stage):
            self.session, self.stage, self.checked = session, stage, False

        def before_backward(self, step):
            if not self.checked:
                picks = self.session.network.picking_logits()
                trained = {id(p) for optimizer in step.optimizers for group in optimizer.param_groups
                           for p in group["params"]}
                seen[self.stage].append(bool(picks) and all(id(p) in trained and p.requires_grad for p in picks))
                self.checked = True

    def spy(session, stage):
        return [PickTrained(session, stage)] if stage in seen and session.task >= 2 else ()

    execute(quick_config(), console=quiet, plugins=[Watch(hooks=spy)])
    assert seen["prune"] and not any(seen["prune"])
    assert seen["retrain"] and all(seen["retrain"])


def test_doctor_stage_inside_cpg_keeps_zero_forgetting(quick_config, quiet, tmp_path):
    watch, records = record_committed_logits()
    config = quick_config(doctor={"enabled": True, "epochs": 2, "images_per_class": 5, "alpha": 1.0})
    results = execute(config, console=quiet, plugins=[watch])
    assert results["forgetting"] == [0.0, 0.0]
    assert_unchanged_after_commit(records)
    for task in results["tasks"]:
        assert set(task["doctor"]) == {"start_accuracy", "best_accuracy", "kept"}
        assert "doctor" in task["seconds"]
    assert (tmp_path / "checkpoints" / "run" / "doctor-task-2.pt").is_file()


def test_bfloat16_autocast_training_keeps_zero_forgetting(quick_config, quiet):
    watch, records = record_committed_logits()
    results = execute(quick_config(amp=True), console=quiet, plugins=[watch])
    assert results["forgetting"] == [0.0, 0.0]
    assert_unchanged_after_commit(records)


def test_imagefolder_tasks_train_with_loader_workers(quick_config, quiet, tmp_path):
    from tests.test_data_imagefolder import _write_tree

    roots = [_write_tree(tmp_path / name, seed) for seed, name in enumerate(("insects", "more"))]
    options = {"tasks": [{"name": root.name, "root": str(root)} for root in roots], "image_size": 16}
    config = quick_config(tasks="imagefolder", benchmark_options=options, arch="resnet20", num_workers=2,
                          finetune={"epochs": 1}, prune={"targets": [0.5], "epochs": 1}, retrain={"epochs": 1})
    results = execute(config, console=quiet)
    assert [task["name"] for task in results["tasks"]] == ["insects", "more"]
    assert results["forgetting"] == [0.0]
