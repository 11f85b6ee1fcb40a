"""FHIRPath value semantics: equality, equivalence, ordering, conversions, singletons.

Numbers from JSON are floats; FHIRPath compares the decimal that was written, so a float is
read back through its shortest repr (``0.1`` stays ``0.1``). Dates in JSON are strings: they
are compared as dates when either side is a date literal, or, for ordering, when both look
like dates; two date/times of different precision that agree as far as both go are neither
equal nor ordered (the answer is empty).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from mpox_adapter.validation.fhirpath_nodes import (
    DATETIME_RE,
    TEMPORAL_TYPES,
    Env,
    Fn,
    Node,
    fail,
    number,
    prim,
    value_of,
)

Builder = Callable[[list[Fn]], Fn]


_TEMPORAL_RE = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T(\d{2})?(?::(\d{2}))?(?::(\d{2}(?:\.\d+)?))?)?"
    r"(Z|[+-]\d{2}:\d{2})?"
)
_TIME_PARTS_RE = re.compile(r"T?(\d{2})(?::(\d{2}))?(?::(\d{2}(?:\.\d+)?))?(Z|[+-]\d{2}:\d{2})?")


def _parts(text: str) -> tuple[list[Decimal], int | None] | None:
    """Components (year .. second) present in `text`, and the UTC offset in minutes."""
    m = _TEMPORAL_RE.fullmatch(text)
    time_only = m is None
    if m is None:
        m = _TIME_PARTS_RE.fullmatch(text)
        if m is None:
            return None
    groups = m.groups()
    values: list[Decimal] = []
    for g in groups[:-1]:
        if g is None:
            break
        values.append(Decimal(g))
    tz = groups[-1]
    offset = None
    if tz is not None:
        offset = 0 if tz == "Z" else (1 if tz[0] == "+" else -1) * (int(tz[1:3]) * 60 + int(tz[4:]))
    if time_only:
        values = [Decimal(-1), Decimal(0), Decimal(0), *values]  # times sort after no date
    return values, offset


def _to_utc(values: list[Decimal], offset: int) -> list[Decimal]:
    if len(values) < 4 or values[0] < 1:
        return values
    p = [int(v) for v in values[:5]] + [0] * (5 - min(5, len(values)))
    moment = datetime(p[0], p[1], p[2], p[3], p[4]) - timedelta(minutes=offset)
    shifted = [moment.year, moment.month, moment.day, moment.hour, moment.minute]
    return [Decimal(v) for v in shifted[: min(5, len(values))]] + values[5:]


def compare_temporal(a: str, b: str) -> int | None:
    """-1/0/1, or None when the values differ in precision and agree as far as both go."""
    pa, pb = _parts(a), _parts(b)
    if pa is None or pb is None:
        return (a > b) - (a < b)
    va, oa = pa
    vb, ob = pb
    # Both zoned: compare in UTC. One zone missing: compare as written (the spec leaves
    # the default zone to the environment).
    if oa is not None and ob is not None and oa != ob:
        va, vb = _to_utc(va, oa), _to_utc(vb, ob)
    for x, y in zip(va, vb, strict=False):
        if x != y:
            return -1 if x < y else 1
    return 0 if len(va) == len(vb) else None


def _is_temporal(value: Any) -> bool:
    return type(value) in TEMPORAL_TYPES


def equals(a: Any, b: Any) -> bool | None:
    """``a = b`` for two items; None when the answer is empty (dates of other precision)."""
    a, b = prim(a), prim(b)
    ta, tb = type(a), type(b)
    if ta is str and tb is str:
        return a == b  # type: ignore[no-any-return]
    if ta is bool or tb is bool:
        return ta is tb and a is b
    if (ta is int or ta is Decimal) and (tb is int or tb is Decimal):
        return a == b  # type: ignore[no-any-return]
    if isinstance(a, str) and isinstance(b, str):
        c = compare_temporal(a, b) if (_is_temporal(a) or _is_temporal(b)) else (a != b)
        return None if c is None else c == 0
    if ta is dict and tb is dict:
        return deep_equals(a, b)
    if a is None or b is None:
        return None
    return False


def deep_equals(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    if type(a) is dict and type(b) is dict:
        return a.keys() == b.keys() and all(deep_equals(a[k], b[k]) for k in a)
    if type(a) is list and type(b) is list:
        return len(a) == len(b) and all(deep_equals(x, y) for x, y in zip(a, b, strict=True))
    return equals(a, b) is True


def _normal_text(text: str) -> str:
    return " ".join(text.lower().split())


def equivalent(a: Any, b: Any) -> bool:
    """``a ~ b``: case/whitespace-blind strings, decimals at the lesser precision."""
    a, b = prim(a), prim(b)
    if isinstance(a, str) and isinstance(b, str):
        if _is_temporal(a) or _is_temporal(b):
            return compare_temporal(a, b) == 0
        return _normal_text(a) == _normal_text(b)
    if type(a) is Decimal or type(b) is Decimal:
        if type(a) in (int, Decimal) and type(b) in (int, Decimal):
            da, db = Decimal(a), Decimal(b)
            places = min(-da.as_tuple().exponent, -db.as_tuple().exponent)  # type: ignore[operator]
            quantum = Decimal(1).scaleb(-max(places, 0))
            return da.quantize(quantum) == db.quantize(quantum)
        return False
    if type(a) is dict and type(b) is dict:
        return a.keys() == b.keys() and all(
            collection_equivalent(_as_list(a[k]), _as_list(b[k])) for k in a
        )
    return equals(a, b) is True


def _as_list(value: Any) -> list[Any]:
    return value if type(value) is list else [value]


def collection_equivalent(a: list[Any], b: list[Any]) -> bool:
    if len(a) != len(b):
        return False
    rest = list(b)
    for x in a:
        for i, y in enumerate(rest):
            if equivalent(x, y):
                del rest[i]
                break
        else:
            return False
    return True


def compare(a: Any, b: Any) -> int | None:
    """Order two singletons (-1/0/1); None (empty) for incomparable precisions or units."""
    a, b = prim(a), prim(b)
    ta, tb = type(a), type(b)
    if (ta is int or ta is Decimal) and (tb is int or tb is Decimal):
        return (a > b) - (a < b)  # type: ignore[no-any-return]
    if isinstance(a, str) and isinstance(b, str):
        if _is_temporal(a) or _is_temporal(b) or (_date_like(a) and _date_like(b)):
            return compare_temporal(a, b)
        return (a > b) - (a < b)
    if ta is dict and tb is dict:
        # Quantities: same unit only; UCUM conversion is out of scope, so others are empty.
        if "value" not in a or "value" not in b:
            return None
        if (a.get("code"), a.get("system")) != (b.get("code"), b.get("system")):
            return None
        if a.get("code") is None and a.get("unit") != b.get("unit"):
            return None
        return compare(a["value"], b["value"])
    if a is None or b is None:
        return None
    raise fail(f"cannot compare {_kind(a)} with {_kind(b)}")


def _date_like(text: str) -> bool:
    return text[:1].isdigit() and DATETIME_RE.fullmatch(text) is not None and len(text) >= 4


def _kind(value: Any) -> str:
    return type(value).__name__


def key(item: Any) -> Any:
    """A hashable stand-in with FHIRPath equality, for distinct/union/intersect."""
    v = prim(item)
    t = type(v)
    if t is str or t is int or t is Decimal:
        return v
    if t is bool:
        return (bool, v)
    if t is dict or t is list:
        return (dict, orjson.dumps(v, option=orjson.OPT_SORT_KEYS, default=str))
    if v is None:
        return (None, id(item))
    if isinstance(v, str):
        return v
    return (t, repr(v))


# --- conversions -------------------------------------------------------------------------

_INT_RE = re.compile(r"[+-]?[0-9]+")
_DEC_RE = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_TRUE = frozenset({"true", "t", "yes", "y", "1", "1.0"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "0.0"})


def to_string(value: Any) -> str | None:
    value = value_of(value)
    t = type(value)
    if isinstance(value, str):
        return str(value)
    if t is bool:
        return "true" if value else "false"
    if t is int:
        return str(value)
    if t is float or t is Decimal:
        return format(number(value), "f")
    return None


def to_integer(value: Any) -> int | None:
    value = value_of(value)
    t = type(value)
    if t is bool:
        return int(value)
    if t is int:
        return value  # type: ignore[no-any-return]
    if isinstance(value, str) and _INT_RE.fullmatch(value):
        return int(value)
    return None


def to_decimal(value: Any) -> Decimal | None:
    value = value_of(value)
    t = type(value)
    if t is bool:
        return Decimal(int(value))
    if t is int or t is float or t is Decimal:
        return Decimal(number(value))
    if isinstance(value, str) and _DEC_RE.fullmatch(value):
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the regex admits only numbers
            return None
    return None


def to_boolean(value: Any) -> bool | None:
    value = value_of(value)
    t = type(value)
    if t is bool:
        return value  # type: ignore[no-any-return]
    if t is int or t is Decimal or t is float:
        n = number(value)
        return True if n == 1 else False if n == 0 else None
    if isinstance(value, str):
        lowered = value.lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else None
    return None


# --- singletons and arguments -----------------------------------------------------------


def truth(col: list[Any]) -> bool | None:
    """Singleton evaluation for a Boolean: empty -> None; one non-Boolean item -> True."""
    n = len(col)
    if n == 0:
        return None
    if n == 1:
        v = col[0]
        if v is True or v is False:
            return v
        if type(v) is Node:
            return None if v.value is None else v.value if type(v.value) is bool else True
        return True
    raise fail(f"expected a single Boolean, got {n} items")


def single(col: list[Any], what: str) -> Any:
    if len(col) > 1:
        raise fail(f"{what} expects a single item, got {len(col)}")
    return col[0] if col else None


def string_input(col: list[Any], what: str) -> str | None:
    value = value_of(single(col, what))
    if value is None:
        return None
    if isinstance(value, str):
        return value
    raise fail(f"{what} expects a string, got {type(value).__name__}")


def arg_value(fn: Fn, env: Env, what: str) -> Any:
    return prim(single(fn(env.this, env), what))


def str_arg(fn: Fn, env: Env, what: str) -> str | None:
    return string_input(fn(env.this, env), what)


def int_arg(fn: Fn, env: Env, what: str) -> int | None:
    value = arg_value(fn, env, what)
    if value is None or type(value) is int:
        return value
    raise fail(f"{what} expects an integer argument")


def distinct_items(col: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    out = []
    for item in col:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def no_args(fn: Callable[[list[Any], Env], list[Any]]) -> Builder:
    return lambda args: fn
