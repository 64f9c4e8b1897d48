"""SeaM model re-engineering (ICSE 2023): from a trained classifier and a narrower target
problem, a module that keeps only the weights the problem needs. Its settings are
`cpg.config.seam`; the command around it is cpg/workflows/seam.py (docs/architecture.md)."""

from cpg.seam.indirect import indirect_reuse
from cpg.seam.masked import MaskedModule
from cpg.seam.reengineering import Reengineered, reengineer
from cpg.seam.target import TargetProblem, binary_problem, subset_problem, superclass_problem

__all__ = [
    "MaskedModule",
    "Reengineered",
    "TargetProblem",
    "binary_problem",
    "indirect_reuse",
    "reengineer",
    "subset_problem",
    "superclass_problem",
]
