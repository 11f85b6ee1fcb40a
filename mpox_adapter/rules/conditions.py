"""The condition language of the rule packs, compiled once into Python closures.

A condition is one of::

    {all: [c, ...]}            every one holds (an empty list holds)
    {any: [c, ...]}            at least one holds
    {not: c}                   c does not hold
    {fact: NAME}               the fact is true (a yes/no fact) or present and non-zero
    {rule: ID}                 the condition of definition rule ID holds
    {NAME: {OP: VALUE, ...}}   every comparison holds for the fact NAME

Comparisons by the kind of fact (see `context.NAMES`):

    bool   eq, ne (true, false or null)
    int    eq, ne, lt, le, gt, ge, in, not_in
    str    eq, ne, in, not_in
    date   within_days, within_weeks, within_months (on or before the assessment date and
           no more than N days / weeks / calendar months before it), eq, ne (null only)
    spans  in_last_days (required) with lt, le, gt, ge, eq on the largest count among the
           spans lying wholly in the last N days

A fact that is unknown (null) fails every comparison except `ne` and `not_in`, which it
passes, and `eq: null`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from mpox_adapter.rules.fhirdata import month_shift

Context = Mapping[str, Any]
Predicate = Callable[[Context], bool]
TODAY = "_today"

_ORDER = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}
_OPS = {
    "bool": {"eq", "ne"},
    "int": {"eq", "ne", "lt", "le", "gt", "ge", "in", "not_in"},
    "str": {"eq", "ne", "in", "not_in"},
    "date": {"within_days", "within_weeks", "within_months", "eq", "ne"},
    "spans": {"in_last_days", "eq", "lt", "le", "gt", "ge"},
}


class ConditionError(ValueError):
    """A condition that does not follow the language; the message says where."""


@dataclass(frozen=True, slots=True)
class Compiled:
    test: Predicate
    reads: frozenset[str]
    """Facts the condition looks at (their inputs support the decision)."""
    rules: frozenset[str]
    """Definition rules it refers to with `{rule: ID}`."""


def compile_condition(
    spec: Any,
    names: Mapping[str, str],
    definitions: Callable[[str], Compiled | None],
    where: str,
) -> Compiled:
    """Compile `spec`; `names` maps fact names to kinds, `definitions` finds {rule: ID}."""
    if not isinstance(spec, Mapping) or len(spec) != 1:
        raise ConditionError(
            f"{where}: a condition is a mapping with exactly one key, got {spec!r}"
        )
    ((key, value),) = spec.items()
    if key in ("all", "any"):
        if not isinstance(value, list):
            raise ConditionError(f"{where}.{key}: expected a list of conditions")
        parts = [
            compile_condition(v, names, definitions, f"{where}.{key}[{i}]")
            for i, v in enumerate(value)
        ]
        tests = tuple(p.test for p in parts)
        return Compiled(
            _every(tests) if key == "all" else _some(tests),
            frozenset().union(*(p.reads for p in parts)),
            frozenset().union(*(p.rules for p in parts)),
        )
    if key == "not":
        inner = compile_condition(value, names, definitions, f"{where}.not")
        inner_test = inner.test
        return Compiled(lambda ctx: not inner_test(ctx), inner.reads, inner.rules)
    if key == "fact":
        _kind(value, names, f"{where}.fact")
        return Compiled(lambda ctx: _truthy(ctx.get(value)), frozenset({value}), frozenset())
    if key == "rule":
        found = definitions(value) if isinstance(value, str) else None
        if found is None:
            raise ConditionError(f"{where}.rule: {value!r} is not a definition rule of this pack")
        return Compiled(found.test, found.reads, found.rules | {value})
    kind = _kind(key, names, where)
    if not isinstance(value, Mapping) or not value:
        raise ConditionError(f"{where}.{key}: expected a mapping of comparisons, e.g. {{lt: 18}}")
    return Compiled(_comparisons(key, kind, value, f"{where}.{key}"), frozenset({key}), frozenset())


def _every(tests: tuple[Predicate, ...]) -> Predicate:
    # Plain loops: a generator per call would cost a quarter of the engine's time.
    def test(ctx: Context) -> bool:
        for one in tests:  # noqa: SIM110 - see above
            if not one(ctx):
                return False
        return True

    return test


def _some(tests: tuple[Predicate, ...]) -> Predicate:
    def test(ctx: Context) -> bool:
        for one in tests:  # noqa: SIM110 - as in _every
            if one(ctx):
                return True
        return False

    return test


def _kind(name: Any, names: Mapping[str, str], where: str) -> str:
    if not isinstance(name, str) or name not in names:
        raise ConditionError(f"{where}: unknown fact {name!r}; known facts: {', '.join(names)}")
    return names[name]


def _truthy(value: Any) -> bool:
    return value is True if isinstance(value, bool) else bool(value)


def _comparisons(name: str, kind: str, spec: Mapping[str, Any], where: str) -> Predicate:
    unknown = set(spec) - _OPS[kind]
    if unknown:
        raise ConditionError(
            f"{where}: {', '.join(sorted(unknown))} cannot compare a {kind} fact; "
            f"use {', '.join(sorted(_OPS[kind]))}"
        )
    if kind == "spans":
        return _span_test(name, spec, where)
    tests = [_one(op, arg, kind, where) for op, arg in spec.items()]
    if len(tests) == 1:
        (only,) = tests
        return lambda ctx: only(ctx.get(name), ctx)
    return lambda ctx: all(t(ctx.get(name), ctx) for t in tests)


def _one(op: str, arg: Any, kind: str, where: str) -> Callable[[Any, Context], bool]:
    if op in ("in", "not_in"):
        if not isinstance(arg, list):
            raise ConditionError(f"{where}.{op}: expected a list")
        members = frozenset(arg)
        if op == "in":
            return lambda v, _: v is not None and v in members
        return lambda v, _: v is None or v not in members
    if kind == "date" and op.startswith("within_"):
        if not isinstance(arg, int) or isinstance(arg, bool) or arg < 0:
            raise ConditionError(f"{where}.{op}: expected a whole number")
        return _within(op, arg)
    if kind == "date" and arg is not None:
        raise ConditionError(f"{where}.{op}: a date fact compares with null only")
    if op == "eq":
        return lambda v, _: v == arg if arg is not None else v is None
    if op == "ne":
        return lambda v, _: v != arg if arg is not None else v is not None
    if not isinstance(arg, int | float) or isinstance(arg, bool):
        raise ConditionError(f"{where}.{op}: expected a number")
    compare = _ORDER[op]
    return lambda v, _: v is not None and compare(v, arg)


def _within(op: str, amount: int) -> Callable[[Any, Context], bool]:
    def start(today: date) -> date:
        if op == "within_months":
            return month_shift(today, -amount)
        days = amount * 7 if op == "within_weeks" else amount
        return today - timedelta(days)

    def test(value: Any, ctx: Context) -> bool:
        today: date = ctx[TODAY]
        return value is not None and start(today) <= value <= today

    return test


def _span_test(name: str, spec: Mapping[str, Any], where: str) -> Predicate:
    days = spec.get("in_last_days")
    if not isinstance(days, int) or isinstance(days, bool):
        raise ConditionError(f"{where}: spans need in_last_days: N")
    tests = [_one(op, arg, "int", where) for op, arg in spec.items() if op != "in_last_days"]

    def test(ctx: Context) -> bool:
        today: date = ctx[TODAY]
        earliest = today - timedelta(days)
        counts = [s.count for s in ctx.get(name) or () if s.start >= earliest]
        top = max(counts) if counts else None
        return all(t(top, ctx) for t in tests)

    return test
