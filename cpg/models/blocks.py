"""Layers the plain CNNs (small_cnn, mnist_cnn, vgg16) are stacked from."""

from torch import nn


def conv_bn_relu(in_channels: int, out_channels: int) -> list[nn.Module]:
    """A bias-free 3×3 convolution (padding 1), BatchNorm and ReLU, to unpack into a Sequential."""
    return [nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True)]
