"""HAT: annealed attention over units, gradients gated by earlier tasks' units, the regulariser,
nothing forgotten bit for bit (its exact resume after a kill: tests/test_resume_kill.py)."""

import math

import pytest
import torch
import torch.nn.functional as F

from cpg.config.masks import HatConfig
from cpg.continual.attention_training import AnnealedAttention
from cpg.models import model_factory
from cpg.nn import task_model
from cpg.nn.attention import UnitAttention
from cpg.nn.attention_network import AttentionNetwork
from cpg.workflows import execute, open_run
from tests.runs import BATCH, assert_unchanged_after_commit, record_committed_logits

TASKS = {"num_tasks": 3, "classes_per_task": 4, "train_per_class": 30, "test_per_class": 15, "image_size": 8,
         "channels": 1, "difficulty": 0.6}
HAT = {"strategy": "hat", "benchmark_options": TASKS, "hat": {"s_max": 50.0, "c": 0.75}}


def test_the_scale_is_annealed_from_one_over_s_max_to_s_max_within_every_epoch():
    hook = AnnealedAttention(UnitAttention([3]), 1, HatConfig(s_max=400.0), batches=5)
    assert [hook.scale(batch) for batch in (0, 4)] == [1 / 400, 400.0]
    assert hook.scale(2) == pytest.approx(1 / 400 + (400 - 1 / 400) / 2)
    hook.before_epoch(3)
    assert hook.attention.scale == 1 / 400


def test_embedding_gradients_are_compensated_and_embeddings_clamped():
    attention = UnitAttention([2, 1])
    attention.add_task(1)
    embedding = attention.embeddings["1"]
    with torch.no_grad():
        embedding.copy_(torch.tensor([0.5, -2.0, 7.0]))
    attention.scale = 10.0
    embedding.grad = torch.ones(3)
    attention.compensate_(1, s_max=400.0)
    values = [0.5, -2.0, 7.0]  # s·e = 70 is beyond the bound of 50 at which cosh is evaluated
    expected = [400 / 10 * (math.cosh(max(-50, min(50, 10 * e))) + 1) / (math.cosh(e) + 1) for e in values]
    assert torch.allclose(embedding.grad, torch.tensor(expected))
    attention.clamp_(1)
    assert embedding.max() == 6.0


def test_the_regulariser_counts_only_units_earlier_tasks_left_free():
    attention = UnitAttention([2, 2])
    attention.add_task(1)
    with torch.no_grad():
        attention.embeddings["1"].copy_(torch.tensor([1.0, -1.0, 1.0, -1.0]))
    attention.commit(1)  # task 1 uses units 0 and 2
    attention.add_task(2)
    with torch.no_grad():
        attention.embeddings["2"].copy_(torch.tensor([3.0, 0.0, -3.0, 1.0]))
    attention.scale = 2.0
    gates = torch.sigmoid(torch.tensor([0.0, 2.0]))  # units 1 and 3, the free ones
    assert attention.penalty(2).item() == pytest.approx(float(gates.sum() / 2))


def committed_tasks(count: int) -> AttentionNetwork:
    """A small CNN holding `count` committed tasks whose embeddings are as drawn: each uses about
    half of the units."""
    torch.manual_seed(0)
    network = AttentionNetwork.build(model_factory("small_cnn", (1, 8, 8)))
    while len(network.committed_tasks) < count:
        network.begin_attention(network.add_task(2))
        network.commit(network.tasks[-1].number)
    return network


def test_weights_between_units_earlier_tasks_use_get_no_gradient_and_no_decay():
    network = committed_tasks(2)
    third = network.add_task(2)
    network.begin_attention(third)
    network.set_weight_decay(0.1)
    network.use_task(third)
    network.attention.scale = 5.0
    network.train()
    F.cross_entropy(network(BATCH), torch.randint(0, 2, (16,))).backward()
    used = network.attention.used_through(2)
    for name, layer in network.sharable_layers():
        frozen = network.gates[name].frozen_through(2, layer.weight.shape)
        assert frozen.any() and not frozen.all(), name
        assert torch.equal(layer.ownership != 0, frozen), name
        assert torch.all(layer.weight.grad[frozen] == 0), name
        assert torch.any(layer.weight.grad[~frozen] != 0), name
    assert 0 < int(used.sum()) < network.attention.units


def test_a_committed_hat_task_exports_as_a_plain_model_computing_the_same():
    network = committed_tasks(2)
    network.eval()
    for task in (1, 2):
        network.use_task(task)
        with torch.no_grad():
            assert torch.allclose(task_model(network, task)(BATCH), network(BATCH), atol=1e-6)


def test_hat_forgets_nothing_bit_for_bit_and_stores_one_bit_per_unit(quick_config, quiet, tmp_path):
    watch, records = record_committed_logits()
    results = execute(quick_config(**HAT), console=quiet, plugins=[watch])
    assert_unchanged_after_commit(records)
    assert results["forgetting"] == [0.0, 0.0]
    assert results["average_accuracy"] > 0.4, "the tasks were learned (chance: 0.25)"
    owned = [task["owned_share"] for task in results["tasks"]]
    assert all(share > 0 for share in owned) and results["free_capacity"] == pytest.approx(1 - sum(owned))
    assert results["tasks"][0]["picked_share"] == 0 < results["tasks"][2]["picked_share"], "later tasks reuse units"
    network = open_run(tmp_path / "checkpoints" / "run").network
    storage = results["storage_bytes"]
    assert storage["attention"] == 3 * math.ceil(network.attention.units / 8)
    assert storage["ownership"] == 0 and storage["picking_masks"] == 0

