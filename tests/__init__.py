"""cpg's test suite. A regular package, so that no installed top-level `tests` package (avalanche-lib
0.6 installs one) shadows it."""
