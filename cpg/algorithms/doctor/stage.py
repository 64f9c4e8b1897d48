"""Model Doctor as a stage of a CPG task: diagnose and treat the task being learned.

Only what the learning task may change trains: the shared weights it owns (Sharable layers
gate every other entry's gradient, also for the second-order channel loss), its head,
BatchNorm and biases, and, when `mask_lr` > 0, its picking mask. Earlier tasks compute
bit-identical outputs afterwards. Weight decay is whatever the caller set with
`pruner.set_weight_decay`.
"""

import copy
from dataclasses import dataclass

import torch

from cpg import optim, pruner
from cpg.algorithms.doctor.diagnosis import Diagnosis, diagnose
from cpg.algorithms.doctor.probe import resolve_layer
from cpg.algorithms.doctor.treatment import TreatmentResult, treat
from cpg.algorithms.task_data import TaskData
from cpg.config.doctor import DoctorConfig
from cpg.nn import TaskNetwork
from cpg.report import StageReport


@dataclass
class DoctorOutcome:
    diagnosis: Diagnosis
    treatment: TreatmentResult


def treat_learning_task(network: TaskNetwork, task: int, data: TaskData, settings: DoctorConfig,
                        device: torch.device, momentum: float = 0.9,
                        report: StageReport | None = None) -> DoctorOutcome:
    """Diagnose task `task` (being learned: added, weights claimed, `pruner.begin_learning`
    called) on its training split and treat it; the network is left on the best epoch."""
    learning = [layer.learning for _, layer in network.sharable_layers()]
    if network.task(task).committed or not any(masks is not None and masks.task == task for masks in learning):
        raise RuntimeError(f"task {task} is not being learned; call pruner.begin_learning first")
    network.use_task(task)
    if settings.balanced_sampling != data.balanced:
        data = copy.copy(data)
        data.balanced = settings.balanced_sampling
    diagnosis = diagnose(network, data.task.train, data.task.num_classes, settings, device,
                         data.eval_batch_size, root=network.body)
    _, layer = resolve_layer(network.body, diagnosis.layer)
    params = pruner.shared_weights(network) + pruner.task_parameters(network, task)
    optimizers: list[torch.optim.Optimizer] = [optim.sgd(params, settings.lr, momentum)]
    picks = pruner.picking_logits(network)
    trains_pick = [logits.requires_grad for logits in picks]
    for logits in picks:
        logits.requires_grad_(settings.mask_lr > 0)
    if picks and settings.mask_lr > 0:
        optimizers.append(optim.adam(picks, settings.mask_lr))
    try:
        result = treat(network, layer, diagnosis.masks, optimizers, data, settings, device, (task, "doctor"),
                       report, after_restore=lambda: pruner.refresh_learning(network))
    finally:
        for logits, required in zip(picks, trains_pick):
            logits.requires_grad_(required)
    return DoctorOutcome(diagnosis, result)

