"""The transform steps a mapping file may apply to a field, compiled once per mapping.

A step is a name (``trim``) or a one-key mapping with its options (``{date: {format: ...}}``).
Each compiled step takes a value and returns the new value, or raises `TransformError`.
`None` means "no value" and passes through every step untouched, so that optional fields
need no special casing; ``required`` on the field decides whether absence is an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from importlib.resources.abc import Traversable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mpox_adapter.errors import ConfigurationError
from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.mapping import identifiers
from mpox_adapter.mapping.conceptmaps import resolve

Step = Callable[[Any], Any]


class TransformError(ValueError):
    """A value the step cannot turn into what the mapping asks for."""

    def __init__(self, message: str, code: str = "value") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class StepContext:
    """What compiling a step may need: the mapping's defaults and the definitions."""

    def __init__(self, timezone: str, definitions: Definitions, base_dir: Traversable) -> None:
        self.timezone = timezone
        self.definitions = definitions
        self.base_dir = base_dir


def compile_steps(raw: list[Any], context: StepContext, where: str) -> list[Step]:
    steps = []
    for item in raw:
        if isinstance(item, str):
            name, options = item, None
        elif isinstance(item, dict) and len(item) == 1:
            name, options = next(iter(item.items()))
        else:
            raise ConfigurationError(
                f"{where}: a transform step is a name or a one-key mapping, got {item!r}"
            )
        factory = _FACTORIES.get(name)
        if factory is None:
            raise ConfigurationError(
                f"{where}: unknown transform {name!r} (known: {', '.join(sorted(_FACTORIES))})"
            )
        try:
            step = factory(options, context)
            steps.append(step if name in _WHOLE_LIST else _each(step))
        except (TypeError, ValueError, KeyError) as exc:
            raise ConfigurationError(f"{where}: transform {name!r}: {exc}") from exc
    return steps


def _each(step: Step) -> Step:
    """Apply a value step (made by `_none_safe`: every step outside _WHOLE_LIST is) to the
    value, or to every item of a list (one value per listed symptom, say)."""
    function: Step = step.on_value  # type: ignore[attr-defined]

    def over_values(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, list):
            return [
                out for item in value if item is not None and (out := function(item)) is not None
            ] or None
        return function(value)

    return over_values


def _none_safe(function: Step) -> Step:
    """`function` for a value that may be missing; `_each` calls `function` directly."""

    def step(value: Any) -> Any:
        return None if value is None else function(value)

    step.on_value = function  # type: ignore[attr-defined]
    return step


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _trim(_: Any, __: StepContext) -> Step:
    return _none_safe(lambda v: _text(v).strip() or None)


def _upper(_: Any, __: StepContext) -> Step:
    return _none_safe(lambda v: _text(v).upper())


def _lower(_: Any, __: StepContext) -> Step:
    return _none_safe(lambda v: _text(v).lower())


def _split(options: Any, _: StepContext) -> Step:
    separator = str(options)
    return _none_safe(
        lambda v: [part.strip() for part in _text(v).split(separator) if part.strip()] or None
    )


def _map(options: Any, _: StepContext) -> Step:
    if not isinstance(options, dict):
        raise ValueError("map needs a mapping of source values to results")
    table = {str(k): v for k, v in options.items()}

    def step(value: Any) -> Any:
        key = _text(value)
        if key not in table:
            raise TransformError(
                f"value {key!r} is not one of {', '.join(map(repr, table))}", "code-invalid"
            )
        return table[key]

    return _none_safe(step)


def _translate(options: Any, context: StepContext) -> Step:
    index = resolve(str(options), context.definitions, context.base_dir)

    def step(value: Any) -> Any:
        found = index.translate(_text(value))
        if found is None:
            raise TransformError(
                f"code {_text(value)!r} has no translation in {index.url}", "code-invalid"
            )
        return found.coding()

    return _none_safe(step)


def _integer(_: Any, __: StepContext) -> Step:
    def step(value: Any) -> int:
        if isinstance(value, bool):
            raise TransformError("expected a whole number, got a flag")
        if isinstance(value, int):
            return value
        text = _text(value).strip()
        if not re.fullmatch(r"[+-]?\d+", text):
            raise TransformError(f"{text!r} is not a whole number")
        return int(text)

    return _none_safe(step)


def _decimal(options: Any, _: StepContext) -> Step:
    comma = bool((options or {}).get("comma", False)) if isinstance(options, dict) else False

    def step(value: Any) -> float | int:
        if isinstance(value, bool):
            raise TransformError("expected a number, got a flag")
        if isinstance(value, int | float):
            return value
        text = _text(value).strip().replace(",", ".") if comma else _text(value).strip()
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise TransformError(f"{text!r} is not a number") from exc
        if not number.is_finite():
            raise TransformError(f"{text!r} is not a finite number")
        return (
            int(number)
            if number == number.to_integral_value() and "." not in text
            else float(number)
        )

    return _none_safe(step)


def _flag(options: Any, _: StepContext) -> Step:
    """y/n/unknown-style flags: true, false or None (unknown)."""
    options = options if isinstance(options, dict) else {}
    true = {s.casefold() for s in options.get("true", ["y", "yes", "j", "ja", "true", "1"])}
    false = {s.casefold() for s in options.get("false", ["n", "no", "nei", "nej", "false", "0"])}
    unknown = {
        s.casefold() for s in options.get("unknown", ["unknown", "u", "ukjent", "ukendt", ""])
    }

    def step(value: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        text = _text(value).strip().casefold()
        if text in true:
            return True
        if text in false:
            return False
        if text in unknown:
            return None
        raise TransformError(f"{text!r} is not a yes/no/unknown flag", "code-invalid")

    return _none_safe(step)


_HUMAN = {"%Y": "YYYY", "%m": "MM", "%d": "DD", "%H": "HH", "%M": "MM", "%S": "SS", "%z": "±HH:MM"}


def _human(fmt: str) -> str:
    """strftime codes as people write them: %d.%m.%Y -> DD.MM.YYYY."""
    if fmt == "iso":
        return "ISO 8601 with offset"
    return re.sub(r"%[YmdHMSz]", lambda m: _HUMAN[m.group(0)], fmt)


def _formats(options: Any, default: list[str]) -> list[str]:
    raw = options.get("format", default) if isinstance(options, dict) else default
    return [raw] if isinstance(raw, str) else list(raw)


def _date(options: Any, _: StepContext) -> Step:
    formats = _formats(options, ["%Y-%m-%d"])

    def step(value: Any) -> str:
        text = _text(value).strip()
        for fmt in formats:
            try:
                return _parse(text, fmt).date().isoformat()
            except ValueError:
                continue
        # The value is not repeated: it may be a date of birth.
        raise TransformError(f"not a valid date (expected {' or '.join(map(_human, formats))})")

    return _none_safe(step)


def _datetime(options: Any, context: StepContext) -> Step:
    formats = _formats(options, ["%Y-%m-%dT%H:%M:%S%z"])
    zone_name = (
        options.get("timezone", context.timezone) if isinstance(options, dict) else context.timezone
    )
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {zone_name!r}") from exc

    def step(value: Any) -> str:
        text = _text(value).strip()
        for fmt in formats:
            try:
                moment = _parse(text, fmt)
            except ValueError:
                continue
            # Local wall-clock times are in the source's zone; offsets in the data win.
            aware = moment if moment.tzinfo else moment.replace(tzinfo=zone)
            return aware.isoformat(timespec="seconds")
        raise TransformError(
            f"not a valid date and time (expected {' or '.join(map(_human, formats))})"
        )

    return _none_safe(step)


def _parse(text: str, fmt: str) -> datetime:
    # The common layouts get a fast path; strptime costs several microseconds a call.
    if fmt == "%Y-%m-%d" and len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time())
    if fmt == "%d.%m.%Y" and len(text) == 10 and text[2] == "." and text[5] == ".":
        return datetime(int(text[6:10]), int(text[3:5]), int(text[0:2]))
    if fmt == "iso":
        return datetime.fromisoformat(text)
    return datetime.strptime(text, fmt)


def _identifier(options: Any, _: StepContext) -> Step:
    options = options if isinstance(options, dict) else {}
    kinds = tuple(options.get("types", ["fnr", "dnr", "cpr"]))
    unknown = set(kinds) - set(identifiers.SYSTEMS)
    if unknown:
        raise ValueError(f"unknown identifier types {sorted(unknown)}")

    def step(value: Any) -> dict[str, str | None]:
        if isinstance(value, dict):  # named columns: {value: number column, type: type column}
            if value.get("value") is None:
                raise TransformError("no identity number given", "required")
            number, declared = _text(value["value"]), value.get("type")
            allowed = (
                (declared.strip().lower(),)
                if isinstance(declared, str) and declared.strip()
                else kinds
            )
            if not set(allowed) <= set(kinds):
                raise TransformError(
                    f"identifier type {declared!r} is not one of {', '.join(kinds)}", "code-invalid"
                )
        else:
            number, allowed = _text(value), kinds
        try:
            return identifiers.parse(number.strip(), allowed).as_dict()
        except identifiers.IdentifierError as exc:
            raise TransformError(str(exc)) from exc

    return _none_safe(step)


def _orgnr(_: Any, __: StepContext) -> Step:
    def step(value: Any) -> str:
        text = _text(value).strip()
        if not identifiers.valid_orgnr(text):
            raise TransformError("organisation number must be 9 digits with a valid check digit")
        return text

    return _none_safe(step)


def _pattern(options: Any, _: StepContext) -> Step:
    regex = re.compile(str(options))

    def step(value: Any) -> str:
        text = _text(value)
        if not regex.fullmatch(text):
            raise TransformError(f"value does not have the expected form ({regex.pattern})")
        return text

    return _none_safe(step)


def _default(options: Any, _: StepContext) -> Step:
    return lambda value: options if value is None else value


def _present(options: Any, _: StepContext) -> Step:
    """From named columns (``from: {rash: rash, other: other_symptoms}``): the names whose
    flag is yes, plus the items of list columns, in order."""
    options = options if isinstance(options, dict) else {}
    lists = {str(name): str(sep) for name, sep in (options.get("lists") or {}).items()}
    yes = _flag(None, None)  # type: ignore[arg-type]

    def step(value: Any) -> list[str] | None:
        if not isinstance(value, dict):
            raise TransformError("present needs named columns (`from` as a mapping)")
        found: list[str] = []
        for name, item in value.items():
            if item is None:
                continue
            if name in lists:
                found.extend(part.strip() for part in str(item).split(lists[name]) if part.strip())
            elif yes(item):
                found.append(name)
        return found or None

    return _none_safe(step)


def _days(options: Any, _: StepContext) -> Step:
    """Move an ISO date by a number of days (``days: -21`` for "21 days before onset")."""
    shift = timedelta(days=int(options))

    def step(value: Any) -> str:
        try:
            return (date.fromisoformat(_text(value)[:10]) + shift).isoformat()
        except ValueError as exc:
            raise TransformError("not an ISO date") from exc

    return _none_safe(step)


_FACTORIES: dict[str, Callable[[Any, StepContext], Step]] = {
    "trim": _trim,
    "upper": _upper,
    "lower": _lower,
    "split": _split,
    "map": _map,
    "translate": _translate,
    "integer": _integer,
    "decimal": _decimal,
    "flag": _flag,
    "date": _date,
    "datetime": _datetime,
    "identifier": _identifier,
    "orgnr": _orgnr,
    "pattern": _pattern,
    "default": _default,
    "present": _present,
    "days": _days,
}
# Steps that take the whole value even when it is a list.
_WHOLE_LIST = frozenset({"split", "present", "default"})

TRANSFORMS = tuple(sorted(_FACTORIES))
