import torch
import torch.nn.functional as F
from torch import nn

from cpg.doctor import DoctorLoss, channel_loss, most_confusing
from cpg.importance import LayerTap

CLASSES, CHANNELS, BATCH = 4, 6, 8


def linear_model() -> nn.Sequential:
    """conv → global average → linear: ∂ z_k / ∂ A[c, h, w] = W[k, c] / (h·w), so the summed
    gradient magnitude of channel c is |W[k, c]| and the channel loss has a closed form."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, CHANNELS, 3, padding=1), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(CHANNELS, CLASSES))


def batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    inputs = torch.randn(BATCH, 1, 5, 5, generator=generator)
    targets = torch.randint(0, CLASSES, (BATCH,), generator=generator)
    masks = torch.rand(CLASSES, CHANNELS, generator=generator) > 0.5
    return inputs, targets, masks


def test_most_confusing_is_second_when_right_and_first_when_wrong():
    logits = torch.tensor([[3.0, 2.0, 1.0], [1.0, 3.0, 2.0], [1.0, 2.0, 3.0]])
    assert most_confusing(logits, torch.tensor([0, 0, 2])).tolist() == [1, 1, 1]


def test_channel_loss_and_its_gradient_match_the_closed_form():
    model = linear_model()
    inputs, targets, masks = batch()
    with LayerTap(model[0]) as tap:
        logits = model(inputs)
        loss = channel_loss(logits, tap.output, targets, masks)
        conv_grad, weight_grad = torch.autograd.grad(loss, [model[0].weight, model[3].weight], allow_unused=True)
    weight = model[3].weight.detach()
    confusing = most_confusing(logits, targets)
    outside, inside = (~masks).float(), masks.float()
    true_part = (weight.abs()[targets] * outside[targets]).sum(1)
    per_example = true_part + (weight.abs()[confusing] * inside[confusing]).sum(1)
    assert torch.allclose(loss, per_example.sum() / BATCH**2)
    true_counts = torch.bincount(targets, minlength=CLASSES).float()[:, None]
    confusing_counts = torch.bincount(confusing, minlength=CLASSES).float()[:, None]
    expected = weight.sign() * (true_counts * outside + confusing_counts * inside) / BATCH**2
    assert torch.allclose(weight_grad, expected)
    assert conv_grad is None or not conv_grad.any()


def test_tapped_output_survives_an_in_place_relu():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, CHANNELS), nn.ReLU(inplace=True), nn.Linear(CHANNELS, CLASSES))
    inputs = torch.randn(BATCH, 3)
    targets = torch.randint(0, CLASSES, (BATCH,))
    masks = torch.zeros(CLASSES, CHANNELS, dtype=torch.bool)
    with LayerTap(model[0]) as tap:
        logits = model(inputs)
        loss = channel_loss(logits, tap.output, targets, masks)
        hidden = tap.output.detach()
    active = (hidden > 0).float()
    expected = (model[2].weight.detach().abs()[targets] * active).sum() / BATCH**2
    assert torch.allclose(loss, expected)
    assert hidden.min() < 0


def test_doctor_loss_adds_alpha_times_the_channel_loss_and_trains_through_it():
    model = linear_model()
    inputs, targets, masks = batch()
    with LayerTap(model[0]) as tap:
        plain = DoctorLoss(tap, masks, alpha=0.0)
        treated = DoctorLoss(tap, masks, alpha=10.0)
        logits = model(inputs)
        expected = F.cross_entropy(logits, targets) + 10.0 * channel_loss(logits, tap.output, targets, masks)
        total = treated(logits, targets)
        assert torch.allclose(total, expected)
        assert torch.equal(plain(logits, targets), F.cross_entropy(logits, targets))
        before = channel_loss(model(inputs), tap.output, targets, masks).item()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        for _ in range(5):
            optimizer.zero_grad()
            channel_loss(model(inputs), tap.output, targets, masks).backward()
            optimizer.step()
        after = channel_loss(model(inputs), tap.output, targets, masks).item()
    assert after < before
    assert 0 < treated.take_mean() and treated.take_mean() == 0.0
