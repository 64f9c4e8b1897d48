"""Settings of channel compression (`cpg compress`), from a recipe YAML
(`pipelines/compress-*.yaml`) and command-line flags (docs/architecture.md: layers)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cpg.config.loading import apply_layers
from cpg.config.source import SourceDataConfig
from cpg.errors import UserError

MODES = ("uniform", "global", "ratios")
"""How channels are chosen: the same share of every layer, one threshold across layers on
per-layer normalised scores, or an explicit share per layer (`layer_ratios`)."""


@dataclass
class CompressConfig(SourceDataConfig):
    metric: str = "l1"  # one of cpg.importance.METRICS
    mode: str = "global"  # one of MODES
    ratio: float | None = None  # share of the prunable channels to remove, in (0, 1)
    flops: float | None = None  # or: FLOPs to keep, as a share of the unpruned model's, in (0, 1)
    layer_ratios: dict[str, float] = field(default_factory=dict)  # mode "ratios": layer name -> share removed
    calibration_images: int = 256  # training images the data-driven metrics (taylor, doctor) read
    epochs: int = 10  # fine-tuning after pruning; 0: none
    lr: float = 0.01  # SGD with Nesterov momentum, cosine-annealed to 0 over the epochs
    momentum: float = 0.9
    weight_decay: float = 5e-4
    batch_size: int = 32
    eval_batch_size: int = 256
    latency_batch: int = 64
    latency_repeats: int = 50


def compress_config(*layers: tuple[str, Mapping[str, Any]]) -> CompressConfig:
    """Defaults, then each (source name, mapping) layer in order; validated."""
    config = apply_layers(CompressConfig(), layers)
    check_compress(config)
    return config


def check_compress(config: CompressConfig) -> None:
    """The target and the range of every setting; each failure names its key."""
    if config.mode not in MODES:
        raise UserError(f"mode: unknown mode {config.mode!r}; choose one of: {', '.join(MODES)}")
    targets = [key for key in ("ratio", "flops") if getattr(config, key) is not None]
    if config.mode == "ratios":
        if targets:
            raise UserError(f"{targets[0]}: mode 'ratios' takes its shares from layer_ratios; drop {targets[0]}")
        if not config.layer_ratios:
            raise UserError("layer_ratios: mode 'ratios' needs a share to remove for at least one layer")
    elif len(targets) != 1:
        raise UserError("give one target: ratio (share of the channels to remove) or flops (share of the FLOPs to keep)")
    elif config.layer_ratios:
        raise UserError(f"layer_ratios: only mode 'ratios' reads them, not mode {config.mode!r}")
    for key in targets:
        value = getattr(config, key)
        if not 0 < value < 1:
            raise UserError(f"{key}: must be strictly between 0 and 1, got {value:g}")
    for name, value in config.layer_ratios.items():
        if not 0 <= value < 1:
            raise UserError(f"layer_ratios: {name}: must be at least 0 and below 1, got {value:g}")
    checks = (
        ("calibration_images", config.calibration_images >= 1, "must be at least 1"),
        ("epochs", config.epochs >= 0, "must not be negative"),
        ("lr", config.lr > 0, "must be positive"),
        ("momentum", config.momentum >= 0, "must not be negative"),
        ("weight_decay", config.weight_decay >= 0, "must not be negative"),
        ("batch_size", config.batch_size >= 1, "must be at least 1"),
        ("eval_batch_size", config.eval_batch_size >= 1, "must be at least 1"),
        ("val_fraction", 0 < config.val_fraction <= 0.5, "must be in (0, 0.5]"),
        ("latency_batch", config.latency_batch >= 1, "must be at least 1"),
        ("latency_repeats", config.latency_repeats >= 1, "must be at least 1"),
    )
    for key, ok, message in checks:
        if not ok:
            raise UserError(f"{key}: {message}, got {getattr(config, key)}")
