"""The cpg side of the Avalanche peer (benchmarks/peers/protocol.py), which needs no avalanche:
the settings it mirrors, the rate of each epoch, labels, accuracy, and a results document that
`cpg compare` puts beside a cpg run."""

import json
import sys

import pytest
import torch
from torch import Tensor, nn
from torch.utils.data import TensorDataset

from benchmarks.peers import avalanche_split_cifar10 as script
from benchmarks.peers.protocol import (cpg_run, learning_rate, peer_config, post_prune_epochs, prune_proportion,
                                       results_document, settings_summary, split_labels, task_accuracy, train_epochs)
from cpg.cli import main
from cpg.cli.pipelines import resolve_config
from cpg.data import build_benchmark
from cpg.data.in_memory import InMemoryImages
from cpg.workflows import execute


def test_the_settings_are_those_compare_strategies_gives_cpg_with_flags_on_top():
    pipeline = resolve_config(None, "split-cifar10", {"tasks": "split-cifar10"})
    packnet = peer_config("split-cifar10", "packnet", None, {"prune": {"one_shot_epochs": 5}})
    assert prune_proportion(packnet) == 0.6 and post_prune_epochs(packnet) == 5  # a flag keeps the strategy's ratio
    assert (packnet.finetune.epochs, packnet.finetune.lr, packnet.batch_size) == (
        pipeline.finetune.epochs, pipeline.finetune.lr, pipeline.batch_size)
    assert train_epochs(packnet) == pipeline.finetune.epochs + 5
    finetune = peer_config("split-cifar10", "finetune", None, {"epochs_scale": 0.5})
    assert train_epochs(finetune) == round(pipeline.finetune.epochs * 0.5)


def test_packnet_prunes_once_to_its_ratio_and_trains_half_the_finetune_epochs_after_by_default():
    packnet = peer_config("split-cifar10", "packnet", "pipelines/split-cifar10.yaml", {})
    assert prune_proportion(packnet) == 0.6
    assert post_prune_epochs(packnet) == packnet.finetune.epochs // 2


def test_each_epoch_has_the_rate_of_its_cpg_stage():
    config = peer_config("synthetic", "packnet", None, {
        "finetune": {"epochs": 4, "lr": 0.1, "lr_steps": {2: 0.1, 3: 0.01}}, "prune": {"one_shot_epochs": 2, "lr": 0.05}})
    rates = [learning_rate(config, epoch) for epoch in range(train_epochs(config))]
    assert rates == pytest.approx([0.1, 0.1, 0.01, 0.001, 0.05, 0.05])


def test_labels_come_from_the_split_without_reading_images_or_from_its_samples():
    images = torch.zeros(3, 1, 2, 2, dtype=torch.uint8)
    in_memory = InMemoryImages(images, torch.tensor([1, 0, 1]), torch.zeros(1), torch.ones(1))
    assert split_labels(in_memory) == [1, 0, 1]
    assert split_labels(TensorDataset(images, torch.tensor([0, 2, 1]))) == [0, 2, 1]


class ByTask(nn.Module):
    """A multi-task model whose task t predicts class t for every image."""

    def forward(self, images: Tensor, tasks: Tensor) -> Tensor:
        return nn.functional.one_hot(tasks, 3).float()


def test_a_task_is_scored_through_its_own_task_label():
    test = TensorDataset(torch.zeros(4, 1, 2, 2), torch.tensor([1, 1, 1, 0]))
    assert task_accuracy(ByTask(), 1, test, 3, torch.device("cpu")) == 0.75
    assert task_accuracy(ByTask(), 0, test, 3, torch.device("cpu")) == 0.25


def test_cpg_compare_puts_the_peer_beside_a_cpg_run(quick_config, quiet, tmp_path, capsys):
    config = quick_config(name="cpg-packnet", strategy="packnet", prune={"targets": [0.6]})
    execute(config, console=quiet)
    matrix = [[0.9], [0.8, 0.7], [0.6, 0.7, 0.5]]
    peer = tmp_path / "peers" / "avalanche-packnet" / "results.json"
    peer.parent.mkdir(parents=True)
    document = results_document("synthetic", "avalanche-packnet", config, matrix, 12.0, {"library": "avalanche-lib"})
    peer.write_text(json.dumps(document))
    assert document["average_accuracy"] == pytest.approx(0.6)
    assert document["forgetting"] == pytest.approx([0.3, 0.0])

    assert main(["compare", str(tmp_path / "checkpoints" / "cpg-packnet"), str(peer), "--markdown"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("| avalanche-packnet "))
    assert row.split(" | ")[3:6] == ["60.00", "15.00", "-15.00"]


def test_without_avalanche_the_script_says_how_to_install_it(monkeypatch):
    # a Python without Avalanche (an optional extra), and the script's own command line
    monkeypatch.setattr(script.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(sys, "argv", ["avalanche_split_cifar10.py"])
    with pytest.raises(SystemExit, match=r"pip install -e '\.\[peers\]'"):
        script.main()


def test_a_method_mirrors_finetunes_epochs_with_the_settings_of_its_own_group():
    ewc = peer_config("digits-5", "ewc", None, {"ewc": {"decay": 0.9}})
    assert (ewc.max_width, train_epochs(ewc)) == (1.0, resolve_config(None, "digits-5", {"tasks": "digits-5"}).finetune.epochs)
    assert settings_summary(ewc)["ewc"] == {"strength": 100.0, "decay": 0.9}
    assert "replay" not in settings_summary(ewc) and "ewc" not in settings_summary(peer_config("digits-5", "finetune", None, {}))


def test_cpg_runs_the_mirrored_strategy_with_the_peers_settings_on_its_tasks(tmp_path):
    options = {"num_tasks": 2, "classes_per_task": 2, "train_per_class": 20, "test_per_class": 5, "image_size": 8,
               "channels": 1, "difficulty": 0.3}
    config = peer_config("synthetic", "replay", None, {"arch": "small_cnn", "benchmark_options": options,
                                                       "finetune": {"epochs": 2}, "replay": {"memory": 10}})
    folder = cpg_run(config, build_benchmark("synthetic", options=options), tmp_path)
    results = json.loads((folder / "results.json").read_text())
    assert folder == tmp_path / "cpg-replay" and results["strategy"] == "replay"
    assert results["storage_bytes"]["replay_buffer"] == 10 * (8 * 8 * 4 + 8)
    assert [len(row) for row in results["accuracy_matrix"]] == [1, 2]
