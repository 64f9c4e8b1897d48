"""cpg: continual learning by Compacting, Picking and Growing, for PyTorch.

`import cpg` does not import torch (so that `cpg --help` answers at once); the names below load
`cpg.nn`, and torch with it, on first use."""

import importlib
import os
import sys
from typing import Any

if "torch" not in sys.modules:
    # Large CPU tensors (effective weights, gradients) are allocated every step; transparent
    # huge pages cut the page-fault cost of those allocations several-fold. Set it to 0 to opt out.
    os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")

__version__ = "0.1.0"

__all__ = ["SharableConv2d", "SharableLinear", "TaskNetwork", "convert", "__version__"]

_FROM_NN = ("SharableConv2d", "SharableLinear", "TaskNetwork", "convert")


def __getattr__(name: str) -> Any:
    if name in _FROM_NN:
        return getattr(importlib.import_module("cpg.nn"), name)
    raise AttributeError(f"module 'cpg' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_FROM_NN])
