"""Range checks on a `RunConfig`, each failing with the key it concerns."""

from cpg.config.doctor import check_doctor
from cpg.config.masks import check_masks
from cpg.config.schema import RunConfig
from cpg.errors import UserError


def _require(condition: bool, key: str, message: str) -> None:
    if not condition:
        raise UserError(f"{key}: {message}")


def setting_value(config: RunConfig, key: str) -> float:
    """The value of a setting of a group (`ewc.strength`)."""
    group, name = key.split(".")
    return getattr(getattr(config, group), name)


def validate(config: RunConfig) -> None:
    _require(config.max_width >= 1.0, "max_width", f"must be at least 1.0, got {config.max_width}")
    _require(config.width_step > 0, "width_step", f"must be positive, got {config.width_step}")
    _require(config.select_on in ("val", "test"), "select_on", f"must be 'val' or 'test', got {config.select_on!r}")
    _require(0 < config.val_fraction <= 0.5, "val_fraction", f"must be in (0, 0.5], got {config.val_fraction}")
    _require(config.batch_size >= 1, "batch_size", "must be at least 1")
    _require(config.eval_batch_size >= 1, "eval_batch_size", "must be at least 1")
    _require(config.epochs_scale > 0, "epochs_scale", f"must be positive, got {config.epochs_scale}")
    _require(config.momentum >= 0, "momentum", "must not be negative")
    _require(config.weight_decay >= 0, "weight_decay", "must not be negative")
    _require(config.eval_cache_tasks >= 0, "eval_cache_tasks", "must not be negative")
    _require(config.save_every_seconds >= 0, "save_every_seconds", "must not be negative")
    _require(config.num_workers is None or config.num_workers >= 0, "num_workers", "must not be negative")
    _require(config.init is None or config.strategy != "independent", "init",
             "the independent strategy trains every task from scratch; it takes no initial weights")
    goal = config.goal
    _require(0 <= goal.train_accuracy <= 1, "goal.train_accuracy", "must be in [0, 1]")
    _require(0 <= goal.allowed_loss <= 1, "goal.allowed_loss", "must be in [0, 1]")
    _require(goal.standard_errors >= 0, "goal.standard_errors", f"must not be negative, got {goal.standard_errors}")
    _require(goal.value is None or 0 <= goal.value <= 1, "goal.value", f"must be in [0, 1], got {goal.value}")
    for stage in ("finetune", "prune", "retrain"):
        settings = getattr(config, stage)
        _require(settings.epochs >= 0, f"{stage}.epochs", "must not be negative")
        _require(settings.lr >= 0, f"{stage}.lr", "must not be negative")
        _require(settings.mask_lr >= 0, f"{stage}.mask_lr", "must not be negative")
    _require(config.finetune.epochs >= 1, "finetune.epochs", "must be at least 1")
    for key in ("lr_steps", "mask_lr_steps"):
        steps = getattr(config.finetune, key)
        _require(all(epoch >= 0 and factor >= 0 for epoch, factor in steps.items()), f"finetune.{key}", "epochs and factors must not be negative")
    _require(config.finetune.start_from in ("previous", "random"), "finetune.start_from",
             f"must be 'previous' or 'random', got {config.finetune.start_from!r}")
    targets = config.prune.targets
    _require(all(0 < target < 1 for target in targets), "prune.targets", "every target sparsity must be in (0, 1)")
    _require(all(a < b for a, b in zip(targets, targets[1:])), "prune.targets", "targets must increase")
    _require(0 < config.prune.one_shot_ratio < 1, "prune.one_shot_ratio", f"must be in (0, 1), got {config.prune.one_shot_ratio}")
    _require(config.prune.one_shot_epochs is None or config.prune.one_shot_epochs >= 1, "prune.one_shot_epochs",
             "must be at least 1 (or null: half the finetune epochs)")
    _require(config.prune.update_every >= 1, "prune.update_every", "must be at least 1")
    _require(config.prune.ramp_epochs >= 1, "prune.ramp_epochs", "must be at least 1")
    _require(config.retrain.patience >= 1, "retrain.patience", "must be at least 1")
    check_doctor(config.doctor)
    check_masks(config.hat, config.supsup)
    for key in ("ewc.strength", "si.strength", "lwf.weight"):
        _require(setting_value(config, key) >= 0, key, f"must not be negative, got {setting_value(config, key)}")
    for key in ("si.damping", "lwf.temperature", "replay.memory"):
        _require(setting_value(config, key) > 0, key, f"must be positive, got {setting_value(config, key)}")
    _require(0 <= config.ewc.decay <= 1, "ewc.decay", f"must be in [0, 1], got {config.ewc.decay}")
    _require(config.replay.batch_size is None or config.replay.batch_size >= 1, "replay.batch_size",
             "must be at least 1 (or null: the training batch size)")
