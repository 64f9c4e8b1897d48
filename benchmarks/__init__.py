"""Scripts that measure cpg; importable as a package so that `benchmarks.peers` can reuse them."""
