"""Comparisons of FHIR JSON values: fixed, pattern, minValue and maxValue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

# UCUM time units a minValueDuration / maxValueDuration may use, in days.
_DAYS = {
    "a": 365.25,
    "mo": 30.4375,
    "wk": 7.0,
    "d": 1.0,
    "h": 1 / 24,
    "min": 1 / 1440,
    "s": 1 / 86400,
}


def equals_fixed(value: Any, fixed: Any) -> bool:
    """Exact match, as `fixed[x]` requires: no extra properties, numbers by value."""
    if isinstance(fixed, dict):
        if not isinstance(value, dict) or set(value) - {"id", "extension"} != set(fixed) - {
            "id",
            "extension",
        }:
            return False
        return all(equals_fixed(value[key], item) for key, item in fixed.items() if key in value)
    if isinstance(fixed, list):
        return (
            isinstance(value, list)
            and len(value) == len(fixed)
            and all(equals_fixed(v, f) for v, f in zip(value, fixed, strict=True))
        )
    return _scalar_equal(value, fixed)


def matches_pattern(value: Any, pattern: Any) -> bool:
    """`pattern[x]` semantics: every property of the pattern is present with that value;
    every item of a pattern array matches some item of the value's array."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            key in value and matches_pattern(value[key], item) for key, item in pattern.items()
        )
    if isinstance(pattern, list):
        items = value if isinstance(value, list) else [value]
        return all(any(matches_pattern(v, p) for v in items) for p in pattern)
    return _scalar_equal(value, pattern)


def _scalar_equal(value: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool):
        return value is expected
    if isinstance(expected, int | float) and isinstance(value, int | float):
        return as_decimal(value) == as_decimal(expected)
    return bool(value == expected)


def as_decimal(number: int | float) -> Decimal:
    # repr() keeps the number as written (0.1, not 0.1000000000000000055...).
    try:
        return Decimal(repr(number)) if isinstance(number, float) else Decimal(number)
    except InvalidOperation:
        return Decimal(0)


def compare(value: Any, limit: Any) -> int | None:
    """-1, 0 or 1 when `value` and `limit` are comparable (numbers, or dates, times and
    instants of the same precision as strings), None when they are not."""
    if isinstance(value, dict) and "value" in value:
        value = value["value"]
    if isinstance(limit, dict) and "value" in limit:
        limit = limit["value"]
    if isinstance(value, bool) or isinstance(limit, bool):
        return None
    if isinstance(value, int | float) and isinstance(limit, int | float):
        left, right = as_decimal(value), as_decimal(limit)
        return (left > right) - (left < right)
    if isinstance(value, str) and isinstance(limit, str):
        if len(value) == len(limit):
            return (value > limit) - (value < limit)
        # Different precisions (2024 vs 2024-05-01) are ordered only where they differ.
        common = min(len(value), len(limit))
        head, bound = value[:common], limit[:common]
        return None if head == bound else (head > bound) - (head < bound)
    return None


def limit(bound: Any, direction: int, value: Any, now: datetime | None = None) -> Any:
    """The comparable form of a minValue/maxValue for `value`: a Duration bound on a date
    becomes the date that far before (`direction` -1) or after (+1) now."""
    if not isinstance(value, str) or not (
        isinstance(bound, dict)
        and bound.get("code") in _DAYS
        and isinstance(bound.get("value"), int | float)
    ):
        return bound
    days = float(bound["value"]) * _DAYS[str(bound["code"])]
    moment = (now or datetime.now(UTC)) + direction * timedelta(days=days)
    return moment.date().isoformat()
