"""Settings of SeaM re-engineering and of its indirect-reuse comparison, from a pipeline YAML
(`pipelines/seam-*.yaml`) and command-line flags. Defaults are the paper's (ICSE 2023):
300 epochs, Adam, head lr 0.1, batch 64; α and the mask lr depend on model and dataset."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cpg.config.loading import apply_layers
from cpg.config.source import SourceDataConfig
from cpg.errors import UserError


@dataclass
class IndirectReuseSettings:
    """Indirect reuse: SGD on the target data, for the module and for the whole source model."""

    epochs: int = 20
    lr: float = 0.005  # hidden layers
    head_lr: float = 0.05  # the output layer (module head, or the source's new output layer)
    momentum: float = 0.0
    weight_decay: float = 1e-4


@dataclass
class AttackSettings:
    """L∞ PGD on the source model's features, in raw pixel units (images in [0, 1])."""

    eps: float = 0.1
    steps: int = 40
    step_size: float = 0.01


@dataclass
class DistillSettings:
    """Beyond SeaM: a term `weight` × T² × KL(source ‖ module) at temperature T added to the loss,
    the source's prediction collapsed onto the target classes. Weight 0 (the default) is SeaM.
    `left_out`: the term also covers the training images the target's sample left out
    (balancing a one-vs-rest problem, or `target_train_per_class`): the source labels them; the
    cross-entropy still sees only the sample."""

    weight: float = 0.0
    temperature: float = 2.0
    left_out: bool = False


@dataclass
class SeamConfig(SourceDataConfig):
    alpha: float = 1.0  # weight of the retained-weight ratio in the loss
    mask_lr: float = 0.01
    head_lr: float = 0.1
    epochs: int = 300
    batch_size: int = 64
    eval_batch_size: int = 256
    head_only_every: int = 5  # epochs 0, 5, 10 … (0-based) train the head alone
    mask_init: float = 1.0  # every real-valued mask starts here: above the threshold 0, all kept
    patience: int = 0  # early stopping: epochs without a better selected epoch; 0 = off
    select_on: str = "val"  # split of the best-epoch rule: "val", or "test" as the paper did
    target_train_per_class: int | None = None  # at most this many training images per target class (None: all)
    latency_batch: int = 64
    latency_repeats: int = 20
    finetune: IndirectReuseSettings = field(default_factory=IndirectReuseSettings)
    attack: AttackSettings = field(default_factory=AttackSettings)
    distill: DistillSettings = field(default_factory=DistillSettings)


def seam_config(*layers: tuple[str, Mapping[str, Any]]) -> SeamConfig:
    """Defaults, then each (source name, mapping) layer in order; validated."""
    config = apply_layers(SeamConfig(), layers)
    check_seam(config)
    return config


def check_seam(config: SeamConfig) -> None:
    """Range checks; each failure names its key."""
    checks = (
        ("alpha", config.alpha >= 0, f"must not be negative, got {config.alpha}"),
        ("mask_lr", config.mask_lr > 0, f"must be positive, got {config.mask_lr}"),
        ("head_lr", config.head_lr > 0, f"must be positive, got {config.head_lr}"),
        ("epochs", config.epochs >= 1, f"must be at least 1, got {config.epochs}"),
        ("batch_size", config.batch_size >= 1, f"must be at least 1, got {config.batch_size}"),
        ("eval_batch_size", config.eval_batch_size >= 1, f"must be at least 1, got {config.eval_batch_size}"),
        ("head_only_every", config.head_only_every >= 0, "must not be negative (0: never head-only)"),
        ("mask_init", config.mask_init > 0, f"must be above the threshold 0 so that all weights start kept, got {config.mask_init}"),
        ("patience", config.patience >= 0, "must not be negative (0: no early stopping)"),
        ("select_on", config.select_on in ("val", "test"), f"must be 'val' or 'test', got {config.select_on!r}"),
        ("target_train_per_class", config.target_train_per_class is None or config.target_train_per_class >= 1,
         f"must be at least 1 (or null: all training images), got {config.target_train_per_class}"),
        ("val_fraction", 0 < config.val_fraction <= 0.5, f"must be in (0, 0.5], got {config.val_fraction}"),
        ("latency_batch", config.latency_batch >= 1, "must be at least 1"),
        ("latency_repeats", config.latency_repeats >= 1, "must be at least 1"),
        ("finetune.epochs", config.finetune.epochs >= 1, "must be at least 1"),
        ("finetune.lr", config.finetune.lr >= 0, "must not be negative"),
        ("finetune.head_lr", config.finetune.head_lr >= 0, "must not be negative"),
        ("finetune.momentum", config.finetune.momentum >= 0, "must not be negative"),
        ("finetune.weight_decay", config.finetune.weight_decay >= 0, "must not be negative"),
        ("attack.eps", config.attack.eps >= 0, f"must not be negative, got {config.attack.eps}"),
        ("attack.steps", config.attack.steps >= 0, "must not be negative"),
        ("attack.step_size", config.attack.step_size >= 0, "must not be negative"),
        ("distill.weight", config.distill.weight >= 0, f"must not be negative (0: off), got {config.distill.weight}"),
        ("distill.temperature", config.distill.temperature > 0, f"must be positive, got {config.distill.temperature}"),
    )
    for key, ok, message in checks:
        if not ok:
            raise UserError(f"{key}: {message}")
