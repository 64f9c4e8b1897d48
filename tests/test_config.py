"""Config layering (defaults < YAML < flags), type checks and epoch scaling."""

import pytest

from cpg.cli.pipelines import resolve_config
from cpg.config import RunConfig, build_config, scale_epochs
from cpg.errors import UserError


def test_flags_override_yaml_which_overrides_defaults(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("arch: resnet20\nseed: 3\nfinetune:\n  epochs: 7\n")
    config = resolve_config(str(path), None, {"seed": 9})
    assert (config.arch, config.seed, config.finetune.epochs) == ("resnet20", 9, 7)
    assert config.finetune.lr == RunConfig().finetune.lr


def test_shipped_pipeline_is_used_for_tasks():
    config = resolve_config(None, "cifar100-20", {"tasks": "cifar100-20"})
    assert config.arch == "vgg16" and config.finetune.epochs == 100


def test_numbers_are_coerced_and_checked():
    config = build_config(("x", {"max_width": 2, "finetune": {"lr_steps": {"10": 0.5}}}))
    assert config.max_width == 2.0 and config.finetune.lr_steps == {10: 0.5}
    with pytest.raises(UserError, match="prune.targets"):
        build_config(("x", {"prune": {"targets": [0.5, 0.3]}}))
    with pytest.raises(UserError, match=r"x: prune.targets\[1\]: expected a number"):
        build_config(("x", {"prune": {"targets": [0.5, "a"]}}))


def test_epochs_scale_keeps_at_least_one_epoch():
    config = scale_epochs(build_config(("x", {"epochs_scale": 0.01})))
    assert config.finetune.epochs == 1 and config.prune.epochs == 1 and config.retrain.epochs == 1
    assert config.finetune.lr_steps == {1: 0.01}  # steps that land on the same epoch: the later one wins
    half = scale_epochs(build_config(("x", {"epochs_scale": 0.5})))
    assert half.finetune.epochs == 50 and half.finetune.lr_steps == {25: 0.1, 40: 0.01}
