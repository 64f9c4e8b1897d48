"""VGG16 with BatchNorm, CIFAR variant of the CPG paper: 13 bias-free 3×3 convs and two
hidden linear layers (512 → 4096 → 4096) before the classifier."""

from torch import Tensor, nn

from cpg.models.blocks import conv_bn_relu
from cpg.models.build import InputShape
from cpg.models.channels import ChannelSpace, chain_spaces
from cpg.models.width import scaled
from cpg.registry import ARCHS

VGG16_LAYOUT: tuple[int | str, ...] = (
    64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M",
)


class VGG(nn.Module):
    """`features` (convs, BN, ReLU, max-pools) then `classifier` (hidden linears, head).

    Max-pools are skipped once the feature map is 1×1, so the same network runs on small
    inputs such as 8×8 digits.
    """

    head_layer = "classifier.4"  # the linear layer computing the outputs

    def __init__(
        self,
        num_classes: int,
        in_channels: int = 3,
        width: float = 1.0,
        input_size: int = 32,
        hidden: int = 4096,
        layout: tuple[int | str, ...] = VGG16_LAYOUT,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels, size = in_channels, input_size
        for item in layout:
            if item == "M":
                if size > 1:
                    layers.append(nn.MaxPool2d(2))
                    size //= 2
                continue
            out = scaled(int(item), width)
            layers += conv_bn_relu(channels, out)
            channels = out
        self.features = nn.Sequential(*layers, nn.Flatten())
        units = scaled(hidden, width)
        self.classifier = nn.Sequential(
            nn.Linear(channels * size * size, units),
            nn.ReLU(inplace=True),
            nn.Linear(units, units),
            nn.ReLU(inplace=True),
            nn.Linear(units, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))

    def channel_spaces(self) -> list[ChannelSpace]:
        return chain_spaces(self)


@ARCHS.register("vgg16")
def vgg16(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    return VGG(num_classes, in_channels=input_shape[0], width=width, input_size=input_shape[1])
