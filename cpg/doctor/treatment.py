"""Treatment: fine-tune with classification loss + α × channel loss, keep the best epoch.

`treat` is the loop shared by a plain classifier (`treat_classifier`) and a CPG task
(`cpg.doctor.learning_task`): SGD with a cosine schedule from the trained weights and the
validation accuracy after every epoch; the weights before treatment compete as epoch 0, so a
treated model is never worse than the untreated one on the selection split.
"""

from dataclasses import dataclass, field

import torch
from torch import nn

from cpg import optim
from cpg.config.doctor import DoctorConfig
from cpg.data.batches import TaskData
from cpg.doctor.channel_loss import DoctorLoss
from cpg.doctor.diagnosis import Diagnosis
from cpg.doctor.probe import output_channels, resolve_layer
from cpg.engine import EpochLoop, EpochRecord, EpochReport, LoopHook, LoopStore, evaluate
from cpg.errors import UserError
from cpg.importance import LayerTap
from cpg.losses import focal_loss
from cpg.seeding import derive_seed


@dataclass
class TreatmentResult:
    start_accuracy: float  # on the selection split, before treatment
    best_accuracy: float  # on the selection split, of the kept epoch
    best_epoch: int  # 1-based epoch whose weights were kept; 0: none beat the untreated weights
    history: list[dict[str, float]] = field(default_factory=list)


class ChannelLossReport(LoopHook):
    def __init__(self, loss_fn: DoctorLoss) -> None:
        self.loss_fn = loss_fn

    def after_epoch(self, record: EpochRecord) -> dict[str, float]:
        return {"channel_loss": self.loss_fn.take_mean()}


def treat(model: nn.Module, layer: nn.Module, masks: torch.Tensor, optimizers: list[torch.optim.Optimizer],
          data: TaskData, settings: DoctorConfig, device: torch.device, position: tuple,
          report: EpochReport | None = None, store: LoopStore | None = None) -> TreatmentResult:
    """Fine-tune `model` for `settings.epochs` with `optimizers` (their learning rates follow
    one cosine schedule) and end on the epoch with the best selection-split accuracy.
    `position` seeds the batches; `store` keeps the loop's epochs (default: in memory)."""

    def select() -> float:
        return evaluate(model, data.eval_batches("select"), device).accuracy

    def batches(epoch: int):  # type: ignore[no-untyped-def]
        torch.manual_seed(derive_seed(data.seed, *position, "step", epoch))
        return data.train_batches(*position, epoch)

    with LayerTap(layer) as tap:
        loss_fn = DoctorLoss(tap, masks, settings.alpha, focal_loss(settings.focal_gamma))
        loop = EpochLoop(model, optimizers, settings.epochs, batches, device=device, store=store,
                         schedules=[optim.cosine(settings.epochs)] * len(optimizers), loss_fn=loss_fn,
                         evaluate=select, score=lambda record: (record.selection,), start_score=lambda: (select(),),
                         hooks=[ChannelLossReport(loss_fn)], report=report)
        outcome = loop.run()
    assert outcome.start is not None and outcome.best is not None and outcome.best_epoch is not None
    return TreatmentResult(outcome.start[0], outcome.best[0], outcome.best_epoch, outcome.history)


def treat_classifier(model: nn.Module, diagnosis: Diagnosis, data: TaskData, settings: DoctorConfig,
                     device: torch.device, momentum: float = 0.9, weight_decay: float = 0.0,
                     report: EpochReport | None = None, store: LoopStore | None = None) -> TreatmentResult:
    """Treat a plain classifier in place. Only parameters that require a gradient train."""
    name, layer = resolve_layer(model, diagnosis.layer)
    if diagnosis.relevance.shape[1] != output_channels(layer):
        raise UserError(f"the diagnosis has {diagnosis.relevance.shape[1]} channels per class but layer {name!r} "
                        f"has {output_channels(layer)}; diagnose this model again")
    trainable = [parameter for parameter in model.parameters() if parameter.requires_grad]
    optimizer = optim.sgd(trainable, settings.lr, momentum, weight_decay=weight_decay)
    return treat(model, layer, diagnosis.masks, [optimizer], data, settings, device, ("doctor",), report, store)
