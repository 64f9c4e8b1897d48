"""cpg's online EWC, SI, LwF and replay as Avalanche's own plugins (avalanche-lib 0.6), given
the settings of the cpg run they mirror, and where the two still differ.

- EWC: `EWCPlugin(mode="online", decay_factor=γ)`. Avalanche's penalty is λ_A Σ I (θ − θ*)²
  with I ← γI + I_k, I_k the mean over the task's minibatches of the squared minibatch-mean
  gradient of the loss on the true labels (about F/B for minibatches of B images, since the
  per-image gradients average out); cpg's is (λ/2) Σ γF* (θ − θ*)² with the exact Fisher
  information per image. So λ_A = λγB/2. Avalanche also anchors the earlier heads (which the
  penalty then keeps where they were, against the optimizer's weight decay).
- SI: `SynapticIntelligencePlugin(si_lambda=2c, eps=ξ)`: the penalty (λ_A/2) Σ Ω (θ − θ̃)² is
  cpg's c Σ Ω (θ − θ̃)², but Avalanche clamps every Ω to at most 0.001, leaves BatchNorm's
  parameters out, and takes ω from the gradient of the loss with the penalty in it.
- LwF: `LwFPlugin(alpha=λ_o, temperature=T)`: the KL divergence from the copy's softened
  outputs (the gradient of the paper's cross-entropy); Avalanche's copy stays in training mode
  (BatchNorm on the batch's statistics), and the old heads' outputs come from a forward pass of
  their own.
- Replay: `ReplayPlugin` with a `ReservoirSamplingBuffer` of `replay.memory` images and
  minibatches of `replay.batch_size` (default the training batch size) replayed images,
  concatenated to the task's own; the model passes each task's images through their own head.
"""

from collections.abc import Callable

from avalanche.core import SupervisedPlugin
from avalanche.training.plugins import EWCPlugin, LwFPlugin, ReplayPlugin, SynapticIntelligencePlugin
from avalanche.training.storage_policy import ReservoirSamplingBuffer

from cpg.config import RunConfig


def ewc(config: RunConfig) -> SupervisedPlugin:
    settings = config.ewc
    return EWCPlugin(settings.strength * settings.decay * config.batch_size / 2, mode="online",
                     decay_factor=settings.decay)


def si(config: RunConfig) -> SupervisedPlugin:
    return SynapticIntelligencePlugin(si_lambda=2 * config.si.strength, eps=config.si.damping)


def lwf(config: RunConfig) -> SupervisedPlugin:
    return LwFPlugin(alpha=config.lwf.weight, temperature=config.lwf.temperature)


def replay(config: RunConfig) -> SupervisedPlugin:
    memory = config.replay.memory
    return ReplayPlugin(mem_size=memory, batch_size_mem=config.replay.batch_size or config.batch_size,
                        storage_policy=ReservoirSamplingBuffer(max_size=memory))


METHODS: dict[str, Callable[[RunConfig], SupervisedPlugin]] = {"ewc": ewc, "si": si, "lwf": lwf, "replay": replay}
"""cpg's strategy → the Avalanche plugin that joins naive fine-tuning to mirror it."""


def method_plugins(config: RunConfig) -> list[SupervisedPlugin]:
    """The plugin mirroring `config.strategy`'s method (none for finetune)."""
    build = METHODS.get(config.strategy)
    return [build(config)] if build is not None else []
