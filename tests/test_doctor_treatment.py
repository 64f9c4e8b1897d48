import dataclasses

import pytest
import torch

from cpg import optim, pruner
from cpg.config.doctor import DoctorConfig
from cpg.data import build_benchmark
from cpg.data.batches import TaskData
from cpg.doctor import diagnose, diagnose_learning_task, treat_classifier, treat_learning_task
from cpg.engine import evaluate, train_epoch
from cpg.models import model_factory
from cpg.nn import Reuse, TaskNetwork
from tests.fixtures.doctor import CPU, digits_data, digits_task, trained_digits_model

SHORT = DoctorConfig(epochs=2, images_per_class=10)


def treated(settings: DoctorConfig, freeze: str | None = None, epochs: int = 1):
    """Treat a small CNN trained for `epochs` epochs on digits-10 (one: treatment still helps)."""
    model = trained_digits_model(epochs=epochs)
    if freeze is not None:
        model.get_submodule(freeze).weight.requires_grad_(False)
    start = {name: value.clone() for name, value in model.named_parameters()}
    diagnosis = diagnose(model, digits_task().train, 10, settings, CPU)
    result = treat_classifier(model, diagnosis, digits_data(), settings, CPU)
    return model, start, result


def test_plain_treatment_trains_only_trainable_parameters_and_keeps_the_best_epoch():
    model, start, result = treated(SHORT, freeze="features.0")
    vals = [epoch["val_acc"] for epoch in result.history]
    assert len(vals) == SHORT.epochs and result.best_accuracy == max(vals) > result.start_accuracy
    assert result.best_epoch == vals.index(max(vals)) + 1
    changed = {name for name, value in model.named_parameters() if not torch.equal(value, start[name])}
    assert "features.0.weight" not in changed
    assert changed == set(start) - {"features.0.weight"}
    assert evaluate(model, digits_data().eval_batches("val"), CPU).accuracy == result.best_accuracy
    assert result.history[0]["channel_loss"] > 0


def test_treatment_never_ends_below_the_untreated_model():
    """A treatment that only hurts (a far too large learning rate) leaves the model as it was."""
    model, start, result = treated(dataclasses.replace(SHORT, lr=1.0), epochs=6)
    assert all(epoch["val_acc"] < result.start_accuracy for epoch in result.history)
    assert result.best_epoch == 0 and result.best_accuracy == result.start_accuracy
    assert all(torch.equal(value, start[name]) for name, value in model.named_parameters())


def test_the_channel_loss_changes_the_outcome():
    plain, _, _ = treated(dataclasses.replace(SHORT, alpha=0.0, epochs=1))
    doctored, _, _ = treated(dataclasses.replace(SHORT, epochs=1))
    assert not torch.equal(plain.head.weight, doctored.head.weight)


def learn_task(network: TaskNetwork, task_data: TaskData, epochs: int = 2) -> int:
    number = network.add_task(task_data.task.num_classes)
    network.claim_free_weights(number)
    network.begin_learning(number, Reuse.PICK)
    network.use_task(number)
    optimizers = [optim.sgd(network.trained_weights() + network.task_parameters(number), 0.05, 0.9)]
    if network.picking_logits():
        optimizers.append(optim.adam(network.picking_logits(), 5e-3))
    for epoch in range(epochs):
        train_epoch(network, task_data.train_batches(number, epoch), optimizers, CPU)
    return number


@pytest.mark.parametrize("mask_lr", [0.0, 1e-2])
def test_inside_cpg_only_the_learning_task_changes_and_earlier_logits_are_equal(mask_lr):
    torch.manual_seed(0)
    tasks = build_benchmark("digits-5").tasks
    network = TaskNetwork.build(model_factory("small_cnn", (1, 8, 8)))
    first = learn_task(network, TaskData(tasks[0], 32, 256, 0))
    pruner.MagnitudePruner(network, first).prune_to(0.5)
    network.commit(first)
    images = tasks[0].test.__getitems__(range(len(tasks[0].test)))[0]
    network.eval()
    network.use_task(first)
    with torch.no_grad():
        before = network(images)
    second = learn_task(network, TaskData(tasks[1], 32, 256, 0), epochs=1)
    network.set_weight_decay(4e-5)
    state = {key: value.clone() for key, value in network.state_dict().items() if isinstance(value, torch.Tensor)}
    settings = dataclasses.replace(SHORT, mask_lr=mask_lr)
    data = TaskData(tasks[1], 32, 256, 0)
    diagnosis = diagnose_learning_task(network, second, data, settings, CPU)
    outcome = treat_learning_task(network, second, diagnosis, data, settings, CPU)
    assert diagnosis.masks.shape == (2, 64) and 1 <= outcome.best_epoch <= settings.epochs
    network.eval()
    network.use_task(first)
    with torch.no_grad():
        assert torch.equal(network(images), before)
    changed = {key for key, value in network.state_dict().items() if isinstance(value, torch.Tensor)
               and not torch.equal(value, state[key])}
    own = {key for key in changed if ".norms.2." in key or ".heads.2." in key or key.endswith("task_bias.2")}
    shared = {key for key in changed if key.endswith(".weight") and key not in own}
    picks = {key for key in changed if key.endswith(".pick")}
    assert changed == own | shared | picks and own and shared
    assert bool(picks) == (mask_lr > 0)
    for name, layer in network.sharable_layers():
        key = f"body.{name}"
        assert torch.equal(layer.ownership, state[f"{key}.ownership"])
        untouched = layer.ownership != second
        assert torch.equal(layer.weight[untouched], state[f"{key}.weight"][untouched])
        if layer.pick is not None:
            assert torch.equal(layer.pick[layer.ownership != first], state[f"{key}.pick"][layer.ownership != first])
    assert all(logits.requires_grad for logits in network.picking_logits())


def test_the_stage_refuses_a_committed_task():
    network = TaskNetwork.build(model_factory("small_cnn", (1, 8, 8)))
    task = build_benchmark("digits-5").tasks[0]
    number = network.add_task(2)
    network.claim_free_weights(number)
    network.begin_learning(number, Reuse.PICK)
    network.commit(number)
    with pytest.raises(RuntimeError, match="not being learned"):
        diagnose_learning_task(network, number, TaskData(task, 32, 256, 0), SHORT, CPU)
