"""cpg: continual learning by Compacting, Picking and Growing, for PyTorch."""

import os
import sys

if "torch" not in sys.modules:
    # Large CPU tensors (effective weights, gradients) are allocated every step; transparent
    # huge pages cut the page-fault cost of those allocations several-fold. Set it to 0 to opt out.
    os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")

from cpg.nn import SharableConv2d, SharableLinear, TaskNetwork, convert  # noqa: E402

__version__ = "0.1.0"

__all__ = ["SharableConv2d", "SharableLinear", "TaskNetwork", "convert", "__version__"]
