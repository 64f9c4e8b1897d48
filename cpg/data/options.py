"""Benchmark options: defaults, unknown keys and value checks, each failing as a UserError."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cpg.errors import UserError

GENERIC_OPTIONS: tuple[str, ...] = ("imbalance",)
"""Options every benchmark takes, handled in `cpg.data.build`."""


def resolve_options(
    benchmark: str, given: Mapping[str, Any] | None, defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """``defaults`` updated with ``given``; a key the benchmark does not take is a UserError."""
    given = dict(given or {})
    for key in given:
        if key not in defaults:
            accepted = ", ".join([*defaults, *GENERIC_OPTIONS])
            raise UserError(
                f"benchmark {benchmark!r} has no option {key!r} (accepted options: {accepted})"
            )
    return {**defaults, **given}


def int_option(benchmark: str, key: str, value: Any, minimum: int) -> int:
    """``value`` as an int of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UserError(
            f"option {key!r} of benchmark {benchmark!r} must be an integer >= {minimum}, "
            f"got {value!r}"
        )
    return value


def float_option(benchmark: str, key: str, value: Any, low: float, high: float) -> float:
    """``value`` as a float in the closed range [low, high]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise UserError(
            f"option {key!r} of benchmark {benchmark!r} must be a number in [{low}, {high}], "
            f"got {value!r}"
        )
    return float(value)


def bool_option(benchmark: str, key: str, value: Any) -> bool:
    """``value`` as a bool (true or false in YAML)."""
    if not isinstance(value, bool):
        raise UserError(
            f"option {key!r} of benchmark {benchmark!r} must be true or false, got {value!r}"
        )
    return value
