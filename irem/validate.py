"""Argument checks shared by the API, the CLI and the notebooks.

Every check raises ``ValueError`` whose message names the parameter and what is allowed,
so a bad papermill parameter or CLI flag fails the same way as a bad Python argument.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


def check_choice(name: str, value: T, allowed: Iterable[T]) -> T:
    """Return ``value`` if it is one of ``allowed``, else raise naming ``name``."""
    allowed = tuple(allowed)
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name}={value!r} is not allowed; choose one of: {choices}")
    return value


def check_positive(name: str, value: float, *, integer: bool = False) -> float:
    """Return ``value`` if it is a number > 0 (an ``int`` when ``integer``), else raise."""
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be {kind} > 0, got {value!r} ({type(value).__name__})")
    if integer and not isinstance(value, int):
        raise ValueError(f"{name} must be {kind} > 0, got {value!r}")
    if not value > 0:
        raise ValueError(f"{name} must be {kind} > 0, got {value!r}")
    return value


def check_non_negative(name: str, value: float, *, integer: bool = False) -> float:
    """Return ``value`` if it is a number >= 0, else raise naming ``name``."""
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be {kind} >= 0, got {value!r} ({type(value).__name__})")
    if integer and not isinstance(value, int):
        raise ValueError(f"{name} must be {kind} >= 0, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be {kind} >= 0, got {value!r}")
    return value
