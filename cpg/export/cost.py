"""Inference cost of a model: FLOPs (optionally counting only nonzero weights) and CPU latency.

FLOPs follow `torch.utils.flop_counter`'s convention (2 per multiply-accumulate of a
convolution or matrix product; BatchNorm, activations and bias additions are not counted).
With `nonzero_weights=True` a multiply by a zero weight is not counted: a conv costs 2 × (its
nonzero weights) × output positions, a linear layer 2 × (its nonzero weights) × rows. The
weight of a matrix product is its second operand, which is what `nn.Linear` dispatches.
"""

import statistics
import time
from collections.abc import Callable, Sequence
from math import prod
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode, conv_flop_count

aten = torch.ops.aten


def count_flops(model: nn.Module | Callable[[Tensor], Tensor], inputs: Tensor, nonzero_weights: bool = False) -> int:
    """FLOPs of one forward of `model` on `inputs` (the whole batch)."""
    mapping = _NONZERO if nonzero_weights else None
    with torch.no_grad(), FlopCounterMode(display=False, custom_mapping=mapping) as counter:
        model(inputs)
    return counter.get_total_flops()


def _raw(formula: Callable[..., int]) -> Callable[..., int]:
    """Mark a formula as wanting the operator's tensors rather than their shapes."""
    formula._get_raw = True  # type: ignore[attr-defined]
    return formula


@_raw
def _conv(x: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any, dilation: Any,
          transposed: bool, *args: Any, out_val: Tensor, **kwargs: Any) -> int:
    if transposed:
        return conv_flop_count(list(x.shape), list(weight.shape), list(out_val.shape), transposed=True)
    positions = out_val.shape[0] * prod(out_val.shape[2:])
    return 2 * positions * int(torch.count_nonzero(weight))


@_raw
def _mm(a: Tensor, b: Tensor, *args: Any, out_val: Tensor, **kwargs: Any) -> int:
    return 2 * a.shape[0] * int(torch.count_nonzero(b))


@_raw
def _addmm(bias: Tensor, a: Tensor, b: Tensor, *args: Any, out_val: Tensor, **kwargs: Any) -> int:
    return 2 * a.shape[0] * int(torch.count_nonzero(b))


_NONZERO = {aten.convolution: _conv, aten._convolution: _conv, aten.mm: _mm, aten.addmm: _addmm}


@torch.no_grad()
def median_latencies(models: Sequence[nn.Module], inputs: Tensor, repeats: int = 20, warmup: int = 3) -> list[float]:
    """Median wall time in seconds of one forward of each model on the same `inputs`.

    Runs are interleaved (A, B, A, B, …) so that a change in machine load hits every model
    alike. Models run as given (put them in eval mode and on the device to be measured).
    """
    for _ in range(warmup):
        for model in models:
            model(inputs)
    times: list[list[float]] = [[] for _ in models]
    for _ in range(repeats):
        for model, record in zip(models, times):
            start = time.perf_counter()
            model(inputs)
            record.append(time.perf_counter() - start)
    return [statistics.median(record) for record in times]
