"""What EWC, SI, LwF and replay promise, on whole runs: they forget less than finetune where
finetune forgets; replay's buffer keeps its size and a fair share per task; each reports what
it keeps; each resumes exactly after a kill in the middle of a task."""

import random

import pytest
import torch
from sklearn.datasets import load_digits

from cpg.cli import main
from cpg.config import build_config
from cpg.continual.strategies.replay import ExperienceReplay, Reservoir
from cpg.data import Benchmark, from_tensors
from cpg.models import build_model
from cpg.report import ConsoleReport
from cpg.workflows import execute
from tests.conftest import QUICK, merge
from tests.runs import Killed, Watch, assert_same_weights, at, final_weights, kill_after_save, without_times

METHODS = ("ewc", "si", "lwf", "replay")
FITTING_EWC = {"ewc": {"strength": 10.0}}
"""At QUICK's rate 0.05 the default λ 100 is more than SGD can take (tests/test_penalty_stability.py)."""


def digits_then_noise() -> Benchmark:
    """Task 1: 450 of the digits 0–3 (train and test); task 2: the same images, each with a
    random label of 4. Only a backbone that changes can fit task 2, so finetune forgets task 1."""
    bunch = load_digits()
    images = torch.from_numpy(bunch.images).float().div_(16).unsqueeze(1)
    labels = torch.from_numpy(bunch.target).long()
    images, labels = images[labels < 4], labels[labels < 4]
    generator = torch.Generator().manual_seed(0)
    order = torch.randperm(len(labels), generator=generator)[:450]
    train, test = order[:300], order[300:]
    noise = torch.randint(0, 4, (len(labels),), generator=generator)
    return from_tensors("digits-then-noise", [(images[train], labels[train], images[test], labels[test], 4),
                                              (images[train], noise[train], images[test], noise[test], 4)])


@pytest.fixture(scope="module")
def forgetting_sequence() -> Benchmark:
    return digits_then_noise()


def forgetting_of_task_one(folder, benchmark: Benchmark, strategy: str, **settings) -> float:
    layer = merge(QUICK, {"checkpoint_dir": str(folder / "checkpoints"), "log_dir": str(folder / "logs"),
                          "name": strategy, "strategy": strategy, "finetune": {"epochs": 10, "lr": 0.01}, **settings})
    return execute(build_config(("test", layer)), console=ConsoleReport(quiet=True), benchmark=benchmark)["forgetting"][0]


@pytest.fixture(scope="module")
def finetune_forgetting(tmp_path_factory, forgetting_sequence) -> float:
    return forgetting_of_task_one(tmp_path_factory.mktemp("finetune"), forgetting_sequence, "finetune")


@pytest.mark.parametrize("strategy,settings", [("ewc", {"ewc": {"strength": 30.0}}), ("si", {"si": {"strength": 1.0}}),
                                               ("lwf", {})], ids=["ewc", "si", "lwf"])
def test_each_regulariser_forgets_less_than_finetune_where_finetune_forgets(tmp_path, forgetting_sequence,
                                                                             finetune_forgetting, strategy, settings):
    method = forgetting_of_task_one(tmp_path, forgetting_sequence, strategy, **settings)
    assert finetune_forgetting > 0.2, "the sequence makes finetune forget"
    assert method < finetune_forgetting / 2, (strategy, method, finetune_forgetting)


def test_the_reservoir_never_exceeds_its_size_and_keeps_each_task_about_its_share():
    reservoir, rng = Reservoir(200), random.Random(0)
    for task in range(1, 11):
        for index in range(500):
            reservoir.add((task, index), rng)
            assert len(reservoir.items) <= 200
        counts = [sum(1 for item_task, _ in reservoir.items if item_task == earlier) for earlier in range(1, task + 1)]
        assert len(reservoir.items) == 200 and sum(counts) == 200
        assert min(counts) >= 0.5 * 200 / task and max(counts) <= 1.5 * 200 / task, counts
    assert len(set(reservoir.items)) == 200 and reservoir.seen == 5000


def test_replays_buffer_holds_its_size_at_most_with_a_share_of_every_task(quick_config, quiet):
    replay, kept = ExperienceReplay(), []
    watch = Watch(committed=lambda session: kept.append(list(replay.reservoir.items)))
    options = {"num_tasks": 4, "classes_per_task": 2, "train_per_class": 40, "test_per_class": 10, "image_size": 8,
               "channels": 1, "difficulty": 0.3}
    results = execute(quick_config(strategy="finetune", benchmark_options=options, replay={"memory": 48}),
                      console=quiet, plugins=[replay, watch])
    train_images = 72  # 80 per task, 10% of them held out
    assert [len(items) for items in kept] == [48, 48, 48, 48]
    for learned, items in enumerate(kept, start=1):
        counts = [sum(1 for task, _ in items if task == earlier) for earlier in range(1, learned + 1)]
        assert min(counts) >= 0.5 * 48 / learned and max(counts) <= 1.5 * 48 / learned, (learned, counts)
        assert all(0 <= index < train_images for _, index in items)
    assert replay.reservoir.seen == 4 * train_images
    assert results["storage_bytes"]["replay_buffer"] == 48 * (1 * 8 * 8 * 4 + 8)  # float32 images, an int64 label each


def test_each_method_reports_what_it_keeps_and_cpg_compare_shows_it(quick_config, quiet, tmp_path, capsys):
    network = build_model("small_cnn", 2, (1, 8, 8))
    shared_bytes = 4 * sum(param.numel() for name, param in network.named_parameters() if not name.startswith("head."))
    storage = {}
    for strategy in METHODS:
        results = execute(quick_config(name=strategy, strategy=strategy, **FITTING_EWC), console=quiet)
        storage[strategy] = results["storage_bytes"]
        assert storage[strategy]["total"] == sum(size for kind, size in storage[strategy].items() if kind != "total")
        assert results["model_size"]["relative_to_one_network"] == 1.0
    assert storage["ewc"]["fisher"] == storage["ewc"]["anchor_weights"] == shared_bytes
    assert storage["si"]["importance"] == storage["si"]["anchor_weights"] == shared_bytes
    assert storage["lwf"]["teacher_network"] == storage["lwf"]["plain_layers"] + storage["lwf"]["heads"]
    assert storage["replay"]["replay_buffer"] == 200 * (8 * 8 * 4 + 8)  # 216 training images seen, 200 kept
    assert main(["compare", *(str(tmp_path / "checkpoints" / strategy) for strategy in METHODS), "--markdown"]) == 0
    table = capsys.readouterr().out
    assert all(f"| {strategy} | {strategy} | 3/3 |" in table for strategy in METHODS), table


@pytest.mark.parametrize("strategy", METHODS)
def test_a_method_killed_in_the_middle_of_a_task_resumes_to_identical_results(quick_config, quiet, monkeypatch,
                                                                              tmp_path, strategy):
    settings = {"strategy": strategy, "replay": {"memory": 30}, **FITTING_EWC}
    whole = execute(quick_config(name="whole", **settings), console=quiet)
    config = quick_config(name="killed", **settings)
    kill_after_save(monkeypatch, at(2, "finetune", 2))
    with pytest.raises(Killed):
        execute(config, console=quiet)
    resumed = execute(config, console=quiet)
    assert without_times(resumed) == without_times(whole)
    assert_same_weights(final_weights(tmp_path / "checkpoints" / "killed"), final_weights(tmp_path / "checkpoints" / "whole"))
