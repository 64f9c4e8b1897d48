"""A TaskNetwork's task lifecycle: add → claim → begin learning → commit, growth between tasks;
a call in the wrong order raises instead of corrupting the network."""

import pytest
import torch
from torch import nn

from cpg.nn import Reuse, TaskNetwork, convert


def network() -> TaskNetwork:
    torch.manual_seed(0)
    return TaskNetwork(convert(nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2))),
                       factory=lambda width: nn.Sequential(nn.Linear(6, int(5 * width)), nn.BatchNorm1d(int(5 * width)),
                                                           nn.ReLU(), nn.Linear(int(5 * width), 2)))


def test_the_lifecycle_in_order_commits_a_task():
    net = network()
    task = net.add_task(2)
    assert net.claim_free_weights(task) == {"0": 30}  # the last linear layer became the per-task heads
    net.begin_learning(task, Reuse.PICK)
    assert net.learning_task == task and net.trained_weights()
    net.commit(task)
    assert net.committed_tasks == [task] and net.learning_task is None


def test_calls_out_of_order_raise():
    net = network()
    with pytest.raises(RuntimeError, match="not the newest uncommitted"):
        net.claim_free_weights(1)
    task = net.add_task(2)
    with pytest.raises(RuntimeError, match="not being learned"):
        net.commit(task)
    with pytest.raises(RuntimeError, match="call begin_learning first"):
        net.trained_weights()
    net.claim_free_weights(task)
    net.begin_learning(task, Reuse.PICK)
    with pytest.raises(RuntimeError, match="before it begins learning"):
        net.claim_free_weights(task)
    with pytest.raises(RuntimeError, match="not committed yet"):
        net.add_task(2)
    with pytest.raises(RuntimeError, match="grows only while every task it holds is committed"):
        net.grow(1.5)
    net.commit(task)
    with pytest.raises(RuntimeError, match="not the newest uncommitted"):
        net.begin_learning(task, Reuse.PICK)


def test_learning_can_begin_again_after_a_reload():
    net = network()
    task = net.add_task(2)
    net.claim_free_weights(task)
    net.begin_learning(task, Reuse.PICK)
    saved = net.state_dict()
    again = network()
    again.load_state_dict(saved)
    assert again.learning_task is None
    again.begin_learning(task, Reuse.PICK)
    assert again.learning_task == task


def test_per_task_parameters_are_found_by_module_type():
    net = network()
    first = net.add_task(2)
    net.claim_free_weights(first)
    net.begin_learning(first, Reuse.PICK)
    net.commit(first)
    second = net.add_task(3)
    own = net.task_parameters(second)
    modules = dict(net.body.named_modules())
    expected = [modules["0"].task_bias["2"], *modules["1"].norms["2"].parameters(), *modules["3"].heads["2"].parameters()]
    assert [id(param) for param in own] == [id(param) for param in expected]
    assert not {id(param) for param in own} & {id(param) for param in net.task_parameters(first)}
