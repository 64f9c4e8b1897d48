"""The CPG state the benchmarks measure: a network learning its second task after the first
was pruned to 50%, so gating, weight decay on owned weights and picking are all at work."""

import torch

from cpg import optim, pruner
from cpg.models import model_factory
from cpg.nn import Reuse, TaskNetwork


def second_task_network(arch: str, input_shape: tuple[int, int, int], classes: int = 5) -> TaskNetwork:
    network = TaskNetwork.build(model_factory(arch, input_shape))
    first = network.add_task(classes)
    network.claim_free_weights(first)
    network.begin_learning(first, Reuse.PICK)
    pruner.MagnitudePruner(network, first).prune_to(0.5)
    network.commit(first)
    second = network.add_task(classes)
    network.claim_free_weights(second)
    network.begin_learning(second, Reuse.PICK)
    network.set_weight_decay(4e-5)
    network.use_task(second)
    return network


def learning_optimizers(network: TaskNetwork) -> list[torch.optim.Optimizer]:
    """SGD for the learning task's weights, BN and head, Adam for its picking mask (as FINETUNE)."""
    task = network.active_task
    optimizers = [optim.sgd(network.trained_weights() + network.task_parameters(task), 1e-2, 0.9),
                  optim.adam(network.picking_logits(), 5e-4)]
    network.train_only([p for optimizer in optimizers for group in optimizer.param_groups for p in group["params"]])
    return optimizers
