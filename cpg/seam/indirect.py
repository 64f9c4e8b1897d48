"""Indirect reuse (SeaM's defect-inheritance study): fine-tune the re-engineered module and,
for comparison, the whole source model on the target data; attack both with perturbations
crafted on the source model's features; report clean accuracy and defect inheritance rate."""

import dataclasses
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from cpg.config.seam import SeamConfig
from cpg.data.in_memory import unit_scale
from cpg.engine import LoopStore, MemoryStore
from cpg.seam.attack import FeatureAttack, defect_inheritance
from cpg.seam.indirect_training import finetune_module, standard_finetune
from cpg.seam.reengineering import Reengineered
from cpg.seam.target import TargetProblem
from cpg.seeding import derive_seed
from cpg.source import Source


def indirect_reuse(source: Source, problem: TargetProblem, result: Reengineered, config: SeamConfig,
                   device: torch.device, store: Callable[[str, nn.Module], LoopStore] = lambda name, model: MemoryStore(model),
                   ) -> dict[str, Any]:
    """`store(name, model)` keeps each fine-tuning's epochs (default: in memory)."""
    settings, batch = config.finetune, config.batch_size
    module = finetune_module(result.module, problem, settings, batch, config.seed, device,
                             lambda model: store("finetune-module", model))
    standard = standard_finetune(source.model, problem, settings, batch, config.seed, device,
                                 lambda model: store("finetune-standard", model))
    test = problem.test
    images, labels = test.__getitems__(range(len(test)))
    scale = unit_scale(test.images.dtype)
    pixel_range = (float(test.images.min()) * scale, float(test.images.max()) * scale)
    attack = FeatureAttack(source.model, test.mean.to(device), test.std.to(device), pixel_range, config.attack)
    generator = torch.Generator().manual_seed(derive_seed(config.seed, "seam-attack"))
    adversarial = torch.cat([attack.perturb(part.to(device), generator).cpu()
                             for part in images.split(config.eval_batch_size)])
    collapse = problem.collapse.to(device)
    predictors: dict[str, Callable[[Tensor], Tensor]] = {
        "module": _argmax(module, device),
        "standard": _argmax(standard, device),
        "source": lambda x: collapse[source.model(x.to(device)).argmax(dim=1)],
    }
    outcome = {}
    for name, predict in predictors.items():
        accuracy, rate = defect_inheritance(predict, images, adversarial, labels, config.eval_batch_size)
        outcome[name] = {"clean_accuracy": accuracy, "defect_inheritance_rate": rate}
    return {"finetune": dataclasses.asdict(settings), "attack": dataclasses.asdict(config.attack), **outcome}


def _argmax(model: nn.Module, device: torch.device) -> Callable[[Tensor], Tensor]:
    return lambda x: model(x.to(device)).argmax(dim=1)
