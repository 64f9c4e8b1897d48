"""Continual-learning metrics from the accuracy matrix (row j: accuracies after learning task j,
column i: task i; entries for tasks not yet learned are absent)."""

from statistics import fmean


def final_accuracies(matrix: list[list[float]]) -> list[float]:
    return list(matrix[-1]) if matrix else []


def average_accuracy(matrix: list[list[float]]) -> float:
    final = final_accuracies(matrix)
    return fmean(final) if final else 0.0


def forgetting(matrix: list[list[float]]) -> list[float]:
    """For tasks 1..T−1 (the last task learned has nothing to forget yet): the best accuracy the
    task had before the last row, minus its final accuracy."""
    if not matrix:
        return []
    last = matrix[-1]
    return [max(row[task] for row in matrix[:-1] if len(row) > task) - last[task] for task in range(len(last) - 1)]


def average_forgetting(matrix: list[list[float]]) -> float | None:
    """Mean forgetting over tasks 1..T−1 (None with fewer than two tasks)."""
    forgotten = forgetting(matrix)
    return fmean(forgotten) if forgotten else None


def backward_transfer(matrix: list[list[float]]) -> float:
    """Mean over all but the last task of (final accuracy − accuracy right after learning it)."""
    if len(matrix) < 2:
        return 0.0
    last = matrix[-1]
    return fmean(last[task] - matrix[task][task] for task in range(len(matrix) - 1))
