"""The Avalanche peer itself (benchmarks/peers/avalanche_*.py), where avalanche-lib is installed
(`pip install -e '.[peers]'`); skipped elsewhere, as in CI."""

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    pytest.importorskip("avalanche")
    from avalanche.models.packnet import WeightAndBiasPackNetModule

    from avalanche.training.plugins import EWCPlugin, LwFPlugin, ReplayPlugin, SynapticIntelligencePlugin

    from benchmarks.peers.avalanche_training import build_strategy, task_experiences

from benchmarks.peers.protocol import peer_config
from cpg.data import build_benchmark

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "peers" / "avalanche_split_cifar10.py"
TINY = {"num_tasks": 2, "classes_per_task": 2, "train_per_class": 24, "test_per_class": 10, "image_size": 8,
        "channels": 3, "difficulty": 0.3}


def test_each_task_is_an_experience_of_cpgs_own_augmented_training_images(cifar_root):
    benchmark = build_benchmark("split-cifar10", data_root=cifar_root, verify_checksums=False)
    experiences = task_experiences(benchmark)
    assert [experience.task_label for experience in experiences] == [0, 1, 2, 3, 4]
    assert [len(experience.dataset) for experience in experiences] == [len(task.train) for task in benchmark.tasks]
    assert experiences[1].classes_in_this_experience == [0, 1]
    torch.manual_seed(0)
    first, second = experiences[0].dataset[0], experiences[0].dataset[0]
    assert first[1] == benchmark.tasks[0].train[0][1] and first[2] == 0
    assert not torch.equal(first[0], second[0])  # cropped and flipped anew at every read


def test_packnet_prunes_each_task_and_leaves_earlier_tasks_exactly_as_they_were():
    config = peer_config("synthetic", "packnet", None, {
        "arch": "resnet20", "benchmark_options": TINY, "finetune": {"epochs": 2}, "prune": {"epochs": 1}})
    benchmark = build_benchmark("synthetic", options=TINY)
    strategy = build_strategy(config, benchmark, torch.device("cpu"))
    images = benchmark.tasks[0].test.__getitems__(list(range(8)))[0]
    outputs = []
    for experience in task_experiences(benchmark):
        strategy.train(experience)
        strategy.model.eval()
        with torch.no_grad():
            outputs.append(strategy.model(images, torch.zeros(len(images), dtype=torch.long)))
    assert torch.equal(outputs[0], outputs[1])  # weights, BatchNorm and head of task 1 untouched by task 2
    first_conv = next(layer for layer in strategy.model.modules() if isinstance(layer, WeightAndBiasPackNetModule))
    owned = [float((first_conv.task_index == task).float().mean()) for task in (0, 1)]
    assert owned == pytest.approx([0.4, 0.24], abs=0.01)  # 40% kept by task 1, 40% of the other 60% by task 2


def test_the_script_writes_results_cpg_compare_reads(tmp_path):
    command = [sys.executable, str(SCRIPT), "--tasks", "synthetic", "--options", json.dumps(TINY), "--epochs", "1",
               "--post-prune-epochs", "1", "--out", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    assert "| avalanche-packnet | avalanche-packnet | 2/? |" in done.stdout
    results = json.loads((tmp_path / "synthetic" / "avalanche-finetune" / "results.json").read_text())
    assert len(results["accuracy_matrix"]) == 2 and results["peer"]["mirrors"] == "finetune"


@pytest.mark.parametrize("strategy,plugin,settings", [
    ("ewc", EWCPlugin, {"ewc_lambda": 100.0 * 0.5 * 16 / 2, "mode": "online", "decay_factor": 0.5}),
    ("si", SynapticIntelligencePlugin, {"si_lambda": [0.6], "eps": 0.01}),
    ("replay", ReplayPlugin, {"mem_size": 12, "batch_size_mem": 16}),
])
def test_each_method_joins_naive_finetuning_as_avalanches_plugin_with_cpgs_settings(strategy, plugin, settings):
    config = peer_config("synthetic", strategy, None, {
        "arch": "small_cnn", "benchmark_options": TINY, "batch_size": 16, "finetune": {"epochs": 1},
        "ewc": {"strength": 100.0, "decay": 0.5}, "si": {"strength": 0.3, "damping": 0.01}, "replay": {"memory": 12}})
    benchmark = build_benchmark("synthetic", options=TINY)
    avalanche = build_strategy(config, benchmark, torch.device("cpu"))
    joined = [candidate for candidate in avalanche.plugins if isinstance(candidate, plugin)]
    assert len(joined) == 1
    assert {key: getattr(joined[0], key) for key in settings} == settings
    for experience in task_experiences(benchmark):
        avalanche.train(experience)
    if strategy == "replay":
        assert len(joined[0].storage_policy.buffer) == 12


def test_lwf_distils_every_earlier_head_with_cpgs_weight_and_temperature():
    config = peer_config("synthetic", "lwf", None, {"arch": "small_cnn", "benchmark_options": TINY,
                                                    "finetune": {"epochs": 1}, "lwf": {"weight": 0.5}})
    benchmark = build_benchmark("synthetic", options=TINY)
    avalanche = build_strategy(config, benchmark, torch.device("cpu"))
    lwf = next(plugin for plugin in avalanche.plugins if isinstance(plugin, LwFPlugin)).lwf
    assert (lwf.alpha, lwf.temperature) == (0.5, 2.0)
    for experience in task_experiences(benchmark):
        avalanche.train(experience)
    assert dict(lwf.prev_classes_by_task) == {0: {0, 1}, 1: {0, 1}}
