"""Re-engineering (SeaM, ICSE 2023): learn which of the source's weights a target problem needs.

Loss = cross-entropy + α × retained ratio (+ β × distillation from the source, an option beyond
SeaM: `cpg.seam.distillation`, β = `distill.weight`, 0 by default). Adam with
separate learning rates for the masks and the head; epochs 0, 5, 10 … train the head alone.
It runs on the loop every stage uses; after every epoch the module is evaluated on the
selection split and SeaM's score (cpg/seam/selection.py) decides the kept epoch.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cpg.config.seam import SeamConfig
from cpg.data import make_loader
from cpg.engine import EpochLoop, EpochRecord, LoopHook, LoopStore, LossFn, MemoryStore, Score, evaluate
from cpg.optim import FAST
from cpg.report import Reporter
from cpg.seam.distillation import EndlessBatches, SourceTeacher
from cpg.seam.masked import MaskedModule
from cpg.seam.selection import EpochResult, reached, seam_score
from cpg.seam.target import TargetProblem
from cpg.seeding import derive_seed
from cpg.source import Source

@dataclass
class Reengineered:
    module: MaskedModule  # holding the selected epoch's masks and head
    selected: EpochResult
    qualified: bool  # the selected epoch reached the source's accuracy (else: the fallback)
    source_accuracy: dict[str, float]  # per split, source predictions collapsed to the target labels
    history: list[dict[str, float]] = field(default_factory=list)  # per epoch; accuracy on the selection split


@torch.no_grad()
def collapsed_accuracy(model: nn.Module, batches: Iterable[tuple[Tensor, Tensor]], collapse: Tensor,
                       device: torch.device) -> float:
    """Accuracy of the source on a target problem: each prediction mapped by `collapse`."""
    model.eval()
    collapse = collapse.to(device)
    correct, total = 0, 0
    for inputs, labels in batches:
        predictions = collapse[model(inputs.to(device)).argmax(dim=1)]
        correct += int((predictions == labels.to(device)).sum())
        total += len(labels)
    return correct / max(total, 1)


def reengineering_loss(module: MaskedModule, config: SeamConfig, teacher: SourceTeacher | None) -> LossFn:
    """Cross-entropy + α × retained ratio, + β × the teacher's distillation term if there is one."""
    def loss_fn(outputs: Tensor, targets: Tensor) -> Tensor:
        loss = F.cross_entropy(outputs, targets) + config.alpha * module.retained_ratio()
        if teacher is not None:
            loss = loss + config.distill.weight * teacher.loss(outputs)
        return loss

    return loss_fn


class SeamEpoch(LoopHook):
    """Head-only epochs (0, k, 2k …) train the head alone: masks frozen, the head's optimizer;
    each epoch records its retained ratio, and the left-out images' order restarts by epoch."""

    def __init__(self, module: MaskedModule, config: SeamConfig, teacher: SourceTeacher | None) -> None:
        self.module = module
        self.every = config.head_only_every
        self.teacher = teacher
        self.retained = 1.0

    def head_only(self, epoch: int) -> bool:
        return self.every > 0 and epoch % self.every == 0

    def before_epoch(self, epoch: int) -> None:
        self.module.masks.requires_grad_(not self.head_only(epoch))
        if self.teacher is not None and self.teacher.extra is not None:
            self.teacher.extra.restart(epoch)

    def after_epoch(self, record: EpochRecord) -> dict[str, float]:
        return {"epoch": record.epoch, "head_only": float(self.head_only(record.epoch)), "retained": self.retained}

    def measure(self) -> float:
        with torch.no_grad():
            self.retained = float(self.module.retained_ratio())
        return self.retained


def reengineer(source: Source, problem: TargetProblem, config: SeamConfig, reporter: Reporter, device: torch.device,
               store: Callable[[nn.Module], LoopStore] = MemoryStore) -> Reengineered:
    """Learn the masks and head (`store(module)` keeps the loop's epochs; default: in memory)."""
    source.model.to(device).eval()
    splits = sorted({config.select_on, "test"})
    source_accuracy = {
        split: collapsed_accuracy(source.model, _eval_batches(problem, split, config), problem.collapse, device)
        for split in splits
    }
    bar = source_accuracy[config.select_on]
    torch.manual_seed(derive_seed(config.seed, "seam-head"))
    module = MaskedModule(source.model, len(source.classes), problem.num_classes, config.mask_init).to(device)
    head_alone = torch.optim.Adam(module.head.parameters(), lr=config.head_lr, **FAST)
    jointly = torch.optim.Adam([{"params": list(module.masks), "lr": config.mask_lr},
                                {"params": list(module.head.parameters()), "lr": config.head_lr}], **FAST)
    teacher = _teacher(source, problem, config)
    epochs = SeamEpoch(module, config, teacher)

    def batches(epoch: int) -> Iterable[tuple[Tensor, Tensor]]:
        return make_loader(problem.train, config.batch_size, shuffle=True, seed=derive_seed(config.seed, "seam", epoch))

    def score(record: EpochRecord) -> Score:
        return seam_score(record.selection or 0.0, epochs.measure(), bar)

    if teacher is not None:
        teacher.attach(module)
    try:
        with reporter.stage(1, f"SeaM · {problem.name}", "seam", config.epochs) as report:
            outcome = EpochLoop(
                module, [head_alone, jointly], config.epochs, batches, device=device, store=store(module),
                stepping=lambda epoch: [head_alone] if epochs.head_only(epoch) else [jointly],
                loss_fn=reengineering_loss(module, config, teacher),
                evaluate=lambda: evaluate(module, _eval_batches(problem, config.select_on, config), device).accuracy,
                score=score, patience=config.patience, hooks=[epochs], report=report).run()
    finally:
        module.masks.requires_grad_(True)
        if teacher is not None:
            teacher.detach()
    assert outcome.best is not None and outcome.best_epoch is not None
    kept = outcome.history[outcome.best_epoch - 1]
    selected = EpochResult(outcome.best_epoch - 1, kept["val_acc"], kept["retained"])
    return Reengineered(module.eval(), selected, reached(tuple(outcome.best)), source_accuracy, outcome.history)


def _teacher(source: Source, problem: TargetProblem, config: SeamConfig) -> SourceTeacher | None:
    settings = config.distill
    if settings.weight == 0:
        return None
    extra = None
    if settings.left_out and problem.left_out is not None:
        extra = EndlessBatches(problem.left_out, config.batch_size, derive_seed(config.seed, "seam-distill"))
    return SourceTeacher(source.model, problem.collapse, problem.num_classes, settings.temperature, extra)


def _eval_batches(problem: TargetProblem, split: str, config: SeamConfig) -> Iterable[tuple[Tensor, Tensor]]:
    return make_loader(problem.split(split), config.eval_batch_size, shuffle=False)
