"""ResNet for CIFAR (He et al. 2016, §4.2): depth 6n+2 with 16/32/64 channels, in the common
community layout (`conv1`, `bn1`, `layer1..3` of BasicBlocks with a conv+BN `downsample`, `fc`),
so state dicts trained elsewhere in that layout load directly."""

from torch import Tensor, nn

from cpg.models.build import InputShape
from cpg.models.channels import ChannelSpace, residual_spaces
from cpg.models.width import scaled
from cpg.registry import ARCHS


class BasicBlock(nn.Module):
    def __init__(self, in_channels: int, channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.downsample: nn.Module | None = None
        if stride != 1 or in_channels != channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, channels, 1, stride=stride, bias=False), nn.BatchNorm2d(channels)
            )

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNetCIFAR(nn.Module):
    head_layer = "fc"  # the linear layer computing the outputs

    def __init__(self, depth: int, num_classes: int, in_channels: int = 3, width: float = 1.0) -> None:
        super().__init__()
        if (depth - 2) % 6:
            raise ValueError(f"ResNet-CIFAR depth must be 6n+2, got {depth}")
        blocks = (depth - 2) // 6
        c1, c2, c3 = (scaled(c, width) for c in (16, 32, 64))
        self.conv1 = nn.Conv2d(in_channels, c1, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c1)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._stage(c1, c1, blocks, stride=1)
        self.layer2 = self._stage(c1, c2, blocks, stride=2)
        self.layer3 = self._stage(c2, c3, blocks, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c3, num_classes)

    @staticmethod
    def _stage(in_channels: int, channels: int, blocks: int, stride: int) -> nn.Sequential:
        layers = [BasicBlock(in_channels, channels, stride)]
        layers += [BasicBlock(channels, channels) for _ in range(blocks - 1)]
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.avgpool(x).flatten(1))

    def channel_spaces(self) -> list[ChannelSpace]:
        return residual_spaces(self, self.head_layer)


@ARCHS.register("resnet20")
def resnet20(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    return ResNetCIFAR(20, num_classes, in_channels=input_shape[0], width=width)


@ARCHS.register("resnet32")
def resnet32(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    return ResNetCIFAR(32, num_classes, in_channels=input_shape[0], width=width)


@ARCHS.register("resnet56")
def resnet56(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    return ResNetCIFAR(56, num_classes, in_channels=input_shape[0], width=width)
