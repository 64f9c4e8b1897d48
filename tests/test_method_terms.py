"""What each method adds to a step's loss or keeps after a task, against its paper's formula on
a tiny model: nothing on the first task, the formula after."""

import copy
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cpg.continual.quadratic import Penalty, quadratic_penalty, shared_parameters
from cpg.continual.strategies.ewc import OnlineEWC, diagonal_fisher
from cpg.continual.strategies.lwf import Distillation, distillation_loss
from cpg.continual.strategies.replay import Replay
from cpg.continual.strategies.si import PathIntegral, SynapticIntelligence
from cpg.data import from_tensors
from cpg.engine import LoopHook, TrainStep
from cpg.nn import Reuse, TaskNetwork
from cpg.nn.convert import convert_head
from cpg.workflows import execute
from tests.runs import Watch

TWO_TASKS = {"num_tasks": 2, "classes_per_task": 2, "train_per_class": 30, "test_per_class": 10, "image_size": 8,
             "channels": 1, "difficulty": 0.5}
THREE_TASKS = {**TWO_TASKS, "num_tasks": 3}


def tiny_network(tasks: int, classes: int = 3) -> TaskNetwork:
    """flatten → linear 4→5 → ReLU → a head per task; every task but the last committed."""
    torch.manual_seed(0)
    network = TaskNetwork(convert_head(nn.Sequential(nn.Flatten(), nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, classes))))
    for task in range(1, tasks + 1):
        network.add_task(classes)
        network.begin_learning(task, Reuse.ALL)
        if task < tasks:
            network.commit(task)
    network.use_task(tasks)
    return network


class LossTerms(LoopHook):
    """Records, at every step, the step's loss minus the cross-entropy of its outputs, with the
    parameters as they were then."""

    def __init__(self, session, records: list) -> None:
        self.session, self.records = session, records

    def before_backward(self, step: TrainStep) -> None:
        added = (step.loss - F.cross_entropy(step.outputs, step.targets)).detach()
        params = {name: param.detach().clone() for name, param in shared_parameters(self.session.network).items()}
        self.records.append((self.session.task, added, params))


def watch_loss_terms() -> tuple[Watch, list]:
    records: list = []
    return Watch(hooks=lambda session, stage: [LossTerms(session, records)]), records


def assert_terms(records: list, last_task: int, penalty) -> None:
    """Nothing added on the first task; `penalty(params)` added on `last_task`, positive by its end."""
    assert all(torch.equal(added, torch.zeros(())) for task, added, _ in records if task == 1)
    later = [(added, params) for task, added, params in records if task == last_task]
    for added, params in later:
        torch.testing.assert_close(added, penalty(params), rtol=1e-4, atol=1e-7)
    assert later[-1][0] > 0


def assert_all_close(left: dict, right: dict) -> None:
    assert left.keys() == right.keys()
    for name in left:
        torch.testing.assert_close(left[name], right[name])


def test_the_quadratic_penalty_is_the_importance_weighted_squared_distance_from_the_anchor():
    params = {"w": torch.tensor([1.5, 0.0]), "b": torch.tensor([3.0])}
    importance = {"w": torch.tensor([1.0, 2.0]), "b": torch.tensor([0.5])}
    anchor = {"w": torch.tensor([1.0, 1.0]), "b": torch.tensor([1.0])}
    assert quadratic_penalty(params, importance, anchor).item() == pytest.approx(1 * 0.25 + 2 * 1 + 0.5 * 4)
    step = TrainStep(0, torch.zeros(1), torch.zeros(1), torch.zeros(1), torch.tensor(1.0), ())
    Penalty(params, importance, anchor, 0.1).before_backward(step)
    assert step.loss.item() == pytest.approx(1 + 0.1 * 4.25)


def test_the_fisher_information_is_the_expected_squared_gradient_of_the_log_likelihood():
    network = tiny_network(1)
    images = torch.randn(6, 1, 2, 2, generator=torch.Generator().manual_seed(1))
    params = shared_parameters(network)
    fisher = diagonal_fisher(network, params, [(images[:4], None), (images[4:], None)], torch.device("cpu"))
    expected = {name: torch.zeros_like(param) for name, param in params.items()}
    for image in images:
        log_probabilities = F.log_softmax(network(image[None]), dim=1)[0]
        for label, log_probability in enumerate(log_probabilities):
            gradients = torch.autograd.grad(log_probability, list(params.values()), retain_graph=True)
            for name, gradient in zip(params, gradients):
                expected[name] += log_probability.exp().detach() * gradient.square() / len(images)
    assert list(fisher) == ["body.1.weight", "body.1.bias"]  # the head is no shared parameter
    assert_all_close(fisher, expected)


def test_online_ewc_adds_nothing_on_the_first_task_then_its_penalty_and_keeps_a_running_fisher(quick_config, quiet):
    ewc, (watch, records) = OnlineEWC(), watch_loss_terms()
    kept: list = []

    def keep(session):
        network = session.network
        fisher = diagonal_fisher(network, shared_parameters(network), session.data(session.task).eval_batches("train"),
                                 session.device)
        kept.append(({name: value.clone() for name, value in ewc.importance.items()}, fisher))

    config = quick_config(strategy="finetune", benchmark_options=THREE_TASKS, ewc={"strength": 3.0, "decay": 0.5})
    execute(config, console=quiet, plugins=[ewc, watch, Watch(committed=keep)])
    (first, fisher_1), (second, fisher_2), _ = kept
    assert_all_close(first, fisher_1)
    assert_all_close(second, {name: 0.5 * first[name] + fisher_2[name] for name in first})
    assert_terms(records, 3, lambda params: 3.0 * 0.5 / 2 * quadratic_penalty(params, second, ewc.anchor))


def test_the_path_integral_sums_minus_the_task_gradient_times_each_update():
    network = tiny_network(1)
    params = shared_parameters(network)
    anchor = {name: param.detach() + 0.1 for name, param in params.items()}
    importance = {name: torch.full_like(param, 2.0) for name, param in params.items()}
    penalty = Penalty(params, importance, anchor, 0.5)
    omega = {name: torch.zeros_like(param) for name, param in params.items()}
    integral = PathIntegral(params, omega, penalty)
    optimizer = torch.optim.SGD(network.parameters(), lr=0.1, momentum=0.9)
    expected = {name: torch.zeros_like(param) for name, param in params.items()}
    images, labels = torch.randn(8, 1, 2, 2), torch.randint(0, 3, (8,))
    for step in range(3):
        optimizer.zero_grad()
        task_loss = F.cross_entropy(network(images), labels)
        task_gradients = torch.autograd.grad(task_loss, list(params.values()), retain_graph=True)
        before = {name: param.detach().clone() for name, param in params.items()}
        (task_loss + 0.5 * quadratic_penalty(params, importance, anchor)).backward()
        integral.after_backward(step)
        optimizer.step()
        integral.after_step(step)
        for name, gradient in zip(params, task_gradients):
            expected[name] -= gradient * (params[name].detach() - before[name])
    assert_all_close(omega, expected)


def test_si_adds_nothing_on_the_first_task_and_its_importance_is_omega_over_the_squared_move(quick_config, quiet):
    si, (watch, records) = SynapticIntelligence(), watch_loss_terms()
    paths: list = []

    class LastEpoch(LoopHook):
        def after_epoch(self, record):
            paths.append((copy.deepcopy(si.omega), copy.deepcopy(si.start)))
            return {}

    kept: list = []
    committed = Watch(committed=lambda session: kept.append(
        ({name: p.detach().clone() for name, p in shared_parameters(session.network).items()},
         copy.deepcopy(si.importance))))
    config = quick_config(strategy="finetune", benchmark_options=TWO_TASKS, si={"strength": 0.2, "damping": 0.01})
    execute(config, console=quiet, plugins=[si, watch, Watch(hooks=lambda session, stage: [LastEpoch()]), committed])
    omega, start = paths[2]  # the last epoch of task 1
    anchor, importance = kept[0]
    assert_all_close(importance, {name: omega[name] / ((anchor[name] - start[name]).square() + 0.01) for name in omega})
    assert_terms(records, 2, lambda params: 0.2 * quadratic_penalty(params, importance, anchor))


def test_the_distillation_term_is_li_and_hoiems_softened_cross_entropy_over_the_old_heads():
    student = tiny_network(3)
    teacher = copy.deepcopy(student).eval()
    with torch.no_grad():
        for param in student.parameters():
            param.add_(0.3 * torch.randn_like(param))
    images, labels = torch.randn(5, 1, 2, 2), torch.randint(0, 3, (5,))
    hook = Distillation(student, teacher, [1, 2], weight=0.7, temperature=2.0)
    hook.before_epoch(0)
    outputs = student(images)
    step = TrainStep(0, images, labels, outputs, F.cross_entropy(outputs, labels), ())
    hook.before_backward(step)
    hook.after_epoch(None)
    expected = 0.0
    for task in (1, 2):
        student.use_task(task)
        teacher.use_task(task)
        soft_targets = F.softmax(teacher(images) / 2, dim=1)
        expected += -(soft_targets * F.log_softmax(student(images) / 2, dim=1)).sum(dim=1).mean()
    torch.testing.assert_close(step.loss, F.cross_entropy(outputs, labels) + 0.7 * expected)
    same = torch.randn(4, 3)
    assert distillation_loss(same, same, 2.0) == pytest.approx(-(F.softmax(same / 2, 1) * F.log_softmax(same / 2, 1)).sum(1).mean())


def test_replayed_images_go_through_their_own_tasks_head_and_the_loss_is_the_joint_batch_mean():
    network = tiny_network(3)
    images = torch.randn(3, 6, 1, 2, 2, generator=torch.Generator().manual_seed(2))
    labels = torch.randint(0, 3, (3, 6), generator=torch.Generator().manual_seed(3))
    benchmark = from_tensors("tiny", [(images[t], labels[t], images[t], labels[t], 3) for t in range(3)],
                             val_fraction=0.5)
    session = SimpleNamespace(network=network, benchmark=benchmark, device=torch.device("cpu"), task=3,
                              config=SimpleNamespace(seed=0), state=SimpleNamespace(task=3, prune_index=0))
    items = [(1, 0), (2, 1), (1, 2)]
    replay = Replay(session, "finetune", items, batch_size=3)
    replay.before_epoch(0)
    current_images, current_labels = torch.randn(4, 1, 2, 2), torch.randint(0, 3, (4,))
    outputs = network(current_images)
    step = TrainStep(0, current_images, current_labels, outputs, F.cross_entropy(outputs, current_labels), ())
    replay.before_backward(step)
    assert network.active_task == 3  # the current task's head computes the step's outputs again
    total = F.cross_entropy(outputs, current_labels, reduction="sum")
    for task, index in items:
        split = benchmark.tasks[task - 1].train
        image, label = split[index]
        network.use_task(task)
        total += F.cross_entropy(network(image[None]), label[None], reduction="sum")
    torch.testing.assert_close(step.loss, total / 7)
