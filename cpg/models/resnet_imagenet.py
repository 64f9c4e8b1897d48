"""ResNet-50 for ImageNet-sized inputs (He et al. 2016) in torchvision's layout (`conv1`, `bn1`,
`layer1..4` of Bottlenecks with the stride on the 3×3 conv and a conv+BN `downsample`, `fc`), so
that at width 1.0 torchvision's `resnet50` state dict loads as it is. At width w every layer has
√w times the channels, so the network can grow."""

from torch import Tensor, nn

from cpg.models.build import InputShape
from cpg.models.channels import ChannelSpace, residual_spaces
from cpg.models.width import scaled
from cpg.registry import ARCHS

EXPANSION = 4
"""A Bottleneck's output has this many times the channels of its 3×3 conv."""
STAGES = ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))
"""ResNet-50: (channels of the 3×3 convs at width 1, blocks, stride of the first block)."""


class Bottleneck(nn.Module):
    def __init__(self, in_channels: int, channels: int, stride: int = 1) -> None:
        super().__init__()
        out_channels = channels * EXPANSION
        self.conv1 = nn.Conv2d(in_channels, channels, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv3 = nn.Conv2d(channels, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample: nn.Module | None = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
            )

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet50(nn.Module):
    head_layer = "fc"  # the linear layer computing the outputs

    def __init__(self, num_classes: int, in_channels: int = 3, width: float = 1.0) -> None:
        super().__init__()
        stem = scaled(64, width)
        self.conv1 = nn.Conv2d(in_channels, stem, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        channels = stem
        for index, (base, blocks, stride) in enumerate(STAGES, start=1):
            stage = scaled(base, width)
            layers = [Bottleneck(channels, stage, stride)]
            layers += [Bottleneck(stage * EXPANSION, stage) for _ in range(blocks - 1)]
            setattr(self, f"layer{index}", nn.Sequential(*layers))
            channels = stage * EXPANSION
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):  # torchvision's initialisation
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))

    def channel_spaces(self) -> list[ChannelSpace]:
        return residual_spaces(self, self.head_layer)


@ARCHS.register("resnet50")
def resnet50(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    return ResNet50(num_classes, in_channels=input_shape[0], width=width)
