"""Continual-learning metrics from the accuracy matrix (row j: accuracies after learning task j,
column i: task i; entries for tasks not yet learned are absent)."""

from statistics import fmean


def final_accuracies(matrix: list[list[float]]) -> list[float]:
    return list(matrix[-1]) if matrix else []


def average_accuracy(matrix: list[list[float]]) -> float:
    final = final_accuracies(matrix)
    return fmean(final) if final else 0.0


def forgetting(matrix: list[list[float]]) -> list[float]:
    """Per task: the best accuracy it had before the last row, minus its final accuracy."""
    if not matrix:
        return []
    last = matrix[-1]
    result = []
    for task, final in enumerate(last):
        earlier = [row[task] for row in matrix[:-1] if len(row) > task]
        result.append(max(earlier) - final if earlier else 0.0)
    return result


def backward_transfer(matrix: list[list[float]]) -> float:
    """Mean over all but the last task of (final accuracy − accuracy right after learning it)."""
    if len(matrix) < 2:
        return 0.0
    last = matrix[-1]
    return fmean(last[task] - matrix[task][task] for task in range(len(matrix) - 1))
