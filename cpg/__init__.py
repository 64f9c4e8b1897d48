"""cpg: continual learning by Compacting, Picking and Growing, for PyTorch.

`import cpg` does not import torch (so that `cpg --help` answers at once); the names below load
`cpg.nn`, and torch with it, on first use."""

import importlib
from typing import Any

__version__ = "0.1.0"

__all__ = ["SharableConv2d", "SharableLinear", "TaskNetwork", "convert", "__version__"]

_FROM_NN = ("SharableConv2d", "SharableLinear", "TaskNetwork", "convert")


def __getattr__(name: str) -> Any:
    if name in _FROM_NN:
        return getattr(importlib.import_module("cpg.nn"), name)
    raise AttributeError(f"module 'cpg' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_FROM_NN])
