"""The names the registries hold, for help texts: the registries import torch, which `--help`
must not (tests/test_cli_startup.py checks that these equal the registries)."""

BENCHMARKS = ("digits-5", "digits-10", "synthetic", "cifar100-20", "cifar10", "imagefolder", "split-mnist",
              "perm-mnist", "rot-mnist", "split-fashion-mnist", "split-cifar10", "split-cifar100")
"""`cpg.data.BENCHMARKS`, the default first, then in the order the README lists them."""
ARCHS = ("small_cnn", "mnist_cnn", "mlp", "vgg16", "resnet20", "resnet32", "resnet56", "resnet50")
"""`cpg.models.ARCHS`"""
STRATEGIES = ("cpg", "packnet", "piggyback", "pae", "finetune", "independent")
"""`cpg.continual.STRATEGIES`, the default first, then in the order the README lists them."""
