"""The short fine-tuning after pruning: SGD with Nesterov momentum and weight decay, the
learning rate cosine-annealed to 0, and the weights of the epoch with the best validation
accuracy kept (epoch 0: as pruned; on a tie the later epoch)."""

import copy
from dataclasses import dataclass, field

import torch
from torch import nn

from cpg import optim
from cpg.algorithms.task_data import TaskData
from cpg.config.compress import CompressConfig
from cpg.engine import evaluate, train_epoch
from cpg.report import StageReport
from cpg.seeding import derive_seed


@dataclass
class FinetuneResult:
    selected_epoch: int  # 0: no epoch beat the pruned weights
    val_accuracy: float  # of the selected epoch
    history: list[dict[str, float]] = field(default_factory=list)


def finetune(model: nn.Module, data: TaskData, config: CompressConfig, device: torch.device,
             report: StageReport | None = None) -> FinetuneResult:
    """Fine-tune `model` in place for `config.epochs`; returns which epoch's weights it holds."""
    best_accuracy = evaluate(model, data.eval_batches("select"), device).accuracy
    best_epoch, best_state = 0, copy.deepcopy(model.state_dict())
    optimizer = optim.sgd(model.parameters(), config.lr, config.momentum, config.weight_decay)
    history = []
    for epoch in range(config.epochs):
        lr = optim.cosine_lr(config.lr, epoch, config.epochs)
        optim.set_lr(optimizer, lr)
        torch.manual_seed(derive_seed(config.seed, "compress", "step", epoch))
        stats = train_epoch(model, data.train_batches("compress", epoch), [optimizer], device)
        accuracy = evaluate(model, data.eval_batches("select"), device).accuracy
        values = {"loss": stats.loss, "train_acc": stats.accuracy, "val_acc": accuracy, "lr": lr}
        history.append(values)
        if report is not None:
            report.epoch(epoch, values)
        if accuracy >= best_accuracy:
            best_accuracy, best_epoch, best_state = accuracy, epoch + 1, copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    model.eval()
    return FinetuneResult(best_epoch, best_accuracy, history)
