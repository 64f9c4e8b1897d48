"""The evaluation cache of effective weights follows every change of what they come from."""

import torch

from cpg import pruner
from cpg.models import model_factory
from cpg.nn import Reuse, TaskNetwork


def two_task_network() -> TaskNetwork:
    torch.manual_seed(0)
    network = TaskNetwork.build(model_factory("small_cnn", (1, 8, 8)))
    for _ in range(2):
        task = network.add_task(2)
        network.claim_free_weights(task)
        network.begin_learning(task, Reuse.PICK)
        pruner.MagnitudePruner(network, task).prune_to(0.5)
        network.commit(task)
    network.set_cache_capacity(4)
    return network.eval()


def cached_matches_fresh(network: TaskNetwork, task: int) -> bool:
    network.use_task(task)
    return all(torch.equal(layer.effective_weight(), layer.task_weight(task)) for _, layer in network.sharable_layers())


def test_cached_effective_weights_are_reused_until_something_changes():
    network = two_task_network()
    _, layer = network.sharable_layers()[1]
    network.use_task(2)
    first = layer.effective_weight()
    assert layer.effective_weight() is first
    with torch.no_grad():
        layer.weight.mul_(2.0)  # in place
    assert cached_matches_fresh(network, 2)
    layer.weight.data = layer.weight.data.clone() * 3.0  # storage swapped under the same parameter
    assert cached_matches_fresh(network, 2)


def test_a_replaced_ownership_mask_with_the_same_version_is_not_missed():
    network = two_task_network()
    _, layer = network.sharable_layers()[1]
    network.use_task(2)
    layer.effective_weight()
    replaced = torch.where(layer.ownership == 1, torch.zeros_like(layer.ownership), layer.ownership)
    while replaced._version < layer.ownership._version:
        replaced.add_(0)
    layer.ownership = replaced
    assert cached_matches_fresh(network, 2)


def test_moving_the_network_to_another_dtype_invalidates_the_cache():
    network = two_task_network()
    assert cached_matches_fresh(network, 1)
    network.double()
    network.use_task(1)
    assert all(layer.effective_weight().dtype == torch.float64 for _, layer in network.sharable_layers())
    assert cached_matches_fresh(network, 1)
