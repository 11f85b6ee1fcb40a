"""FHIR R4 primitive types: JSON shape, lexical form and value range.

The regular expressions are the ones the R4 specification publishes for each type (the
``regex`` extension on ``<type>.value`` in the core StructureDefinitions); dates are also
checked against the calendar, which a regular expression cannot do.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date
from typing import Any

_YEAR = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
_MONTH = r"(0[1-9]|1[0-2])"
_DAY = r"(0[1-9]|[1-2][0-9]|3[0-1])"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"
_ZONE = r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"

_PATTERNS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "date": rf"{_YEAR}(-{_MONTH}(-{_DAY})?)?",
        "dateTime": rf"{_YEAR}(-{_MONTH}(-{_DAY}(T{_TIME}{_ZONE})?)?)?",
        "instant": rf"{_YEAR}-{_MONTH}-{_DAY}T{_TIME}{_ZONE}",
        "time": _TIME,
        "code": r"[^\s]+( [^\s]+)*",
        "id": r"[A-Za-z0-9\-\.]{1,64}",
        "oid": r"urn:oid:[0-2](\.(0|[1-9][0-9]*))+",
        "uuid": r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "uri": r"\S*",
        "url": r"\S*",
        "canonical": r"\S*",
        "base64Binary": r"(\s*([0-9a-zA-Z\+/=]){4}\s*)+",
        "string": r"[ \r\n\t\S]+",
        "markdown": r"[ \r\n\t\S]+",
    }.items()
}

_INT32 = (-(2**31), 2**31 - 1)
MAX_STRING_CHARS = 1024 * 1024

PRIMITIVE_TYPES = frozenset(
    {"boolean", "integer", "string", "decimal", "uri", "url", "canonical", "base64Binary",
     "instant", "date", "dateTime", "time", "code", "oid", "id", "markdown", "unsignedInt",
     "positiveInt", "uuid", "xhtml"}
)  # fmt: skip

# The type codes ElementDefinitions use for the ``value`` of primitives and for ``id``.
_SYSTEM_TYPES = {
    "http://hl7.org/fhirpath/System.String": "string",
    "http://hl7.org/fhirpath/System.Boolean": "boolean",
    "http://hl7.org/fhirpath/System.Integer": "integer",
    "http://hl7.org/fhirpath/System.Decimal": "decimal",
    "http://hl7.org/fhirpath/System.Date": "date",
    "http://hl7.org/fhirpath/System.DateTime": "dateTime",
    "http://hl7.org/fhirpath/System.Time": "time",
}


def normalise_type(code: str) -> str:
    return _SYSTEM_TYPES.get(code, code)


def check(type_code: str, value: Any) -> str | None:
    """Why `value` is not a valid JSON `type_code` (a normalised FHIR type code), or None."""
    return _CHECKERS.get(type_code, _check_string_like)(type_code, value)


def _check_boolean(_: str, value: Any) -> str | None:
    return None if isinstance(value, bool) else f"expected a JSON boolean, got {json_kind(value)}"


def _check_integer(type_code: str, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            return f"expected a JSON integer for {type_code}, got {json_kind(value)}"
    low = {"unsignedInt": 0, "positiveInt": 1}.get(type_code, _INT32[0])
    if not low <= value <= _INT32[1]:
        return f"{value} is out of range for {type_code} ({low}..{_INT32[1]})"
    return None


def _check_decimal(_: str, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"expected a JSON number for decimal, got {json_kind(value)}"
    if math.isnan(value) or math.isinf(value):
        return "decimal must be a finite number"
    return None


def _check_string_like(type_code: str, value: Any) -> str | None:
    if not isinstance(value, str):
        return f"expected a JSON string for {type_code}, got {json_kind(value)}"
    if not value:
        return f"{type_code} values must not be empty (omit the element instead)"
    if len(value) > MAX_STRING_CHARS:
        return f"{type_code} longer than {MAX_STRING_CHARS} characters"
    if value != value.strip() and type_code not in ("string", "markdown"):
        return f"{type_code} must not have leading or trailing whitespace"
    pattern = _PATTERNS.get(type_code)
    if pattern is not None and not pattern.fullmatch(value):
        return (
            f"{value!r} is not a valid {type_code}"
            if len(value) < 80
            else f"not a valid {type_code}"
        )
    if type_code in ("date", "dateTime", "instant") and not _real_date(value):
        return f"{value!r} is not a calendar date"
    return None


def _check_xhtml(_: str, value: Any) -> str | None:
    if not isinstance(value, str):
        return f"expected a JSON string for xhtml, got {json_kind(value)}"
    stripped = value.lstrip()
    if not stripped.startswith("<div") or 'xmlns="http://www.w3.org/1999/xhtml"' not in stripped:
        return 'narrative must be a <div> in the XHTML namespace (xmlns="http://www.w3.org/1999/xhtml")'
    return None


def _real_date(value: str) -> bool:
    if len(value) < 10:
        return True
    try:
        date(int(value[0:4]), int(value[5:7]), int(value[8:10]))
    except ValueError:
        return False
    return True


def json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else type(value).__name__


_CHECKERS: dict[str, Callable[[str, Any], str | None]] = {
    "boolean": _check_boolean,
    "integer": _check_integer,
    "unsignedInt": _check_integer,
    "positiveInt": _check_integer,
    "decimal": _check_decimal,
    "xhtml": _check_xhtml,
}
