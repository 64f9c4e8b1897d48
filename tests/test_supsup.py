"""SupSup: fixed random weights, one top-k supermask per task, nothing forgotten (its exact resume after
a kill: tests/test_resume_kill.py)."""

import math

import pytest
import torch

from cpg.nn.bits import unpack_bits
from cpg.nn.supermask import SupermaskWeight, signed_constant_, top_share
from cpg.workflows import execute, open_run
from tests.runs import Watch, assert_unchanged_after_commit, record_committed_logits

TASKS = {"num_tasks": 3, "classes_per_task": 4, "train_per_class": 30, "test_per_class": 15, "image_size": 8,
         "channels": 1, "difficulty": 0.6}
SUPSUP = {"strategy": "supsup", "benchmark_options": TASKS, "supsup": {"density": 0.3},
          "finetune": {"epochs": 3, "lr": 0.05, "lr_steps": {}, "mask_lr": 0.01, "mask_lr_steps": {}}}


def test_top_share_keeps_the_largest_scores_by_magnitude():
    scores = torch.tensor([[0.1, -0.9], [0.5, -0.2]])
    assert torch.equal(top_share(scores, 0.5), torch.tensor([[False, True], [True, False]]))
    assert top_share(scores, 0.01).sum() == 1, "at least one weight"


def test_the_scores_learn_through_the_mask_straight_through():
    weight = torch.randn(4, 3)
    scores = torch.randn(4, 3, requires_grad=True)
    grad = torch.randn(4, 3)
    out = SupermaskWeight.apply(weight, scores, 0.5)
    assert torch.equal(out, weight * top_share(scores, 0.5))
    out.backward(grad)
    assert torch.equal(scores.grad, grad * weight * scores.detach().sign()), "dropped weights learn too"


def test_signed_constant_keeps_signs_at_the_kaiming_scale():
    weight = torch.randn(8, 4, 3, 3)
    signs = weight.sign()
    signed_constant_(weight)
    assert torch.equal(weight.sign(), signs)
    assert torch.allclose(weight.abs(), torch.full_like(weight, math.sqrt(2 / 36)))


def shared_weights_at_commits() -> tuple[Watch, list[dict[str, torch.Tensor]]]:
    records: list[dict[str, torch.Tensor]] = []

    def record(session):
        records.append({name: layer.weight.detach().clone() for name, layer in session.network.sharable_layers()})

    return Watch(committed=record), records


def test_supsup_trains_no_weight_keeps_one_supermask_per_task_and_forgets_nothing(quick_config, quiet, tmp_path):
    weights, at_commits = shared_weights_at_commits()
    logits, records = record_committed_logits()
    results = execute(quick_config(**SUPSUP), console=quiet, plugins=[weights, logits])
    for record in at_commits:
        for name, weight in record.items():
            assert torch.equal(weight, at_commits[0][name]), name
    assert_unchanged_after_commit(records)
    assert results["forgetting"] == [0.0, 0.0]
    assert all(task["picking_only"] for task in results["tasks"])
    assert results["average_accuracy"] > 0.4, "the masks learned the tasks (chance: 0.25)"

    network = open_run(tmp_path / "checkpoints" / "run").network
    masks = []
    for _, layer in network.sharable_layers():
        size = layer.weight.numel()
        for task in (1, 2, 3):
            mask = unpack_bits(layer.picks._buffers[str(task)], layer.weight.shape)
            assert mask.sum() == round(0.3 * size)
            masks.append(mask)
    assert not torch.equal(masks[0], masks[1]), "tasks learn masks of their own"
    storage = results["storage_bytes"]
    packed = sum((layer.weight.numel() + 7) // 8 for _, layer in network.sharable_layers())
    assert storage["picking_masks"] == 3 * packed
    assert storage["ownership"] == 0 and storage["attention"] == 0
    assert storage["shared_weights"] == 4 * sum(layer.weight.numel() for _, layer in network.sharable_layers())



def test_supsup_refuses_initial_weights(quick_config, quiet):
    from cpg.errors import SettingError

    with pytest.raises(SettingError, match="^init: supsup computes with fixed random weights"):
        execute(quick_config(strategy="supsup", init="weights.pt"), console=quiet)
