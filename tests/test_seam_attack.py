"""The transferred attack stays in its L∞ ball and the pixel range, moves the source's features,
and the defect inheritance rate counts correct answers turned wrong."""

import torch

from cpg.config.seam import AttackSettings
from cpg.seam.attack import FeatureAttack, defect_inheritance
from tests.fixtures.seam import digits_source


def attack_setup(settings: AttackSettings) -> tuple[FeatureAttack, torch.Tensor, torch.Tensor, torch.Tensor]:
    source = digits_source()
    test = source.task.test
    images, _ = test.__getitems__(range(32))
    attack = FeatureAttack(source.model, test.mean, test.std, (0.0, 1.0), settings)
    return attack, images, test.mean.view(1, -1, 1, 1), test.std.view(1, -1, 1, 1)


def test_perturbation_stays_in_the_ball_and_the_pixel_range():
    attack, images, mean, std = attack_setup(AttackSettings(eps=0.1, steps=5, step_size=0.03))
    adversarial = attack.perturb(images, torch.Generator().manual_seed(0))
    raw, raw_adv = images * std + mean, adversarial * std + mean
    assert float((raw_adv - raw).abs().max()) <= 0.1 + 1e-5
    assert float(raw_adv.min()) >= -1e-6 and float(raw_adv.max()) <= 1 + 1e-6
    assert float((raw_adv - raw).abs().max()) > 0.05


def test_attack_steps_push_the_features_away_from_the_clean_ones():
    attack, images, _, _ = attack_setup(AttackSettings(eps=0.1, steps=0, step_size=0.02))
    random_start = attack.perturb(images, torch.Generator().manual_seed(0))
    attack.settings = AttackSettings(eps=0.1, steps=10, step_size=0.02)
    attacked = attack.perturb(images, torch.Generator().manual_seed(0))
    with torch.no_grad():
        clean = attack.features(images)
        moved_randomly = (attack.features(random_start) - clean).pow(2).sum()
        moved_by_attack = (attack.features(attacked) - clean).pow(2).sum()
    assert moved_by_attack > 2 * moved_randomly


def test_source_weights_are_not_touched_by_the_attack():
    attack, images, _, _ = attack_setup(AttackSettings(eps=0.1, steps=3, step_size=0.03))
    before = {key: value.clone() for key, value in attack.source.state_dict().items()}
    attack.perturb(images, torch.Generator().manual_seed(0))
    assert all(torch.equal(before[key], value) for key, value in attack.source.state_dict().items())
    assert all(parameter.grad is None for parameter in attack.source.parameters())


def test_defect_inheritance_rate_counts_correct_answers_turned_wrong():
    labels = torch.tensor([0, 1, 0, 1, 0])
    clean = torch.tensor([[0.0], [1.0], [0.0], [0.0], [0.0]])  # predictions 0, 1, 0, 0, 0 → 4 right
    adversarial = torch.tensor([[1.0], [1.0], [1.0], [0.0], [0.0]])  # two of the four turn wrong
    accuracy, rate = defect_inheritance(lambda x: x[:, 0].long(), clean, adversarial, labels, batch_size=2)
    assert accuracy == 0.8 and rate == 0.5
