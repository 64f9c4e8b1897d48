"""The fully connected network of the split- and permuted-MNIST literature: the flattened
image, two hidden ReLU layers, a linear head. 400 units at width 1 is van de Ven & Tolias's
split-MNIST network (2019); their permuted-MNIST one has 1000 units, which width 6.25 gives."""

from torch import Tensor, nn

from cpg.models.build import InputShape
from cpg.models.channels import ChannelSpace, chain_spaces
from cpg.models.width import scaled
from cpg.registry import ARCHS

HIDDEN = 400


class MLP(nn.Module):
    """flatten → linear 400 → ReLU → linear 400 → ReLU → head."""

    head_layer = "head"  # the linear layer computing the outputs

    def __init__(self, num_classes: int, inputs: int, width: float = 1.0) -> None:
        super().__init__()
        units = scaled(HIDDEN, width)
        self.features = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Linear(inputs, units),
            nn.ReLU(inplace=True),
            nn.Linear(units, units),
            nn.ReLU(inplace=True),
        )
        self.head = nn.Linear(units, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.classifier(self.features(x)))

    def channel_spaces(self) -> list[ChannelSpace]:
        return chain_spaces(self)


@ARCHS.register("mlp")
def mlp(num_classes: int, input_shape: InputShape, width: float) -> nn.Module:
    channels, height, breadth = input_shape
    return MLP(num_classes, inputs=channels * height * breadth, width=width)
