"""A small CNN for 8×8 inputs (scikit-learn's digits) and other tiny images."""

from torch import Tensor, nn

from cpg.models.blocks import conv_bn_relu
from cpg.models.build import InputShape
from cpg.models.channels import ChannelSpace, chain_spaces
from cpg.models.width import scaled
from cpg.registry import ARCHS


class SmallCNN(nn.Module):
    """Three 3×3 conv layers with BatchNorm, global average pooling, one hidden linear layer."""

    head_layer = "head"  # the linear layer computing the outputs

    def __init__(self, num_classes: int, in_channels: int = 1, width: float = 1.0) -> None:
        super().__init__()
        c1, c2, hidden = scaled(32, width), scaled(64, width), scaled(128, width)
        self.features = nn.Sequential(
            *conv_bn_relu(in_channels, c1),
            *conv_bn_relu(c1, c2),
            nn.MaxPool2d(2),
            *conv_bn_relu(c2, c2),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.classifier = nn.Sequential(nn.Linear(c2, hidden), nn.ReLU(inplace=True))
        self.head = nn.Linear(hidden, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.classifier(self.features(x)))

    def channel_spaces(self) -> list[ChannelSpace]:
        return chain_spaces(self)


@ARCHS.register("small_cnn")
def small_cnn(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    return SmallCNN(num_classes, in_channels=input_shape[0], width=width)
