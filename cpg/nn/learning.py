"""What one layer knows about the task being learned: which weights it owns and picks."""

from enum import Enum

import torch
from torch import Tensor, nn

from cpg.nn.bits import pack_bits
from cpg.nn.masked_weight import BufferClaim, MaskedWeight, MaskedWeightArgs
from cpg.nn.masking import TaskLearning

PICK_INIT = 0.01
PICK_THRESHOLD = 0.005
_PINNED = 1.0


class Reuse(str, Enum):
    """How a task uses the weights of earlier tasks."""

    PICK = "pick"  # a learned binary picking mask (CPG, Piggyback)
    ALL = "all"  # every earlier weight (PackNet, PAE)


class LearningMasks(TaskLearning):
    """The learning task's view of one layer of a network whose tasks own weights.

    `logits` is the real-valued picking mask, extended to every weight so that a single
    comparison gives the weights the task uses: owned weights are pinned above the threshold,
    free weights and those of later tasks below, earlier tasks' weights start at `PICK_INIT`.
    Only earlier tasks' entries ever receive a gradient, so the pinned values never move.
    """

    def __init__(
        self,
        task: int,
        weight: Tensor,
        ownership: Tensor,
        reuse: Reuse,
        logits: Tensor | None = None,
        trains_weight: bool | None = None,
    ) -> None:
        self.task = task
        self.reuse = reuse
        self.dtype = weight.dtype
        self.weight_decay = 0.0
        self.threshold = PICK_THRESHOLD
        with torch.no_grad():
            self.earlier = (ownership >= 1) & (ownership < task)
            self.earlier_weight = torch.where(self.earlier, weight, 0.0) if reuse is Reuse.PICK else None
            self.refresh(ownership, logits)
            # fixed for the task (None: whether it owns weights here now): a layer whose owned
            # weights are all pruned still passes (zero) gradients, so the set of trained
            # parameters never changes mid-stage
            self.trains_weight = bool((ownership == task).any()) if trains_weight is None else trains_weight
        self.direct_grad = True
        self.generation = 0  # counts training forwards: evaluation caches are valid within one
        self._buffer: Tensor | None = None
        self._claim: BufferClaim | None = None
        self._logits_grad: Tensor | None = None
        self._keep: Tensor | None = None

    @torch.no_grad()
    def refresh(self, ownership: Tensor, logits: Tensor | None = None) -> None:
        """Recompute the owned set (after pruning released weights) and re-pin the logits."""
        owned = ownership == self.task
        self.owned = owned.to(self.dtype)
        if self.reuse is Reuse.PICK:
            values = torch.where(owned, _PINNED, torch.where(self.earlier, PICK_INIT, -_PINNED))
            if logits is None:
                self.logits = nn.Parameter(values)
            else:
                self.logits = logits
                logits.copy_(torch.where(self.earlier, logits, values))
        else:
            keep = owned | self.earlier
            self.logits = torch.where(keep, _PINNED, -_PINNED)

    @torch.no_grad()
    def reset_pick(self) -> None:
        """Start the picking mask over (RETRAIN): every earlier weight back at `PICK_INIT`."""
        if self.reuse is Reuse.PICK:
            self.logits.masked_fill_(self.earlier, PICK_INIT)

    @property
    def picking(self) -> bool:
        return self.reuse is Reuse.PICK and bool(self.earlier.any())

    @property
    def trained_mask(self) -> nn.Parameter | None:  # type: ignore[override]
        return self.logits if self.reuse is Reuse.PICK else None

    def reread(self, ownership: Tensor) -> None:
        self.refresh(ownership, self.trained_mask)

    def stamp(self) -> tuple:
        return (id(self), self.generation, self.logits._version)

    def weight(self, weight: Tensor) -> Tensor:
        """The effective weight with autograd (training)."""
        self.generation += 1
        weight_in = weight if self.trains_weight else weight.detach()
        out, claim = None, None
        if self._claim is None or not self._claim.held:
            if self._buffer is None or self._buffer.shape != weight.shape:
                self._buffer = torch.empty_like(weight)
            # an alias per forward: autograd attaches this forward's node to it, not to the buffer
            out, claim = self._buffer.detach(), BufferClaim()
            self._claim = claim
        logits_grad = None
        if self.direct_grad and isinstance(self.logits, nn.Parameter) and self.logits.requires_grad:
            if self._logits_grad is None:
                self._logits_grad = torch.empty_like(self.logits)
            logits_grad = self._logits_grad
        if self._keep is None or self._keep.shape != weight.shape:
            self._keep = torch.empty_like(weight)
        args = MaskedWeightArgs(self.threshold, self.owned, self.earlier_weight, self.weight_decay, out, logits_grad,
                                self._keep, claim)
        return MaskedWeight.apply(weight_in, self.logits, args)

    @torch.no_grad()
    def frozen_weight(self, weight: Tensor) -> Tensor:
        """The effective weight without autograd (evaluation while learning)."""
        return weight * torch.gt(self.logits, self.threshold).to(weight.dtype)

    @torch.no_grad()
    def picked(self) -> Tensor:
        """Boolean mask of the earlier weights the task picks."""
        return self.earlier & (self.logits > self.threshold)

    def packed_pick(self) -> Tensor:
        return pack_bits(self.picked())

    def committed(self) -> Tensor | None:
        """The picking mask as bits, when the task picks from earlier weights here."""
        return self.packed_pick() if self.reuse is Reuse.PICK and self.earlier.any() else None

