"""The CPU allocator settings cpg runs with, for the processes that run it: `cpg.cli.main`
and the benchmark scripts call `use_huge_pages()` before torch is imported. Importing cpg
changes nothing."""

import os
import sys


def use_huge_pages() -> None:
    """Large CPU tensors (effective weights, gradients) are allocated every step; transparent
    huge pages cut the page-fault cost of those allocations several-fold. Torch reads the
    setting once, so it applies only before torch is imported; THP_MEM_ALLOC_ENABLE=0 in the
    environment opts out."""
    if "torch" not in sys.modules:
        os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")
