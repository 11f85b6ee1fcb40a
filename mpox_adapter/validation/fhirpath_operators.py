"""FHIRPath operators as closure builders: ``OPERATORS[op](left, right) -> Fn``.

Both operands see the same focus. ``and``/``or``/``implies`` skip their right operand when
the left one decides the answer, like the HL7 validator; so do ``=`` and the comparisons
when the left operand is empty (the answer is empty whatever the right side holds).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from mpox_adapter.validation.fhirpath_nodes import Env, Fn, fail, prim
from mpox_adapter.validation.fhirpath_values import (
    collection_equivalent,
    compare,
    distinct_items,
    equals,
    single,
    to_string,
    truth,
)

OperatorBuilder = Callable[[Fn, Fn], Fn]


def _equality(negate: bool) -> OperatorBuilder:
    def build(left: Fn, right: Fn) -> Fn:
        def run(focus: list[Any], env: Env) -> list[Any]:
            a = left(focus, env)
            if not a:
                return []
            b = right(focus, env)
            if not b:
                return []
            if len(a) == 1 and len(b) == 1:
                x, y = a[0], b[0]
                if type(x) is str and type(y) is str:
                    return [(x == y) is not negate]
                same = equals(x, y)
                return [] if same is None else [same is not negate]
            if len(a) != len(b):
                return [negate]
            for x, y in zip(a, b, strict=True):
                same = equals(x, y)
                if same is None:
                    return []
                if not same:
                    return [negate]
            return [not negate]

        return run

    return build


def _equivalence(negate: bool) -> OperatorBuilder:
    def build(left: Fn, right: Fn) -> Fn:
        return lambda focus, env: [
            collection_equivalent(left(focus, env), right(focus, env)) is not negate
        ]

    return build


def _comparison(test: Callable[[int], bool]) -> OperatorBuilder:
    def build(left: Fn, right: Fn) -> Fn:
        def run(focus: list[Any], env: Env) -> list[Any]:
            a = left(focus, env)
            if not a:
                return []
            b = right(focus, env)
            if not b:
                return []
            order = compare(single(a, "comparison"), single(b, "comparison"))
            return [] if order is None else [test(order)]

        return run

    return build


def _membership(item_on_left: bool) -> OperatorBuilder:
    def build(left: Fn, right: Fn) -> Fn:
        def run(focus: list[Any], env: Env) -> list[Any]:
            a, b = left(focus, env), right(focus, env)
            item, collection = (a, b) if item_on_left else (b, a)
            if not item:
                return []
            x = single(item, "in/contains")
            return [any(equals(x, y) is True for y in collection)]

        return run

    return build


def _and(left: Fn, right: Fn) -> Fn:
    def run(focus: list[Any], env: Env) -> list[Any]:
        a = truth(left(focus, env))
        if a is False:
            return [False]
        b = truth(right(focus, env))
        if b is False:
            return [False]
        return [True] if a and b else []

    return run


def _or(left: Fn, right: Fn) -> Fn:
    def run(focus: list[Any], env: Env) -> list[Any]:
        a = truth(left(focus, env))
        if a is True:
            return [True]
        b = truth(right(focus, env))
        if b is True:
            return [True]
        return [False] if a is False and b is False else []

    return run


def _xor(left: Fn, right: Fn) -> Fn:
    def run(focus: list[Any], env: Env) -> list[Any]:
        a = truth(left(focus, env))
        b = truth(right(focus, env))
        return [] if a is None or b is None else [a is not b]

    return run


def _implies(left: Fn, right: Fn) -> Fn:
    def run(focus: list[Any], env: Env) -> list[Any]:
        a = truth(left(focus, env))
        if a is False:
            return [True]
        b = truth(right(focus, env))
        if a is True:
            return [] if b is None else [b]
        return [True] if b is True else []

    return run


def _numbers(x: Any, y: Any, op: str) -> tuple[Any, Any]:
    if type(x) in (int, Decimal) and type(y) in (int, Decimal):
        return x, y
    raise fail(f"'{op}' needs numbers, got {type(x).__name__} and {type(y).__name__}")


def _add(x: Any, y: Any) -> Any:
    if isinstance(x, str) and isinstance(y, str):
        return x + y
    x, y = _numbers(x, y, "+")
    return x + y


def _divide(x: Any, y: Any) -> Any:
    x, y = _numbers(x, y, "/")
    return None if y == 0 else Decimal(x) / Decimal(y)


def _int_divide(x: Any, y: Any) -> Any:
    x, y = _numbers(x, y, "div")
    if y == 0:
        return None
    if type(x) is int and type(y) is int:
        q = abs(x) // abs(y)
        return q if (x >= 0) == (y >= 0) else -q
    return int(Decimal(x) // Decimal(y))


def _modulo(x: Any, y: Any) -> Any:
    x, y = _numbers(x, y, "mod")
    if y == 0:
        return None
    if type(x) is int and type(y) is int:
        r = abs(x) % abs(y)
        return r if x >= 0 else -r
    return Decimal(x) % Decimal(y)


def _arithmetic(
    fn: Callable[[Any, Any], Any], on_integers: Callable[[int, int], int] | None = None
) -> OperatorBuilder:
    def build(left: Fn, right: Fn) -> Fn:
        def run(focus: list[Any], env: Env) -> list[Any]:
            a = left(focus, env)
            b = right(focus, env)
            if on_integers is not None and len(a) == 1 and len(b) == 1:
                x, y = a[0], b[0]
                if type(x) is int and type(y) is int:
                    return [on_integers(x, y)]
            if not a or not b:
                return []
            x = prim(single(a, "arithmetic"))
            y = prim(single(b, "arithmetic"))
            if x is None or y is None:
                return []
            result = fn(x, y)
            return [] if result is None else [result]

        return run

    return build


def _concatenate(left: Fn, right: Fn) -> Fn:
    def text(col: list[Any]) -> str:
        item = single(col, "&")
        converted = "" if item is None else to_string(item)
        if converted is None:
            raise fail("'&' needs strings")
        return converted

    return lambda focus, env: [text(left(focus, env)) + text(right(focus, env))]


def _union(left: Fn, right: Fn) -> Fn:
    return lambda focus, env: distinct_items(left(focus, env) + right(focus, env))


def _multiply(x: Any, y: Any) -> Any:
    x, y = _numbers(x, y, "*")
    return x * y


def _subtract(x: Any, y: Any) -> Any:
    x, y = _numbers(x, y, "-")
    return x - y


OPERATORS: dict[str, OperatorBuilder] = {
    "=": _equality(negate=False),
    "!=": _equality(negate=True),
    "~": _equivalence(negate=False),
    "!~": _equivalence(negate=True),
    "<": _comparison(lambda c: c < 0),
    "<=": _comparison(lambda c: c <= 0),
    ">": _comparison(lambda c: c > 0),
    ">=": _comparison(lambda c: c >= 0),
    "in": _membership(item_on_left=True),
    "contains": _membership(item_on_left=False),
    "and": _and,
    "or": _or,
    "xor": _xor,
    "implies": _implies,
    "+": _arithmetic(_add, operator.add),
    "-": _arithmetic(_subtract, operator.sub),
    "*": _arithmetic(_multiply, operator.mul),
    "/": _arithmetic(_divide),
    "div": _arithmetic(_int_divide),
    "mod": _arithmetic(_modulo),
    "&": _concatenate,
    "|": _union,
}


def negate(operand: Fn) -> Fn:
    def run(focus: list[Any], env: Env) -> list[Any]:
        x = prim(single(operand(focus, env), "unary -"))
        if x is None:
            return []
        if type(x) not in (int, Decimal):
            raise fail("unary '-' needs a number")
        return [-x]

    return run
