"""The settings of the methods that join a strategy as plugins (cpg/continual/strategies/): online
EWC, SI, LwF and experience replay, each named as its paper names it. Defaults are the papers'
where they give one."""

from dataclasses import dataclass


@dataclass
class EWCConfig:
    """Online EWC (Schwarz et al. 2018): penalty (λ/2) Σ γF*(θ − θ*)², F* = γF* + F after each task."""

    strength: float = 100.0  # λ
    decay: float = 1.0  # γ: how much of the earlier tasks' Fisher information is kept at each task


@dataclass
class SIConfig:
    """Synaptic Intelligence (Zenke, Poole & Ganguli 2017): penalty c Σ Ω(θ − θ̃)²."""

    strength: float = 0.1  # c
    damping: float = 1e-3  # ξ, in Ω = Σ ω / (Δ² + ξ)


@dataclass
class LwFConfig:
    """Learning without Forgetting (Li & Hoiem 2016): λ_o × the distillation loss of the old heads."""

    weight: float = 1.0  # λ_o
    temperature: float = 2.0  # T


@dataclass
class ReplayConfig:
    """Experience replay with a reservoir buffer (Chaudhry et al. 2019)."""

    memory: int = 200  # images the buffer holds, over every task
    batch_size: int | None = None  # replayed images per step; None: the training batch size
