"""The stages of the CPG state machine, one file each (DESIGN.md §4)."""
