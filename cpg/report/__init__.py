"""Results, console output and TensorBoard logs of a run."""

from cpg.report.console import ConsoleReport, accuracy_matrix_table
from cpg.report.continual import average_accuracy, backward_transfer, final_accuracies, forgetting
from cpg.report.reporter import Reporter, StageReport
from cpg.report.tensorboard import TensorBoardLog

__all__ = [
    "ConsoleReport",
    "Reporter",
    "StageReport",
    "TensorBoardLog",
    "accuracy_matrix_table",
    "average_accuracy",
    "backward_transfer",
    "final_accuracies",
    "forgetting",
]
