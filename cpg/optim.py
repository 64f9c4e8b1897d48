"""Optimizers and learning-rate steps used by every stage."""

import math
from collections.abc import Callable, Iterable, Mapping

import torch
from torch import nn


def _fast_kwargs() -> dict[str, bool]:
    """Fused kernels update all parameters in one pass; they exist on CPU since torch 2.4."""
    try:
        probe = nn.Parameter(torch.zeros(1))
        torch.optim.SGD([probe], lr=0.1, fused=True)
    except (RuntimeError, TypeError):
        return {}
    return {"fused": True}


FAST = _fast_kwargs()


def sgd(params: Iterable[nn.Parameter], lr: float, momentum: float, weight_decay: float = 0.0) -> torch.optim.SGD:
    params = list(params)
    nesterov = momentum > 0
    kwargs = FAST if params and all(p.device.type in ("cpu", "cuda") for p in params) else {}
    return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay, **kwargs)


def adam(params: Iterable[nn.Parameter], lr: float) -> torch.optim.Adam:
    params = list(params)
    kwargs = FAST if params and all(p.device.type in ("cpu", "cuda") for p in params) else {}
    return torch.optim.Adam(params, lr=lr, **kwargs)


def stepped_lr(base: float, steps: Mapping[int, float], epoch: int) -> float:
    """`base` times the factor of the last step at or before `epoch` (0-based): with steps
    {50: 0.1, 80: 0.01}, epochs 0–49 use base, 50–79 base/10, 80 on base/100."""
    factor = 1.0
    for start in sorted(steps):
        if epoch >= start:
            factor = steps[start]
    return base * factor


def stepped(steps: Mapping[int, float]) -> Callable[[float, int], float]:
    """A schedule (base rate, epoch) → rate of `stepped_lr` with these steps."""
    return lambda base, epoch: stepped_lr(base, steps, epoch)


def cosine(epochs: int) -> Callable[[float, int], float]:
    """A schedule (base rate, epoch) → rate of `cosine_lr` over `epochs`."""
    return lambda base, epoch: cosine_lr(base, epoch, epochs)


def cosine_lr(base: float, epoch: int, epochs: int) -> float:
    """Learning rate of `epoch` (0-based) annealed from `base` towards 0 over `epochs`."""
    return base * 0.5 * (1 + math.cos(math.pi * epoch / epochs))
