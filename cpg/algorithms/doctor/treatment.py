"""Treatment: fine-tune with classification loss + α × channel loss, keep the best epoch.

`treat` is the loop shared by a plain classifier (`treat_classifier`) and a CPG task
(`cpg.algorithms.doctor.stage`): SGD with a cosine schedule from the trained weights, the
validation accuracy after every epoch, and the weights of the best epoch restored at the end.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from cpg import optim
from cpg.algorithms.doctor.channel_loss import DoctorLoss
from cpg.algorithms.doctor.diagnosis import Diagnosis
from cpg.algorithms.doctor.probe import output_channels, resolve_layer
from cpg.algorithms.task_data import TaskData
from cpg.config.doctor import DoctorConfig
from cpg.engine import evaluate, train_epoch
from cpg.errors import UserError
from cpg.losses import focal_loss
from cpg.metrics import LayerTap
from cpg.report import StageReport
from cpg.seeding import derive_seed


@dataclass
class TreatmentResult:
    start_accuracy: float  # on the selection split, before treatment
    best_accuracy: float  # on the selection split, of the kept epoch
    best_epoch: int  # 1-based epoch whose weights were kept
    history: list[dict[str, float]] = field(default_factory=list)


def treat(model: nn.Module, layer: nn.Module, masks: torch.Tensor, optimizers: list[torch.optim.Optimizer],
          data: TaskData, settings: DoctorConfig, device: torch.device, position: tuple[Any, ...],
          report: StageReport | None = None, after_restore: Callable[[], None] | None = None) -> TreatmentResult:
    """Fine-tune `model` for `settings.epochs` with `optimizers` (their learning rates follow
    one cosine schedule) and restore the epoch with the best selection-split accuracy.
    `position` seeds the batches; `after_restore` runs after the best weights are loaded."""
    start = evaluate(model, data.eval_batches("select"), device).accuracy
    base_lrs = [optimizer.param_groups[0]["lr"] for optimizer in optimizers]
    best: tuple[float, int, dict[str, Any]] | None = None
    history = []
    with LayerTap(layer) as tap:
        loss_fn = DoctorLoss(tap, masks, settings.alpha, focal_loss(settings.focal_gamma))
        for epoch in range(settings.epochs):
            for optimizer, base in zip(optimizers, base_lrs):
                optim.set_lr(optimizer, optim.cosine_lr(base, epoch, settings.epochs))
            torch.manual_seed(derive_seed(data.seed, *position, "step", epoch))
            stats = train_epoch(model, data.train_batches(*position, epoch), optimizers, device, loss_fn=loss_fn)
            val = evaluate(model, data.eval_batches("select"), device).accuracy
            values = {"loss": stats.loss, "channel_loss": loss_fn.take_mean(), "train_acc": stats.accuracy,
                      "val_acc": val, "lr": optim.cosine_lr(base_lrs[0], epoch, settings.epochs)}
            history.append(values)
            if report is not None:
                report.epoch(epoch, values)
            if best is None or val > best[0]:
                best = (val, epoch + 1, _snapshot(model))
    assert best is not None
    model.load_state_dict(best[2])
    if after_restore is not None:
        after_restore()
    return TreatmentResult(start, best[0], best[1], history)


def treat_classifier(model: nn.Module, diagnosis: Diagnosis, data: TaskData, settings: DoctorConfig,
                     device: torch.device, momentum: float = 0.9, weight_decay: float = 0.0,
                     report: StageReport | None = None) -> TreatmentResult:
    """Treat a plain classifier in place. Only parameters that require a gradient train."""
    name, layer = resolve_layer(model, diagnosis.layer)
    if diagnosis.relevance.shape[1] != output_channels(layer):
        raise UserError(f"the diagnosis has {diagnosis.relevance.shape[1]} channels per class but layer {name!r} "
                        f"has {output_channels(layer)}; diagnose this model again")
    trainable = [parameter for parameter in model.parameters() if parameter.requires_grad]
    optimizer = optim.sgd(trainable, settings.lr, momentum, weight_decay=weight_decay)
    return treat(model, layer, diagnosis.masks, [optimizer], data, settings, device, ("doctor",), report)


def _snapshot(model: nn.Module) -> dict[str, Any]:
    return {key: value.detach().clone() if isinstance(value, torch.Tensor) else copy.deepcopy(value)
            for key, value in model.state_dict().items()}
