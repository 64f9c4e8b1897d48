"""The strategies, one file each; each registers its `Strategy` in `cpg.registry.STRATEGIES`,
which imports the file when the strategy is asked for."""
