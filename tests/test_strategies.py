"""The strategies CPG is compared with, run by the same engine, and `cpg compare`."""

import json

import pytest
import torch

from cpg.classifier import load_classifier
from cpg.cli import main
from cpg.workflows import execute
from tests.runs import Watch

HARD = {"num_tasks": 3, "classes_per_task": 4, "train_per_class": 30, "test_per_class": 15, "image_size": 8,
        "channels": 1, "difficulty": 0.6}


def weights_at_commits() -> tuple[Watch, list[dict[str, torch.Tensor]]]:
    """A plugin recording the shared weights and ownership of every Sharable layer right after
    each commit, and the records."""
    records: list[dict[str, torch.Tensor]] = []

    def record(session):
        records.append({name: value.detach().clone() for name, value in session.network.state_dict().items()
                        if name.endswith((".weight", ".ownership")) and ".heads." not in name and ".norms." not in name})

    return Watch(committed=record), records


def run(quick_config, quiet, strategy, plugins=(), **overrides):
    config = quick_config(strategy=strategy, name=strategy, benchmark_options=HARD, **overrides)
    return execute(config, console=quiet, plugins=plugins)


def test_piggyback_never_changes_the_shared_weights_after_task_one(quick_config, quiet):
    watch, records = weights_at_commits()
    results = run(quick_config, quiet, "piggyback", [watch])
    assert [task["picking_only"] for task in results["tasks"]] == [False, True, True]
    for key, value in records[0].items():
        assert torch.equal(records[-1][key], value), key
    assert results["forgetting"] == [0.0, 0.0]


def test_packnet_never_changes_a_committed_tasks_weights(quick_config, quiet):
    watch, records = weights_at_commits()
    results = run(quick_config, quiet, "packnet", [watch], prune={"targets": [0.6], "epochs": 2})
    final = records[-1]
    for task, snapshot in enumerate(records[:-1], start=1):
        for key in (k for k in snapshot if k.endswith(".weight")):
            owned = snapshot[key.replace(".weight", ".ownership")] == task
            assert torch.equal(final[key][owned], snapshot[key][owned]), (task, key)
    assert [round(task["sparsity"], 1) for task in results["tasks"]] == [0.6, 0.6, 0.6]
    assert results["forgetting"] == [0.0, 0.0]


def test_finetune_changes_earlier_weights_and_forgets(quick_config, quiet):
    results = run(quick_config, quiet, "finetune", finetune={"epochs": 6})
    assert max(results["forgetting"]) > 0
    assert results["backward_transfer"] < 0


def test_pae_reuses_everything_and_forgets_nothing(quick_config, quiet):
    results = run(quick_config, quiet, "pae", max_width=1.5, goal={"value": 1.0})  # out of reach: it grows
    assert results["final_width"] == 1.5
    assert all(task["picked_share"] in (0.0, 1.0) for task in results["tasks"])
    assert results["tasks"][1]["picked_share"] == 1.0
    assert results["forgetting"] == [0.0, 0.0]


def test_independent_is_one_network_per_task(quick_config, quiet, tmp_path):
    results = run(quick_config, quiet, "independent")
    assert results["model_size"]["relative_to_one_network"] == 3.0
    assert results["forgetting"] == [0.0, 0.0]
    classifier = load_classifier(tmp_path / "checkpoints" / "independent" / "task-2.pt")
    assert len(classifier.classes) == 4


def test_strategies_that_cannot_grow_refuse_a_larger_width(quick_config, quiet):
    from cpg.errors import UserError

    with pytest.raises(UserError, match="packnet does not grow"):
        run(quick_config, quiet, "packnet", max_width=1.5)


def test_compare_prints_one_row_per_run_and_refuses_mixed_benchmarks(quick_config, quiet, tmp_path, capsys):
    run(quick_config, quiet, "piggyback")
    run(quick_config, quiet, "independent")
    folders = [str(tmp_path / "checkpoints" / name) for name in ("piggyback", "independent")]
    assert main(["compare", *folders, "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "| piggyback | piggyback |" in out and "| independent | independent |" in out
    other = tmp_path / "other.json"
    document = json.loads((tmp_path / "checkpoints" / "piggyback" / "results.json").read_text())
    other.write_text(json.dumps({**document, "benchmark": "digits-5"}))
    assert main(["compare", folders[0], str(other)]) == 2
    assert "different benchmarks" in capsys.readouterr().err


def test_finetune_runs_can_be_opened_and_independent_runs_say_where_their_models_are(quick_config, quiet, tmp_path):
    from cpg.errors import UserError
    from cpg.workflows import open_run

    run(quick_config, quiet, "finetune")
    opened = open_run(tmp_path / "checkpoints" / "finetune")
    assert opened.network.committed_tasks == [1, 2, 3]
    run(quick_config, quiet, "independent")
    with pytest.raises(UserError, match="task-K.pt"):
        open_run(tmp_path / "checkpoints" / "independent")


def test_finetune_from_a_random_earlier_task_starts_from_that_tasks_backbone(quick_config, quiet):
    """The CPG paper's finetuning protocol: task 3 starts from the backbone task 1 or 2 left."""
    import random

    from cpg.seeding import derive_seed

    starts = {}

    def started(session):
        starts[session.task] = {name: value.clone() for name, value in session.network.named_parameters()
                                if "heads" not in name}

    commit_watch, commits = weights_at_commits()
    results = run(quick_config, quiet, "finetune", [Watch(started=started), commit_watch], seed=1,
                  finetune={"start_from": "random"})
    assert [task["name"] for task in results["tasks"]] == ["synthetic_1", "synthetic_2", "synthetic_3"]
    earlier = random.Random(derive_seed(1, "start_from", 3)).randrange(1, 3)
    assert earlier == 1, "with seed 1 task 3 starts from task 1's backbone, not from the one task 2 left"
    backbone = starts[3]
    shared = [name for name in backbone if name in commits[earlier - 1]]
    assert shared
    for name in shared:
        assert torch.equal(backbone[name], commits[earlier - 1][name]), name
        assert not torch.equal(backbone[name], commits[1][name]), name


def test_a_strategy_is_one_declaration(quick_config, quiet):
    """PackNet with gradual pruning, declared and registered here, runs on the same machine."""
    from cpg.continual.policies import Gradual, LastStep, Masked, NoGrowth
    from cpg.continual import STRATEGIES, Strategy
    from cpg.nn import Reuse

    if "packnet-gradual" not in STRATEGIES:
        STRATEGIES.add("packnet-gradual", Strategy(network=Masked(Reuse.ALL), pruning=Gradual(), selection=LastStep(),
                                                   growth=NoGrowth()))
    results = run(quick_config, quiet, "packnet-gradual", prune={"targets": [0.3, 0.6], "epochs": 2})
    assert [[step["target"] for step in task["prune"]] for task in results["tasks"]] == [[0.3, 0.6]] * 3
