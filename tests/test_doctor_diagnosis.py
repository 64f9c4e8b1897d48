import pytest
import torch
import torch.nn.functional as F

from cpg.config.doctor import DoctorConfig
from cpg.doctor import diagnose
from cpg.doctor.diagnosis import confident_examples, min_max
from cpg.doctor.probe import resolve_layer
from cpg.errors import UserError
from tests.fixtures.doctor import CPU, digits_task, trained_digits_model


def test_masks_are_deterministic_with_one_row_per_class():
    task = digits_task()
    first, second = (diagnose(trained_digits_model(), task.train, 10, DoctorConfig(), CPU) for _ in range(2))
    assert first.layer == "features.7"
    assert first.masks.shape == (10, 64) and first.masks.dtype == torch.bool
    assert torch.equal(first.masks, second.masks) and torch.equal(first.relevance, second.relevance)
    assert torch.equal(first.images, correct_per_class(trained_digits_model()).clamp(max=50))
    assert (first.relevance.amax(dim=1) == 1).all() and (first.relevance.amin(dim=1) == 0).all()
    assert first.masks.any(dim=1).all() and not first.masks.all(dim=1).any()


def correct_per_class(model: torch.nn.Module) -> torch.Tensor:
    images, labels = digits_task().train.__getitems__(range(len(digits_task().train)))
    with torch.no_grad():
        correct = model(images).argmax(dim=1) == labels
    return torch.bincount(labels[correct], minlength=10)


def test_a_higher_threshold_keeps_a_subset_of_the_channels():
    task = digits_task()
    loose = diagnose(trained_digits_model(), task.train, 10, DoctorConfig(threshold=0.1), CPU).masks
    strict = diagnose(trained_digits_model(), task.train, 10, DoctorConfig(threshold=0.5), CPU).masks
    assert (strict <= loose).all() and strict.sum() < loose.sum()


def test_confident_examples_are_correct_and_most_confident_first():
    model, task = trained_digits_model(), digits_task()
    chosen = confident_examples(model, task.train, 10, 5, CPU, 100)
    images, labels = task.train.__getitems__(range(len(task.train)))
    with torch.no_grad():
        probabilities = F.softmax(model(images), dim=1)
    confidence = probabilities.gather(1, labels[:, None]).squeeze(1)
    correct = probabilities.argmax(dim=1) == labels
    for label, indices in enumerate(chosen):
        assert len(indices) == 5
        assert (labels[indices] == label).all() and correct[indices].all()
        others = (labels == label) & correct
        others[indices] = False
        assert confidence[indices].min() >= confidence[others].max()
        assert (confidence[indices].diff() <= 0).all()


@pytest.mark.parametrize("signal", ["abs_gradient", "activation"])
def test_variants_give_other_relevance(signal):
    task = digits_task()
    default = diagnose(trained_digits_model(), task.train, 10, DoctorConfig(), CPU)
    variant = diagnose(trained_digits_model(), task.train, 10, DoctorConfig(signal=signal), CPU)
    assert variant.signal == signal and variant.masks.shape == default.masks.shape
    assert not torch.equal(variant.relevance, default.relevance)


def test_any_conv_or_linear_layer_by_name():
    diagnosis = diagnose(trained_digits_model(), digits_task().train, 10, DoctorConfig(layer="classifier.0"), CPU)
    assert diagnosis.masks.shape == (10, 128)


def test_diagnosis_leaves_the_model_as_it_was():
    model = trained_digits_model()
    model.train()
    before = {key: value.clone() for key, value in model.state_dict().items()}
    diagnose(model, digits_task().train, 10, DoctorConfig(images_per_class=5), CPU)
    assert model.training and all(parameter.requires_grad for parameter in model.parameters())
    assert all(torch.equal(before[key], value) for key, value in model.state_dict().items())


def test_unknown_layer_is_a_user_error_naming_the_choices():
    with pytest.raises(UserError, match="features.0, features.3"):
        resolve_layer(trained_digits_model(), "features.2")


def test_min_max_scales_each_row_and_zeroes_constant_rows():
    scaled = min_max(torch.tensor([[2.0, 4.0, 3.0], [5.0, 5.0, 5.0]], dtype=torch.float64))
    assert torch.equal(scaled, torch.tensor([[0.0, 1.0, 0.5], [0.0, 0.0, 0.0]]))
