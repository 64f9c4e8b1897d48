"""A plain CNN for 28×28 digits (MNIST, Fashion-MNIST) that keeps the spatial map to the end,
as the continual-learning literature's MNIST networks do."""

from torch import Tensor, nn

from cpg.models.blocks import conv_bn_relu
from cpg.models.build import InputShape
from cpg.models.channels import ChannelSpace, chain_spaces
from cpg.models.width import scaled
from cpg.registry import ARCHS

POOLS = 2
"""2×2 max-pools: a 28×28 input reaches the linear layer as 7×7 maps."""


class MnistCNN(nn.Module):
    """conv 32 → conv 64 → max-pool → conv 64 → max-pool → flatten → linear 128 → head.

    3×3 convs with padding 1, each followed by BatchNorm and ReLU. Unlike `SmallCNN` there is
    no global pooling: the hidden linear layer sees where a stroke is, not only that it is.
    """

    head_layer = "head"  # the linear layer computing the outputs

    def __init__(
        self, num_classes: int, in_channels: int = 1, width: float = 1.0, input_size: int = 28
    ) -> None:
        super().__init__()
        side = input_size // 2**POOLS
        if side < 1:
            raise ValueError(f"MnistCNN needs inputs of at least {2**POOLS} pixels, got {input_size}")
        c1, c2, hidden = scaled(32, width), scaled(64, width), scaled(128, width)
        self.features = nn.Sequential(
            *conv_bn_relu(in_channels, c1),
            *conv_bn_relu(c1, c2),
            nn.MaxPool2d(2),
            *conv_bn_relu(c2, c2),
            nn.MaxPool2d(2),
            nn.Flatten(),
        )
        self.classifier = nn.Sequential(nn.Linear(c2 * side * side, hidden), nn.ReLU(inplace=True))
        self.head = nn.Linear(hidden, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.classifier(self.features(x)))

    def channel_spaces(self) -> list[ChannelSpace]:
        return chain_spaces(self)


@ARCHS.register("mnist_cnn")
def mnist_cnn(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    return MnistCNN(num_classes, in_channels=input_shape[0], width=width, input_size=input_shape[1])
