"""The shipped SeaM pipelines load, and carry the paper's settings (published-results.md)."""

import re
from pathlib import Path

import pytest

from cpg.config import read_yaml
from cpg.config.seam import seam_config
from cpg.errors import UserError

PIPELINES = Path(__file__).resolve().parents[1] / "pipelines"
PAPER = {  # (mask lr, alpha) of SeaM, ICSE 2023
    "seam-vgg16-cifar10.yaml": (0.01, 1.0),
    "seam-vgg16-cifar100.yaml": (0.05, 1.5),
    "seam-resnet20-cifar10.yaml": (0.05, 1.0),
    "seam-resnet20-cifar100.yaml": (0.12, 1.5),
    "seam-resnet20-cifar100-superclass.yaml": (0.10, 2.0),
}


@pytest.mark.parametrize("name", sorted(PAPER))
def test_paper_pipelines_carry_the_published_settings(name):
    path = PIPELINES / name
    config = seam_config((str(path), read_yaml(path)))
    assert (config.mask_lr, config.alpha) == PAPER[name]
    assert (config.epochs, config.head_lr, config.batch_size) == (300, 0.1, 64)


@pytest.mark.parametrize("path", sorted(PIPELINES.glob("**/seam-*.yaml")), ids=lambda path: path.name)
def test_every_pipeline_is_seam_as_published_without_distillation(path):
    assert seam_config((str(path), read_yaml(path))).distill.weight == 0.0


def test_cpu_pipeline_keeps_the_papers_resnet20_settings_on_a_stated_share_of_the_data():
    path = PIPELINES / "cpu" / "seam-resnet20-cifar10.yaml"
    config = seam_config((str(path), read_yaml(path)))
    assert (config.mask_lr, config.alpha, config.head_lr, config.batch_size) == (0.05, 1.0, 0.1, 64)
    assert config.target_train_per_class is not None and config.epochs < 300
    first = path.read_text().splitlines()[0]
    assert re.match(r"# About [\d.]+ minutes per class on one thread", first), first


def test_digits_pipeline_loads():
    path = PIPELINES / "seam-digits.yaml"
    config = seam_config((str(path), read_yaml(path)))
    assert config.epochs >= 1 and config.attack.steps >= 1


def test_unknown_or_ill_typed_keys_name_the_key():
    with pytest.raises(UserError, match="unknown key 'attack.radius'"):
        seam_config(("file.yaml", {"attack": {"radius": 1}}))
    with pytest.raises(UserError, match="file.yaml: alpha: expected a number"):
        seam_config(("file.yaml", {"alpha": "big"}))
    with pytest.raises(UserError, match="select_on"):
        seam_config(("file.yaml", {"select_on": "train"}))
