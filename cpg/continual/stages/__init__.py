"""The stages of the CPG state machine, one file each (docs/architecture.md: the loop and stores)."""
