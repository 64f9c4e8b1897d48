"""The effective weight, gradient gating, picking and per-task state of Sharable layers."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cpg import pruner
from cpg.errors import UserError
from cpg.nn import PICK_INIT, Reuse, SharableConv2d, SharableLinear, TaskBatchNorm, TaskHead, TaskNetwork, convert


def two_layer() -> TaskNetwork:
    torch.manual_seed(0)
    body = nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 3), nn.Linear(3, 2))
    return TaskNetwork(convert(body))


def start(network: TaskNetwork, reuse: Reuse = Reuse.PICK) -> int:
    task = network.add_task(2)
    network.claim_free_weights(task)
    network.begin_learning(task, reuse)
    network.use_task(task)
    return task


def second_task(network: TaskNetwork, prune_first_to: float | None = None) -> tuple[int, int]:
    """Learn and commit a first task (pruned to the given sparsity, if any), then start a second."""
    first = start(network)
    if prune_first_to is not None:
        pruner.MagnitudePruner(network, first).prune_to(prune_first_to)
    network.commit(first)
    return first, start(network)


def test_convert_swaps_layers_and_keeps_weights():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4 * 4, 3), nn.Linear(3, 2))
    weight = model[0].weight.detach().clone()
    convert(model)
    assert isinstance(model[0], SharableConv2d) and isinstance(model[1], TaskBatchNorm)
    assert isinstance(model[3], SharableLinear) and isinstance(model[4], TaskHead)
    assert torch.equal(model[0].weight, weight)


def test_convert_refuses_layers_without_task_aware_version():
    model = nn.Sequential(nn.Conv1d(1, 2, 3), nn.Flatten(), nn.Linear(4, 2))
    with pytest.raises(UserError, match="Conv1d"):
        convert(model)


def test_effective_weight_follows_ownership_and_pick():
    network = two_layer()
    layer = network.body[0]
    first, second = second_task(network, 0.5)
    logits = layer.pick
    with torch.no_grad():
        dropped = (layer.ownership == first) & (torch.rand(logits.shape) < 0.5)
        logits[dropped] = -1.0
    network.eval()
    with torch.no_grad():
        expected = layer.weight * ((layer.ownership == second) | ((layer.ownership == first) & ~dropped))
        assert torch.equal(layer.effective_weight(), expected)


def test_gradient_reaches_only_owned_weights_with_decay_on_owned_only():
    network = two_layer()
    first, second = second_task(network, 0.6)
    network.set_weight_decay(0.1)
    network.train()
    F.cross_entropy(network(torch.randn(8, 6)), torch.randint(0, 2, (8,))).backward()
    for _, layer in network.sharable_layers():
        owned = layer.ownership == second
        assert torch.all(layer.weight.grad[~owned] == 0)
        assert torch.any(layer.weight.grad[owned] != 0)
        earlier = layer.ownership == first
        assert torch.all(layer.pick.grad[~earlier] == 0)


def test_pick_gradient_is_straight_through():
    network = two_layer()
    first, _ = second_task(network)
    layer = network.body[3]
    masks = layer.learning
    compute = masks.weight
    captured = {}

    def weight_with_hook(weight):
        effective = compute(weight)
        effective.register_hook(lambda grad: captured.setdefault("grad", grad.clone()))
        return effective

    masks.weight = weight_with_hook
    network.train()
    F.cross_entropy(network(torch.randn(4, 6)), torch.randint(0, 2, (4,))).backward()
    earlier = layer.ownership == first
    expected = torch.where(earlier, captured["grad"] * layer.weight.detach(), 0.0)
    assert torch.allclose(layer.pick.grad, expected)
    assert torch.any(layer.pick.grad != 0)


def test_training_forward_reuses_its_weight_buffer_every_step():
    network = two_layer()
    start(network)
    layer = network.body[0]
    network.train()
    pointers = []
    for _ in range(3):
        effective = layer.effective_weight()
        pointers.append(effective.data_ptr())
        F.linear(torch.randn(4, 6, requires_grad=True), effective).sum().backward()
        del effective
    assert pointers == [layer.learning._buffer.data_ptr()] * 3


def test_weight_buffer_is_free_again_once_an_unused_graph_is_dropped():
    network = two_layer()
    start(network)
    layer = network.body[0]
    network.train()
    x = torch.randn(4, 6, requires_grad=True)
    dropped = F.linear(x, layer.effective_weight()).sum()  # never backpropagated
    assert layer.effective_weight().data_ptr() != layer.learning._buffer.data_ptr()
    del dropped
    assert layer.effective_weight().data_ptr() == layer.learning._buffer.data_ptr()


def test_weight_buffer_is_not_overwritten_while_a_graph_needs_it():
    network = two_layer()
    second_task(network)
    layer = network.body[0]
    network.train()
    x = torch.randn(4, 6, requires_grad=True)
    pending = (F.linear(x, layer.effective_weight()) ** 2).sum()
    used = layer.effective_weight().detach().clone()  # the weight `pending` was computed with
    with torch.no_grad():
        layer.pick.fill_(-1.0)  # drop every picked weight: a later forward computes another weight
    assert not torch.equal(layer.effective_weight(), used)
    pending.backward()
    expected = torch.autograd.grad((F.linear(x, used) ** 2).sum(), x)[0]
    assert torch.equal(x.grad, expected)


def test_picking_only_task_trains_no_shared_weight():
    network = two_layer()
    network.commit(start(network))
    second = start(network)
    assert network.trained_weights() == []
    assert all(param.requires_grad for param in network.picking_logits())
    assert torch.all(network.body[0].pick[network.body[0].ownership == 1] == PICK_INIT)
    assert second == 2


def test_released_weights_stay_zero_under_momentum():
    network = two_layer()
    task = start(network)
    network.train()
    optimizer = torch.optim.SGD(network.trained_weights(), lr=0.1, momentum=0.9, nesterov=True)
    for _ in range(3):
        optimizer.zero_grad()
        F.cross_entropy(network(torch.randn(8, 6)), torch.randint(0, 2, (8,))).backward()
        optimizer.step()
    magnitude = pruner.MagnitudePruner(network, task)
    magnitude.prune_to(0.5, (optimizer,))
    released = {name: (layer.ownership == 0).clone() for name, layer in network.sharable_layers()}
    for _ in range(3):
        optimizer.zero_grad()
        F.cross_entropy(network(torch.randn(8, 6)), torch.randint(0, 2, (8,))).backward()
        optimizer.step()
    for name, layer in network.sharable_layers():
        assert torch.all(layer.weight[released[name]] == 0)
    assert magnitude.sparsity() == pytest.approx(0.5, abs=0.05)


def test_task_batch_norm_keeps_each_task_statistics():
    network = two_layer()
    first = start(network)
    network.train()
    network(torch.randn(16, 6) * 3 + 1)
    norm = network.body[1]
    before = norm.norms[str(first)].running_mean.clone()
    network.commit(first)
    start(network)
    network.train()
    network(torch.randn(16, 6))
    assert torch.equal(norm.norms[str(first)].running_mean, before)


def test_state_dict_round_trip_recreates_per_task_entries():
    network = two_layer()
    first = start(network)
    pruner.MagnitudePruner(network, first).prune_to(0.5)
    network.commit(first)
    network.commit(start(network))
    inputs = torch.randn(5, 6)
    network.eval()
    outputs = {}
    for task in (1, 2):
        network.use_task(task)
        with torch.no_grad():
            outputs[task] = network(inputs)
    torch.manual_seed(1)
    fresh = TaskNetwork(convert(nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 3), nn.Linear(3, 2))))
    fresh.load_state_dict(network.state_dict())
    fresh.eval()
    for task in (1, 2):
        fresh.use_task(task)
        with torch.no_grad():
            assert torch.equal(fresh(inputs), outputs[task])
