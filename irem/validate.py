"""Argument checks shared by the API, the CLI and the notebooks.

Every check raises ``ValueError`` whose message names the parameter and what is allowed,
so a bad papermill parameter or CLI flag fails the same way as a bad Python argument.
"""

from __future__ import annotations

import json
import math
import re
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
    if not value > 0 or not math.isfinite(value):
        raise ValueError(f"{name} must be {'an integer' if integer else 'a finite number'} > 0, got {value!r}")
    return value


def check_non_negative(name: str, value: float, *, integer: bool = False) -> float:
    """Return ``value`` if it is a number >= 0, else raise naming ``name``."""
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be {kind} >= 0, got {value!r} ({type(value).__name__})")
    if integer and not isinstance(value, int):
        raise ValueError(f"{name} must be {kind} >= 0, got {value!r}")
    if not value >= 0 or not math.isfinite(value):
        raise ValueError(f"{name} must be {'an integer' if integer else 'a finite number'} >= 0, got {value!r}")
    return value


def check_at_most(name: str, value: float, most: float) -> float:
    """Return ``value`` if it is at most ``most``, else raise naming ``name`` and the bound."""
    if value > most:
        raise ValueError(f"{name}={value!r} is too large; at most {most:,} (is it a typo?)")
    return value


def check_finite(name: str, value: float) -> float:
    """Return ``value`` if it is a finite number, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return value


_TRUE, _FALSE = ("true", "1"), ("false", "0")


def check_bool(name: str, value: object) -> bool:
    """``value`` as a bool: a bool, 0 or 1, or one of the strings true/false/1/0 (any case).

    Strict on purpose: papermill passes ``-p retrain false`` as the string ``"false"``, which
    plain ``bool()`` would read as true.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"{name} must be true or false (or 1 / 0), got {value!r}")


_NAME = re.compile(r"^\s*['\"]?([\w.-]+)['\"]?\s*$")


def _names_from_string(name: str, text: str) -> list:
    """A string given for a list of names: one name, or a list written out (``'["a", "b"]'``, ``[a, b]``).

    papermill passes ``-p tasks '["addition"]'`` as that string; it is read as the list it spells,
    never as a sequence of letters.
    """
    stripped = text.strip()
    if not (stripped.startswith("[") and stripped.endswith("]")):
        return [text]
    try:
        values = json.loads(stripped)
    except json.JSONDecodeError:  # a YAML-style flow list of plain names: [addition, matrix_inverse]
        items = stripped[1:-1].split(",") if stripped[1:-1].strip() else []
        matches = [_NAME.match(item) for item in items]
        if not all(matches):
            raise ValueError(f"{name}={text!r}: not a list of names; write it as JSON, "
                             "e.g. '[\"addition\", \"matrix_inverse\"]'") from None  # fmt: skip
        values = [m.group(1) for m in matches]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"{name}={text!r}: expected a list of names")
    return values


def check_names(name: str, values: object, allowed: Iterable[str]) -> tuple[str, ...]:
    """A non-empty list of names, each one of ``allowed``.

    A string is one name, or the list it spells out when it looks like one (``'["a", "b"]'``,
    as papermill passes ``-p tasks '["a", "b"]'``); never its letters.
    """
    allowed = tuple(allowed)
    if isinstance(values, str):
        values = _names_from_string(name, values)
    if not isinstance(values, (list, tuple)) or not values:
        raise ValueError(f"{name} must be a non-empty list of names from {list(allowed)}, got {values!r}")
    for v in values:
        check_choice(name, v, allowed)
    return tuple(values)


def register(registry: dict[str, type], cls: type, required: tuple[str, ...], kind: str) -> type:
    """Add ``cls`` to ``registry`` under ``cls.name``; a class lacking one of ``required`` is an error.

    Registries fail loudly: a method without a label or a colour, or a task without a label,
    would otherwise drop silently out of the book's tables and figures.
    """
    missing = [a for a in ("name", *required) if getattr(cls, a, None) is None]
    if missing:
        raise TypeError(f"{kind} class {cls.__name__} lacks {missing}")
    if registry.get(cls.name, cls) is not cls:
        raise ValueError(f"a {kind} named {cls.name!r} is registered already ({registry[cls.name].__name__})")
    registry[cls.name] = cls
    return cls


def describe(error: BaseException, limit: int = 200) -> str:
    """``"Type: first line of the message"``, shortened: the reason inside a one-line error that names a file."""
    lines = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_seed(seed: object) -> int:
    """A training seed: an integer in [0, 2^63)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ValueError(f"seed must be an integer in [0, 2^63), got {seed!r}")
    return seed
