"""Model Doctor as a stage of a CPG task: diagnose and treat the task being learned.

Only what the learning task may change trains: the shared weights it owns (Sharable layers
gate every other entry's gradient, also for the second-order channel loss), its head,
BatchNorm and biases, and, when `mask_lr` > 0, its picking mask. Earlier tasks compute
bit-identical outputs afterwards. Weight decay is whatever the caller set with
`TaskNetwork.set_weight_decay`.
"""

import copy

import torch

from cpg import optim
from cpg.config.doctor import DoctorConfig
from cpg.data.batches import TaskData
from cpg.doctor.diagnosis import Diagnosis, diagnose
from cpg.doctor.probe import resolve_layer
from cpg.doctor.treatment import TreatmentResult, treat
from cpg.engine import EpochReport, LoopStore
from cpg.nn import TaskNetwork


def _learning(network: TaskNetwork, task: int) -> None:
    if network.learning_task != task:
        raise RuntimeError(f"task {task} is not being learned; call TaskNetwork.begin_learning first")
    network.use_task(task)


def _sampled(data: TaskData, settings: DoctorConfig) -> TaskData:
    if settings.balanced_sampling == data.balanced:
        return data
    data = copy.copy(data)
    data.balanced = settings.balanced_sampling
    return data


def diagnose_learning_task(network: TaskNetwork, task: int, data: TaskData, settings: DoctorConfig,
                           device: torch.device) -> Diagnosis:
    """The channels each class of task `task` (being learned) relies on, from its training split."""
    _learning(network, task)
    return diagnose(network, data.task.train, data.task.num_classes, settings, device, data.eval_batch_size,
                    root=network.body)


def treat_learning_task(network: TaskNetwork, task: int, diagnosis: Diagnosis, data: TaskData,
                        settings: DoctorConfig, device: torch.device, momentum: float = 0.9,
                        report: EpochReport | None = None, store: LoopStore | None = None) -> TreatmentResult:
    """Treat task `task` (being learned); the network is left on the best epoch (or as it was)."""
    _learning(network, task)
    _, layer = resolve_layer(network.body, diagnosis.layer)
    params = network.trained_weights() + network.task_parameters(task)
    optimizers: list[torch.optim.Optimizer] = [optim.sgd(params, settings.lr, momentum)]
    picks = network.picking_logits()
    trains_pick = [logits.requires_grad for logits in picks]
    for logits in picks:
        logits.requires_grad_(settings.mask_lr > 0)
    if picks and settings.mask_lr > 0:
        optimizers.append(optim.adam(picks, settings.mask_lr))
    try:
        return treat(network, layer, diagnosis.masks, optimizers, _sampled(data, settings), settings, device,
                     (task, "doctor"), report, store)
    finally:
        for logits, required in zip(picks, trains_pick):
            logits.requires_grad_(required)
