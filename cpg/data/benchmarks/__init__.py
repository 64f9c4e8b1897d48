"""The benchmarks, grouped by the data they read; each module registers its builders in
`cpg.registry.BENCHMARKS`, which imports a module when one of its benchmarks is built."""
