"""Recovery fine-tuning after pruning: SGD with Nesterov momentum and weight decay, the
learning rate cosine-annealed to 0, on the loop every stage uses (cpg.engine.EpochLoop). The
pruned weights compete as epoch 0, so the result is never below them on the selection split."""

from dataclasses import dataclass, field

import torch
from torch import nn

from cpg import optim
from cpg.config.compress import CompressConfig
from cpg.data.batches import TaskData
from cpg.engine import EpochLoop, EpochReport, LoopStore, evaluate
from cpg.seeding import derive_seed


@dataclass
class RecoveryResult:
    selected_epoch: int  # 0: no epoch beat the pruned weights
    val_accuracy: float  # of the selected epoch
    history: list[dict[str, float]] = field(default_factory=list)


def recover(model: nn.Module, data: TaskData, config: CompressConfig, device: torch.device,
            report: EpochReport | None = None, store: LoopStore | None = None) -> RecoveryResult:
    """Fine-tune `model` in place for `config.epochs`; returns which epoch's weights it holds."""

    def select() -> float:
        return evaluate(model, data.eval_batches("select"), device).accuracy

    def batches(epoch: int):  # type: ignore[no-untyped-def]
        torch.manual_seed(derive_seed(config.seed, "compress", "step", epoch))
        return data.train_batches("compress", epoch)

    optimizer = optim.sgd(model.parameters(), config.lr, config.momentum, config.weight_decay)
    outcome = EpochLoop(model, [optimizer], config.epochs, batches, device=device, store=store,
                        schedules=[optim.cosine(config.epochs)], evaluate=select,
                        score=lambda record: (record.selection,), start_score=lambda: (select(),), report=report).run()
    model.eval()
    assert outcome.best is not None and outcome.best_epoch is not None
    return RecoveryResult(outcome.best_epoch, outcome.best[0], outcome.history)
