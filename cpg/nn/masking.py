"""How a task's mask over a layer's shared weight is formed: while the task learns (a
`TaskLearning`, made for each layer when the task begins learning) and once it is committed (the
layer's `CommittedMask` rule, set when the network is built).

CPG, PackNet, Piggyback and PAE learn with `LearningMasks` (cpg/nn/learning.py) and keep a
committed task's mask as its ownership plus a packed picking mask (`OwnedOrPicked`); SupSup keeps
a packed supermask (cpg/nn/supermask.py); HAT keeps hard attention over units
(cpg/nn/attention_network.py).
"""

from torch import Tensor, nn

from cpg.nn.bits import unpack_bits


class TaskLearning:
    """The learning task's view of one layer. `weight(W)` is its effective weight with autograd
    (training), `frozen_weight(W)` without (evaluation while learning); `committed()` is what the
    layer keeps of the task once it is committed (a packed mask, or None)."""

    task: int
    weight_decay: float = 0.0  # decay of the weights the task trains, applied inside the backward pass
    direct_grad: bool = True  # whether mask gradients may skip autograd's accumulation (one process)
    trains_weight: bool = False  # whether the layer's shared weight receives a gradient
    generation: int = 0  # counts training forwards: evaluation caches are valid within one
    trained_mask: nn.Parameter | None = None  # the real-valued mask the task trains (the layer's `pick`)

    @property
    def picking(self) -> bool:
        """Whether `trained_mask` is trained (it then gets an optimizer)."""
        return False

    def weight(self, weight: Tensor) -> Tensor:
        raise NotImplementedError

    def frozen_weight(self, weight: Tensor) -> Tensor:
        raise NotImplementedError

    def picked(self) -> Tensor:
        """Boolean mask of the earlier tasks' weights the task uses."""
        raise NotImplementedError

    def committed(self) -> Tensor | None:
        """The packed mask the layer keeps for the task once it is committed (None: nothing)."""
        return None

    def reread(self, ownership: Tensor) -> None:
        """Ownership changed (pruning, a restored snapshot): recompute what depends on it."""

    def reset_pick(self) -> None:
        """Start the trained mask over (RETRAIN)."""

    def stamp(self) -> tuple:
        """What an evaluation of the learning task is valid for: it changes with every training step."""
        return (id(self), self.generation)


class CommittedMask:
    """The rule giving a committed task's mask over a layer's weight. `ownership` is the layer's
    ownership at the task's shape and `packed` the mask the layer kept for the task (or None)."""

    uses_ownership = True
    """Whether the committed tasks need the ownership mask to compute (what a user stores)."""

    def keep(self, task: int, ownership: Tensor, packed: Tensor | None) -> Tensor:
        raise NotImplementedError

    def stamp(self, task: int) -> tuple:
        """Identity and version of what `keep` reads besides the layer's ownership and packed mask."""
        return ()


def earlier_weights(ownership: Tensor, task: int) -> Tensor:
    """Boolean mask of the weights tasks before `task` own."""
    return (ownership >= 1) & (ownership < task)


class OwnedOrPicked(CommittedMask):
    """The weights the task owns, and the earlier tasks' weights its picking mask selects (all of
    them when it kept none: PackNet, PAE)."""

    def keep(self, task: int, ownership: Tensor, packed: Tensor | None) -> Tensor:
        earlier = earlier_weights(ownership, task)
        if packed is not None:
            earlier &= unpack_bits(packed, ownership.shape)
        return (ownership == task) | earlier


OWNED_OR_PICKED = OwnedOrPicked()
