"""Re-engineering (SeaM, ICSE 2023): learn which of the source's weights a target problem needs.

Loss = cross-entropy + α × retained ratio (+ β × distillation from the source, an option beyond
SeaM: `cpg.algorithms.seam.distillation`, β = `distill.weight`, 0 by default). Adam with
separate learning rates for the masks and the head; epochs 0, 5, 10 … train the head alone.
After every epoch the module is evaluated on the selection split and `BestEpoch` keeps the
epoch to return.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cpg.algorithms.seam.config import SeamConfig
from cpg.algorithms.seam.distillation import EndlessBatches, SourceTeacher
from cpg.algorithms.seam.masked import MaskedModule
from cpg.algorithms.seam.selection import BestEpoch, EpochResult
from cpg.algorithms.seam.source import Source
from cpg.algorithms.seam.target import TargetProblem
from cpg.data import make_loader
from cpg.engine import LossFn, evaluate, train_epoch
from cpg.optim import FAST
from cpg.report import Reporter
from cpg.seeding import derive_seed

State = dict[str, Tensor]


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


def reengineer(source: Source, problem: TargetProblem, config: SeamConfig, reporter: Reporter,
               device: torch.device) -> Reengineered:
    source.model.to(device).eval()
    splits = sorted({config.select_on, "test"})
    source_accuracy = {
        split: collapsed_accuracy(source.model, _eval_batches(problem, split, config), problem.collapse, device)
        for split in splits
    }
    torch.manual_seed(derive_seed(config.seed, "seam-head"))
    module = MaskedModule(source.model, len(source.classes), problem.num_classes, config.mask_init).to(device)
    head_alone = torch.optim.Adam(module.head.parameters(), lr=config.head_lr, **FAST)
    jointly = torch.optim.Adam([{"params": list(module.masks), "lr": config.mask_lr},
                                {"params": list(module.head.parameters()), "lr": config.head_lr}], **FAST)

    teacher = _teacher(source, problem, config)
    if teacher is not None:
        teacher.attach(module)
    loss_fn = reengineering_loss(module, config, teacher)

    best: BestEpoch[State] = BestEpoch(source_accuracy[config.select_on])
    history: list[dict[str, float]] = []
    stale = 0
    with reporter.stage(1, f"SeaM · {problem.name}", "seam", config.epochs) as report:
        for epoch in range(config.epochs):
            head_only = config.head_only_every > 0 and epoch % config.head_only_every == 0
            module.masks.requires_grad_(not head_only)
            seed = derive_seed(config.seed, "seam", epoch)
            batches = make_loader(problem.train, config.batch_size, shuffle=True, seed=seed)
            stats = train_epoch(module, batches, [head_alone if head_only else jointly], device, loss_fn=loss_fn)
            accuracy = evaluate(module, _eval_batches(problem, config.select_on, config), device).accuracy
            with torch.no_grad():
                retained = float(module.retained_ratio())
            improved = best.offer(EpochResult(epoch, accuracy, retained), lambda: _snapshot(module))
            history.append({"epoch": epoch, "head_only": float(head_only), "loss": stats.loss,
                            "train_accuracy": stats.accuracy, "accuracy": accuracy, "retained": retained})
            report.epoch(epoch, {"loss": stats.loss, "train_acc": stats.accuracy, "val_acc": accuracy, "retained": retained})
            stale = 0 if improved else stale + int(best.qualified)
            if config.patience and stale >= config.patience:
                break
    module.masks.requires_grad_(True)
    if teacher is not None:
        teacher.detach()
    selected, state = best.selected
    module.load_state_dict(state, strict=False)
    return Reengineered(module.eval(), selected, best.qualified, source_accuracy, history)


def _teacher(source: Source, problem: TargetProblem, config: SeamConfig) -> SourceTeacher | None:
    settings = config.distill
    if settings.weight == 0:
        return None
    extra = None
    if settings.left_out and problem.left_out is not None:
        extra = EndlessBatches(problem.left_out, config.batch_size, derive_seed(config.seed, "seam-distill"))
    return SourceTeacher(source.model, problem.collapse, problem.num_classes, settings.temperature, extra)


def _snapshot(module: MaskedModule) -> State:
    return {key: value.detach().clone() for key, value in module.state_dict().items() if not key.startswith("source.")}


def _eval_batches(problem: TargetProblem, split: str, config: SeamConfig) -> Iterable[tuple[Tensor, Tensor]]:
    return make_loader(problem.split(split), config.eval_batch_size, shuffle=False)
