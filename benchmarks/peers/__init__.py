"""Outside reference runs: other libraries' strategies on cpg's data, networks and epochs."""
