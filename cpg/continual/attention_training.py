"""HAT's training procedure (Serra et al. 2018), a plugin of the `hat` strategy: within every
epoch the gates' scale s goes from 1/s_max at the first batch to s_max at the last,
s = 1/s_max + (s_max − 1/s_max)·b/(B − 1); the loss gains c times the attention regulariser;
the embeddings' gradient is compensated for s before each step and the embeddings are clamped
after it (cpg/nn/attention.py). Evaluation uses the binary gates, whatever s is."""

from collections.abc import Sequence

from cpg.config.masks import HatConfig
from cpg.continual.plugin import Plugin
from cpg.continual.policies.attention import attention_network
from cpg.continual.session import TaskSession
from cpg.engine import LoopHook, TrainStep
from cpg.nn.attention import UnitAttention


class AttentionTraining(Plugin):
    def loop_hooks(self, session: TaskSession, stage: str) -> Sequence[LoopHook]:
        attention = attention_network(session).attention
        return (AnnealedAttention(attention, session.task, session.config.hat, session.data(session.task).steps_per_epoch()),)


class AnnealedAttention(LoopHook):
    """The steps of HAT's training around each batch of the task `task` (`batches` per epoch)."""

    def __init__(self, attention: UnitAttention, task: int, settings: HatConfig, batches: int) -> None:
        self.attention, self.task, self.settings, self.batches = attention, task, settings, batches

    def scale(self, batch: int) -> float:
        """s at batch `batch` (0-based) of an epoch."""
        s_max = self.settings.s_max
        progress = min(1.0, batch / (self.batches - 1)) if self.batches > 1 else 1.0
        return 1 / s_max + (s_max - 1 / s_max) * progress

    def before_epoch(self, epoch: int) -> None:
        self.attention.scale = self.scale(0)

    def before_backward(self, step: TrainStep) -> None:
        step.loss = step.loss + self.settings.c * self.attention.penalty(self.task)

    def after_backward(self, step: int) -> None:
        self.attention.compensate_(self.task, self.settings.s_max)

    def after_step(self, step: int) -> None:
        self.attention.clamp_(self.task)
        self.attention.scale = self.scale(step + 1)
