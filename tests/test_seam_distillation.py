"""Distillation from the source (beyond SeaM): the term's value on small cases worked out by hand,
its absence at weight 0, its gradient, its settings, and a short re-engineering run with it on."""

import dataclasses
import math

import pytest
import torch
import torch.nn.functional as F

from cpg.config.seam import seam_config
from cpg.data.in_memory import InMemoryImages
from cpg.errors import UserError
from cpg.report import ConsoleReport, Reporter
from cpg.seam import MaskedModule, binary_problem
from cpg.seam.distillation import EndlessBatches, SourceTeacher, collapsed_soft_targets, distillation_loss
from cpg.seam.reengineering import reengineering_loss
from cpg.workflows.seam import run_seam
from tests.fixtures.seam import CPU, digits_source, quick_seam_config

QUIET = Reporter(ConsoleReport(quiet=True))
PROBABILITIES = torch.tensor([[0.1, 0.2, 0.3, 0.4]])


def with_distill(config, weight: float, temperature: float = 2.0):
    return dataclasses.replace(config, distill=dataclasses.replace(config.distill, weight=weight, temperature=temperature))


def test_one_vs_rest_targets_are_the_class_against_the_sum_of_the_others():
    collapse = torch.tensor([1, 1, 0, 1])  # class 2 vs the rest
    targets = collapsed_soft_targets(PROBABILITIES.log(), collapse, 2, temperature=1.0)
    assert torch.allclose(targets, torch.tensor([[0.3, 0.7]]))


def test_subset_targets_drop_the_other_classes_and_renormalise():
    collapse = torch.tensor([-1, 1, 0, -1])  # classes 2, 1 of the source
    targets = collapsed_soft_targets(PROBABILITIES.log(), collapse, 2, temperature=1.0)
    assert torch.allclose(targets, torch.tensor([[0.3 / 0.5, 0.2 / 0.5]]))


def test_temperature_softens_the_collapsed_prediction():
    # (0.3, 0.7) at T = 2: √0.3 against √0.7, renormalised
    targets = collapsed_soft_targets(PROBABILITIES.log(), torch.tensor([1, 1, 0, 1]), 2, temperature=2.0)
    assert targets[0, 0].item() == pytest.approx(math.sqrt(0.3) / (math.sqrt(0.3) + math.sqrt(0.7)))


def test_temperature_keeps_the_decision_of_the_source():
    # the class at 0.6 against eight others at 0.05: a softmax at T = 20 summed over the others
    # would say "rest" (0.6^0.05 < 8 × 0.05^0.05); the collapsed prediction only softens towards 0.5
    logits = torch.tensor([[0.6] + [0.05] * 8]).log()
    collapse = torch.tensor([0] + [1] * 8)
    shares = [collapsed_soft_targets(logits, collapse, 2, temperature)[0, 0].item() for temperature in (1.0, 4.0, 20.0)]
    assert shares[0] == pytest.approx(0.6)
    assert shares[0] > shares[1] > shares[2] > 0.5


def test_distillation_loss_by_hand():
    # module undecided (0.5, 0.5), source (0.3, 0.7), T = 2: T² × Σ p log(p / q)
    loss = distillation_loss(torch.zeros(1, 2), torch.tensor([[0.3, 0.7]]), temperature=2.0)
    assert loss.item() == pytest.approx(4 * (0.3 * math.log(0.3 / 0.5) + 0.7 * math.log(0.7 / 0.5)))


def test_distillation_loss_is_zero_when_the_module_predicts_what_the_source_does():
    targets = torch.tensor([[0.3, 0.7], [0.9, 0.1]])
    assert distillation_loss(3.0 * targets.log(), targets, temperature=3.0).item() == pytest.approx(0.0, abs=1e-6)


def test_weight_zero_is_the_published_loss_exactly():
    source = digits_source()
    module = MaskedModule(source.model, 10, 2)
    outputs, targets = torch.randn(5, 2), torch.tensor([0, 1, 1, 0, 1])
    config = quick_seam_config(alpha=2.5)
    published = F.cross_entropy(outputs, targets) + 2.5 * module.retained_ratio()
    assert torch.equal(reengineering_loss(module, config, None)(outputs, targets), published)


def test_the_term_adds_beta_times_the_distillation_loss_and_trains_masks_and_head():
    source = digits_source()
    problem = binary_problem(source.task, "8")
    module = MaskedModule(source.model, 10, 2).train()
    teacher = SourceTeacher(source.model, problem.collapse, 2, temperature=2.0)
    teacher.attach(module)
    images, labels = problem.train.__getitems__(range(16))
    outputs = module(images)
    module.eval()(images[:3])  # evaluation batches are not recorded
    config = with_distill(quick_seam_config(alpha=1.0), weight=0.5)
    loss = reengineering_loss(module, config, teacher)(outputs, labels)
    with torch.no_grad():
        expected_targets = collapsed_soft_targets(source.model(images), problem.collapse, 2, 2.0)
    term = distillation_loss(outputs, expected_targets, 2.0)
    published = F.cross_entropy(outputs, labels) + module.retained_ratio()
    assert term.item() > 0
    assert loss.item() == pytest.approx((published + 0.5 * term).item(), rel=1e-6)
    teacher.loss(outputs).backward()
    assert all(mask.grad is not None for mask in module.masks)
    assert sum(float(mask.grad.abs().sum()) for mask in module.masks) > 0
    assert float(module.head[1].weight.grad.abs().sum()) > 0
    assert all(parameter.grad is None for parameter in source.model.parameters())
    teacher.detach()
    assert not module._forward_pre_hooks


def test_left_out_images_join_the_term_as_a_mean_over_both_batches():
    source = digits_source()
    problem = binary_problem(source.task, "8")
    module = MaskedModule(source.model, 10, 2).train()
    teacher = SourceTeacher(source.model, problem.collapse, 2, 1.5, EndlessBatches(problem.left_out, 24, seed=5))
    teacher.attach(module)
    images, _ = problem.train.__getitems__(range(8))
    outputs = module(images)
    loss = teacher.loss(outputs)
    assert torch.equal(teacher._inputs, images)  # the extra batch is not taken for a training batch
    teacher.detach()
    extra = EndlessBatches(problem.left_out, 24, seed=5).next()
    with torch.no_grad():
        own = distillation_loss(outputs, collapsed_soft_targets(source.model(images), problem.collapse, 2, 1.5), 1.5)
        left = distillation_loss(module(extra), collapsed_soft_targets(source.model(extra), problem.collapse, 2, 1.5), 1.5)
    assert len(extra) == 24
    assert loss.item() == pytest.approx(((8 * own + 24 * left) / 32).item(), rel=1e-5)


def test_endless_batches_start_a_new_order_on_every_pass():
    images = InMemoryImages(torch.arange(5, dtype=torch.float32).view(5, 1, 1, 1), torch.zeros(5), torch.zeros(1),
                            torch.ones(1))
    batches = EndlessBatches(images, 2, seed=0)
    passes = [[int(value) for _ in range(3) for value in batches.next().flatten()] for _ in range(4)]
    assert all(sorted(one) == [0, 1, 2, 3, 4] for one in passes)
    assert len({tuple(one) for one in passes}) > 1


def test_negative_weight_or_temperature_is_refused_naming_the_key():
    with pytest.raises(UserError, match="distill.weight: must not be negative"):
        seam_config(("file.yaml", {"distill": {"weight": -0.5}}))
    with pytest.raises(UserError, match="distill.temperature: must be positive"):
        seam_config(("file.yaml", {"distill": {"temperature": 0}}))
    assert seam_config().distill.weight == 0.0


def test_short_reengineering_with_distillation_on():
    source = digits_source()
    problem = binary_problem(source.task, "8")
    off = run_seam(source, problem, quick_seam_config(epochs=3), QUIET, CPU)
    on = run_seam(source, problem, with_distill(quick_seam_config(epochs=3), weight=2.0), QUIET, CPU)
    assert on.report["settings"]["distill"] == {"weight": 2.0, "temperature": 2.0, "left_out": False}
    assert off.report["settings"]["distill"]["weight"] == 0.0
    assert [row["loss"] for row in on.result.history] != [row["loss"] for row in off.result.history]
    assert 0 < on.report["retained_ratio"] <= 1 and 0 <= on.report["accuracy"]["module"]["test"] <= 1
    assert not on.result.module._forward_pre_hooks
