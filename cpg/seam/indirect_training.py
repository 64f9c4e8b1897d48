"""Indirect reuse: fine-tuning on the target data, of the re-engineered module or of the whole
source model (standard fine-tuning, a new output layer for the target classes).

Both train every remaining weight with SGD (hidden layers at `lr`, the output layer at
`head_lr`), BatchNorm in training mode, on the loop every stage uses. The module keeps its mask: weights it removed get no
gradient, so they stay zero and the module stays the module.
"""

import copy
from collections.abc import Callable, Iterable

import torch
from torch import Tensor, nn

from cpg.config.seam import IndirectReuseSettings
from cpg.data import make_loader
from cpg.engine import EpochLoop, LoopStore, MemoryStore
from cpg.nn.convert import find_head
from cpg.seam.masked import MaskedModule
from cpg.seam.target import TargetProblem
from cpg.seeding import derive_seed


def finetune_module(module: MaskedModule, problem: TargetProblem, settings: IndirectReuseSettings, batch_size: int,
                    seed: int, device: torch.device, store: Callable[[nn.Module], LoopStore] = MemoryStore) -> nn.Module:
    body = module.masked_source()
    parameters = dict(body.named_parameters())
    for name, keep in module.binary_masks().items():
        gate = keep.to(parameters[name].dtype)
        parameters[name].register_hook(lambda gradient, gate=gate: gradient * gate)
    model = nn.Sequential(body, copy.deepcopy(module.head)).to(device)
    return _train(model, list(body.parameters()), list(model[1].parameters()), problem, settings, batch_size,
                  derive_seed(seed, "seam-finetune", "module"), device, store)


def standard_finetune(source: nn.Module, problem: TargetProblem, settings: IndirectReuseSettings, batch_size: int,
                      seed: int, device: torch.device, store: Callable[[nn.Module], LoopStore] = MemoryStore) -> nn.Module:
    model = copy.deepcopy(source)
    name = find_head(model)
    old = model.get_submodule(name)
    torch.manual_seed(derive_seed(seed, "seam-finetune", "output-layer"))
    new = nn.Linear(old.in_features, problem.num_classes, device=old.weight.device)
    model.set_submodule(name, new)
    fresh = {id(parameter) for parameter in new.parameters()}
    hidden = [parameter for parameter in model.parameters() if id(parameter) not in fresh]
    return _train(model.to(device), hidden, list(new.parameters()), problem, settings, batch_size,
                  derive_seed(seed, "seam-finetune", "standard"), device, store)


def _train(model: nn.Module, hidden: list[nn.Parameter], head: list[nn.Parameter], problem: TargetProblem,
           settings: IndirectReuseSettings, batch_size: int, seed: int, device: torch.device,
           store: Callable[[nn.Module], LoopStore]) -> nn.Module:
    for parameter in model.parameters():
        parameter.requires_grad_(True)
    optimizer = torch.optim.SGD([{"params": hidden, "lr": settings.lr}, {"params": head, "lr": settings.head_lr}],
                                momentum=settings.momentum, weight_decay=settings.weight_decay)

    def batches(epoch: int) -> Iterable[tuple[Tensor, Tensor]]:
        return make_loader(problem.train, batch_size, shuffle=True, seed=derive_seed(seed, epoch))

    EpochLoop(model, [optimizer], settings.epochs, batches, device=device, store=store(model)).run()
    return model.eval()
