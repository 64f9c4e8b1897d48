"""`--epochs-scale`: shorten (or lengthen) every stage of a protocol proportionally."""

import dataclasses

from cpg.config.schema import RunConfig


def _count(epochs: int, scale: float) -> int:
    return max(1, int(round(epochs * scale))) if epochs > 0 else 0


def _steps(steps: dict[int, float], scale: float) -> dict[int, float]:
    return {_count(epoch, scale) if epoch > 0 else 0: factor for epoch, factor in steps.items()}


def scale_epochs(config: RunConfig) -> RunConfig:
    """A copy of `config` with every epoch count and lr step multiplied by `epochs_scale`
    (each stage keeps at least one epoch)."""
    scale = config.epochs_scale
    if scale == 1.0:
        return config
    finetune = dataclasses.replace(
        config.finetune,
        epochs=_count(config.finetune.epochs, scale),
        lr_steps=_steps(config.finetune.lr_steps, scale),
        mask_lr_steps=_steps(config.finetune.mask_lr_steps, scale),
    )
    prune_epochs = _count(config.prune.epochs, scale)
    one_shot = config.prune.one_shot_epochs
    prune = dataclasses.replace(
        config.prune, epochs=prune_epochs, ramp_epochs=min(prune_epochs, _count(config.prune.ramp_epochs, scale)),
        one_shot_epochs=None if one_shot is None else _count(one_shot, scale),
    )
    retrain = dataclasses.replace(
        config.retrain, epochs=_count(config.retrain.epochs, scale), patience=_count(config.retrain.patience, scale)
    )
    doctor = dataclasses.replace(config.doctor, epochs=_count(config.doctor.epochs, scale))
    return dataclasses.replace(config, finetune=finetune, prune=prune, retrain=retrain, doctor=doctor,
                               epochs_scale=1.0)


def one_shot_epochs(config: RunConfig) -> int:
    """Epochs a task pruned at once (PackNet) trains after pruning: `prune.one_shot_epochs`, else
    half its finetune epochs (at least one)."""
    return config.prune.one_shot_epochs or max(1, config.finetune.epochs // 2)
