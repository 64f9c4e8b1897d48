"""The benchmarks, grouped by the data they read; importing this package registers every one of
them in `cpg.data.registry.BENCHMARKS`."""

from cpg.registry import import_package

import_package(__name__, __path__)
