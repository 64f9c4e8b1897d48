"""SeaM model re-engineering (ICSE 2023): from a trained classifier and a
narrower target problem, a module that keeps only the weights the problem needs. The command
around it is cpg/workflows/seam.py (docs/architecture.md)."""

from cpg.algorithms.seam.config import AttackSettings, FinetuneSettings, SeamConfig, seam_config
from cpg.algorithms.seam.indirect import indirect_reuse
from cpg.algorithms.seam.masked import MaskedModule
from cpg.algorithms.seam.reengineering import Reengineered, reengineer
from cpg.algorithms.seam.target import TargetProblem, binary_problem, subset_problem, superclass_problem

__all__ = [
    "AttackSettings",
    "FinetuneSettings",
    "MaskedModule",
    "Reengineered",
    "SeamConfig",
    "TargetProblem",
    "binary_problem",
    "indirect_reuse",
    "reengineer",
    "seam_config",
    "subset_problem",
    "superclass_problem",
]
