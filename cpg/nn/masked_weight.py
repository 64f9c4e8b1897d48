"""The effective weight of the task being learned, with picking, gating and decay in one op.

Forward: W ⊙ keep, where keep = [picking logits > threshold]. The logits of the learning task
cover every weight: its own weights are pinned above the threshold, free weights and those of
later tasks below it, and only earlier tasks' entries are trained (straight-through).

Backward, fused so each layer costs two elementwise passes:
- dL/dW = (g + λ·W) ⊙ [owned]: weights the task does not own get no gradient (gating) and
  weight decay λ reaches only the task's own weights;
- dL/dlogits = g ⊙ W ⊙ [earlier]: the straight-through estimate of the binarized pick.

Gradients of the logits are as large as the weights; allocating them afresh every step costs
as much as the step's arithmetic on a CPU. Unless told otherwise (`direct_grad=False`, needed
when DistributedDataParallel must see the gradient arrive through autograd), the backward
writes them into a buffer it keeps and sets `logits.grad` to it, accumulating as autograd
would when `logits.grad` is already set.
"""

import weakref
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor


@dataclass
class MaskedWeightArgs:
    """The constant operands of `MaskedWeight` (not inputs autograd tracks)."""

    threshold: float
    owned: Tensor  # 1.0 where the learning task owns the weight, in the weight's dtype
    earlier_weight: Tensor | None  # W on earlier tasks' weights, 0 elsewhere; None: no picking
    weight_decay: float
    out: Tensor | None  # a buffer to write the result into, or None to allocate
    logits_grad: Tensor | None  # a buffer for the logits' gradient (direct mode), or None
    keep: Tensor | None = None  # a scratch buffer for the 0/1 mask, in the weight's dtype
    claim: "BufferClaim | None" = None  # this forward's hold on `out`, when `out` is given


class BufferClaim:
    """One training forward's hold on a reused output buffer. The graph it built reads the
    buffer until its backward has run, so the hold lasts until then, or until the graph is
    freed without a backward (its node dies). A fresh object per forward, so that the backward
    of an older graph cannot release a newer graph's hold."""

    def __init__(self) -> None:
        self.node: weakref.ref | None = None
        self.released = False

    @property
    def held(self) -> bool:
        return not self.released and self.node is not None and self.node() is not None


class MaskedWeight(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, weight: Tensor, logits: Tensor, args: MaskedWeightArgs) -> Tensor:  # type: ignore[override]
        # a 0/1 float mask and a multiply: boolean where/masked_fill run ~10x slower on CPU
        keep = torch.empty_like(weight) if args.keep is None else args.keep
        torch.gt(logits, args.threshold, out=keep)
        out = torch.empty_like(weight) if args.out is None else args.out
        torch.mul(weight, keep, out=out)
        ctx.save_for_backward(weight)
        # everything but the output buffer: the output refers to this node, which must not refer back
        ctx.args = MaskedWeightArgs(args.threshold, args.owned, args.earlier_weight, args.weight_decay, None,
                                    args.logits_grad)
        ctx.logits = logits if args.logits_grad is not None else None
        ctx.claim = args.claim
        if args.claim is not None:
            args.claim.node = weakref.ref(ctx)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, ...]:
        (weight,) = ctx.saved_tensors
        args: MaskedWeightArgs = ctx.args
        if ctx.claim is not None:
            ctx.claim.released = True  # the layers reading the output have run their backward
        grad_logits = None
        if ctx.needs_input_grad[1]:
            if ctx.logits is not None and not torch.is_grad_enabled():
                _write_direct(ctx.logits, args.logits_grad, grad, args.earlier_weight)
            else:
                grad_logits = torch.mul(grad, args.earlier_weight, out=torch.empty_like(grad))
        grad_weight = None
        if ctx.needs_input_grad[0]:
            if torch.is_grad_enabled() or not grad.is_contiguous():
                grad_weight = (grad + args.weight_decay * weight) * args.owned
            else:
                # conv and linear backward hand us a fresh gradient that only we read: reuse it
                if args.weight_decay:
                    grad.add_(weight, alpha=args.weight_decay)
                grad_weight = grad.mul_(args.owned)
        return grad_weight, grad_logits, None


def _write_direct(logits: Tensor, buffer: Tensor, grad: Tensor, earlier_weight: Tensor) -> None:
    if logits.grad is None:
        torch.mul(grad, earlier_weight, out=buffer)
        logits.grad = buffer
    else:
        logits.grad.addcmul_(grad, earlier_weight)
