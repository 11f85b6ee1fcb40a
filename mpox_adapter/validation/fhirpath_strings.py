"""FHIRPath string, conversion and math functions (``STRING_FUNCTIONS``).

Regular expressions use Python's ``re`` in single-line (DOTALL) mode, as FHIRPath asks;
the R4 core patterns (``eld-16``, ``sdf-19``, ...) need nothing Python lacks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import lru_cache
from typing import Any

from mpox_adapter.validation.fhirpath_nodes import (
    DATE_RE,
    DATETIME_RE,
    Env,
    Fn,
    FPDate,
    FPDateTime,
    constant_value,
    fail,
    prim,
    value_of,
)
from mpox_adapter.validation.fhirpath_values import (
    Builder,
    int_arg,
    no_args,
    single,
    str_arg,
    string_input,
    to_boolean,
    to_decimal,
    to_integer,
    to_string,
)


@lru_cache(maxsize=512)
def regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error as exc:
        raise fail(f"invalid regular expression {pattern!r}: {exc}") from exc


def _string_fn(what: str, fn: Callable[..., Any], arity: int) -> Builder:
    """A function of one input string and `arity` string arguments; empty in, empty out."""

    def build(args: list[Fn]) -> Fn:
        literals = [constant_value(a) for a in args[:arity]]
        if all(known and isinstance(v, str) for known, v in literals):
            fixed = [v for _, v in literals]

            def run_fixed(inp: list[Any], env: Env) -> list[Any]:
                text = inp[0] if len(inp) == 1 and type(inp[0]) is str else string_input(inp, what)
                if text is None:
                    return []
                result = fn(text, *fixed)
                return [] if result is None else [result]

            return run_fixed

        def run(inp: list[Any], env: Env) -> list[Any]:
            text = string_input(inp, what)
            if text is None:
                return []
            values = [str_arg(a, env, what) for a in args[:arity]]
            if None in values:
                return []
            result = fn(text, *values)
            return [] if result is None else [result]

        return run

    return build


def _substring(args: list[Fn]) -> Fn:
    literals = [constant_value(a) for a in args]
    if all(known and type(v) is int for known, v in literals):
        start = literals[0][1]
        end = start + max(literals[1][1], 0) if len(literals) > 1 else None

        def run_fixed(inp: list[Any], env: Env) -> list[Any]:
            text = (
                inp[0]
                if len(inp) == 1 and type(inp[0]) is str
                else string_input(inp, "substring()")
            )
            if text is None or start < 0 or start >= len(text):
                return []
            return [text[start:end]]

        return run_fixed

    def run(inp: list[Any], env: Env) -> list[Any]:
        text = string_input(inp, "substring()")
        start = int_arg(args[0], env, "substring()")
        if text is None or start is None or start < 0 or start >= len(text):
            return []
        if len(args) == 1:
            return [text[start:]]
        length = int_arg(args[1], env, "substring()")
        return [text[start : start + max(length, 0)]] if length is not None else [text[start:]]

    return run


def _replace_matches(text: str, pattern: str, substitution: str) -> str:
    # FHIRPath refers to groups as $1; Python as \g<1>.
    template = re.sub(r"\$(\d+)", r"\\g<\1>", substitution.replace("\\", "\\\\"))
    return regex(pattern).sub(template, text)


def _length(inp: list[Any], env: Env) -> list[Any]:
    text = string_input(inp, "length()")
    return [] if text is None else [len(text)]


def _to_chars(inp: list[Any], env: Env) -> list[Any]:
    text = string_input(inp, "toChars()")
    return [] if text is None else list(text)


# --- conversions -------------------------------------------------------------------------


def _convert(what: str, fn: Callable[[Any], Any], test: bool) -> Builder:
    digits = fn is to_integer and not test

    def run(inp: list[Any], env: Env) -> list[Any]:
        if (
            digits
            and len(inp) == 1
            and type(inp[0]) is str
            and inp[0].isascii()
            and inp[0].isdigit()
        ):
            return [int(inp[0])]  # the common case, a digit out of an identifier
        item = single(inp, what)
        if item is None:
            return []
        result = fn(item)
        return [result is not None] if test else ([] if result is None else [result])

    return no_args(run)


def _to_date(value: Any) -> FPDate | None:
    v = value_of(value)
    return FPDate(v) if isinstance(v, str) and DATE_RE.fullmatch(v) else None


def _to_datetime(value: Any) -> FPDateTime | None:
    v = value_of(value)
    return FPDateTime(v) if isinstance(v, str) and DATETIME_RE.fullmatch(v) else None


def _math(what: str, fn: Callable[[Any], Any]) -> Builder:
    def run(inp: list[Any], env: Env) -> list[Any]:
        value = prim(single(inp, what))
        if value is None:
            return []
        if type(value) not in (int, Decimal):
            raise fail(f"{what} expects a number")
        return [fn(value)]

    return no_args(run)


STRING_FUNCTIONS: dict[str, tuple[int, int, Builder]] = {
    "startsWith": (1, 1, _string_fn("startsWith()", lambda s, p: s.startswith(p), 1)),
    "endsWith": (1, 1, _string_fn("endsWith()", lambda s, p: s.endswith(p), 1)),
    "contains": (1, 1, _string_fn("contains()", lambda s, p: p in s, 1)),
    "indexOf": (1, 1, _string_fn("indexOf()", lambda s, p: s.find(p), 1)),
    "upper": (0, 0, _string_fn("upper()", str.upper, 0)),
    "lower": (0, 0, _string_fn("lower()", str.lower, 0)),
    "trim": (0, 0, _string_fn("trim()", str.strip, 0)),
    "replace": (2, 2, _string_fn("replace()", lambda s, a, b: s.replace(a, b), 2)),
    # FHIRPath: matches() finds the regex anywhere (anchor with ^...$); matchesFull() is whole.
    "matches": (1, 1, _string_fn("matches()", lambda s, p: regex(p).search(s) is not None, 1)),
    "matchesFull": (
        1,
        1,
        _string_fn("matchesFull()", lambda s, p: regex(p).fullmatch(s) is not None, 1),
    ),
    "replaceMatches": (2, 2, _string_fn("replaceMatches()", _replace_matches, 2)),
    "substring": (1, 2, _substring),
    "length": (0, 0, no_args(_length)),
    "toChars": (0, 0, no_args(_to_chars)),
    "toInteger": (0, 0, _convert("toInteger()", to_integer, test=False)),
    "toDecimal": (0, 0, _convert("toDecimal()", to_decimal, test=False)),
    "toString": (0, 0, _convert("toString()", to_string, test=False)),
    "toBoolean": (0, 0, _convert("toBoolean()", to_boolean, test=False)),
    "toDate": (0, 0, _convert("toDate()", _to_date, test=False)),
    "toDateTime": (0, 0, _convert("toDateTime()", _to_datetime, test=False)),
    "convertsToInteger": (0, 0, _convert("convertsToInteger()", to_integer, test=True)),
    "convertsToDecimal": (0, 0, _convert("convertsToDecimal()", to_decimal, test=True)),
    "convertsToString": (0, 0, _convert("convertsToString()", to_string, test=True)),
    "convertsToBoolean": (0, 0, _convert("convertsToBoolean()", to_boolean, test=True)),
    "convertsToDate": (0, 0, _convert("convertsToDate()", _to_date, test=True)),
    "convertsToDateTime": (0, 0, _convert("convertsToDateTime()", _to_datetime, test=True)),
    "abs": (0, 0, _math("abs()", abs)),
    "ceiling": (
        0,
        0,
        _math("ceiling()", lambda v: int(Decimal(v).to_integral_value(ROUND_CEILING))),
    ),
    "floor": (0, 0, _math("floor()", lambda v: int(Decimal(v).to_integral_value(ROUND_FLOOR)))),
    "truncate": (0, 0, _math("truncate()", int)),
}
