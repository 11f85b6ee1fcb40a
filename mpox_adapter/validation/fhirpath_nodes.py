"""FHIRPath values over FHIR JSON: nodes, navigation, types, equality and ordering.

Collections are plain lists. An item is the JSON value itself (dict, str, int, float, bool)
unless it needs more than its value: a primitive with a ``_name`` sibling (extensions, id)
or a value reached through a choice element (``valueQuantity``: its type is only in the key)
becomes a `Node`. Wrapping only those keeps the common navigation free of allocations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

from mpox_adapter.errors import InputError


class FhirPathError(InputError):
    """An expression that cannot be parsed or compiled; `location` is the expression."""


class FhirPathEvaluationError(FhirPathError):
    """Evaluation failed: a type error, ``single()`` on many items, a bad regex, ...

    The HL7 validator reports an invariant whose evaluation throws as failed; so should we.
    """


@dataclass(slots=True)
class EvalContext:
    """What an expression sees besides its focus.

    `resolver` answers ``resolve()`` for references that are not ``#contained``;
    `member_of` answers ``memberOf(valueSet)`` (None: unknown, the result is empty);
    `conforms_to` answers ``conformsTo(profile)`` the same way. `focus_type` is the FHIR
    type of the focus when the caller knows it (``dateTime`` for an ``effectiveDateTime``).
    """

    resource: dict[str, Any]
    root_resource: dict[str, Any] | None = None
    resolver: Callable[[str], dict[str, Any] | None] | None = None
    member_of: Callable[[Any, str], bool | None] | None = None
    conforms_to: Callable[[Any, str], bool | None] | None = None
    focus_type: str | None = None


class Env:
    """Per-evaluation state: ``$this``, ``$index``, ``$total`` and the context."""

    __slots__ = ("ctx", "focus", "index", "this", "total")

    def __init__(self, ctx: EvalContext, focus: list[Any]) -> None:
        self.ctx = ctx
        self.focus = focus
        self.this = focus
        self.index: int | None = None
        self.total: list[Any] = []


class Node:
    """An item that needs more than its JSON value: the ``_name`` sibling and/or a type."""

    __slots__ = ("ext", "type", "value")

    def __init__(self, value: Any, ext: dict[str, Any] | None, type_: str | None) -> None:
        self.value = value
        self.ext = ext
        self.type = type_

    def __repr__(self) -> str:
        return f"Node({self.value!r}, {self.ext!r}, {self.type!r})"


Fn = Callable[[list[Any], Env], list[Any]]
Evaluator = Callable[[Any, EvalContext], list[Any]]


class Const:
    """A literal: builders can read `values` at compile time instead of calling it."""

    __slots__ = ("values",)

    def __init__(self, values: list[Any]) -> None:
        self.values = values

    def __call__(self, focus: list[Any], env: Env) -> list[Any]:
        return self.values


def constant_value(fn: Fn) -> tuple[bool, Any]:
    """(True, value) when `fn` is a literal of one item."""
    if isinstance(fn, Const) and len(fn.values) == 1:
        return True, fn.values[0]
    return False, None


def fail(message: str) -> FhirPathEvaluationError:
    return FhirPathEvaluationError(message)


# --- types -----------------------------------------------------------------------------

PRIMITIVE_SUFFIXES = frozenset(
    {"Base64Binary", "Boolean", "Canonical", "Code", "Date", "DateTime", "Decimal", "Id",
     "Instant", "Integer", "Markdown", "Oid", "PositiveInt", "String", "Time", "UnsignedInt",
     "Uri", "Url", "Uuid"}
)  # fmt: skip


def _load_choice_suffixes() -> dict[str, frozenset[str]]:
    # fhirpathpy ships the R4 choice elements (path -> type suffixes); we only need the names.
    text = resources.files("fhirpathpy").joinpath("models/r4/choiceTypePaths.json").read_text()
    table: dict[str, set[str]] = {}
    for path, suffixes in json.loads(text).items():
        table.setdefault(path.rsplit(".", 1)[-1], set()).update(suffixes)
    return {name: frozenset(s) for name, s in table.items()}


CHOICE_SUFFIXES = _load_choice_suffixes()

# FHIR type -> its base types that ``is``/``ofType`` must also accept.
_PARENTS: dict[str, tuple[str, ...]] = {
    "code": ("string",), "id": ("string",), "markdown": ("string",),
    "url": ("uri",), "canonical": ("uri",), "oid": ("uri",), "uuid": ("uri",),
    "positiveInt": ("integer",), "unsignedInt": ("integer",),
    "Age": ("Quantity",), "Count": ("Quantity",), "Distance": ("Quantity",),
    "Duration": ("Quantity",), "MoneyQuantity": ("Quantity",), "SimpleQuantity": ("Quantity",),
}  # fmt: skip
_STRINGISH = frozenset(
    {"string", "code", "id", "markdown", "uri", "url", "canonical", "oid", "uuid",
     "base64Binary", "xhtml"}
)  # fmt: skip
_NOT_DOMAIN = frozenset({"Bundle", "Binary", "Parameters"})


def suffix_type(suffix: str) -> str:
    """``DateTime`` (from ``onsetDateTime``) -> ``dateTime``; complex types keep their name."""
    return suffix[0].lower() + suffix[1:] if suffix in PRIMITIVE_SUFFIXES else suffix


class FPDate(str):
    """A FHIRPath Date (literal or ``today()``); JSON dates stay plain strings."""


class FPDateTime(str):
    """A FHIRPath DateTime."""


class FPTime(str):
    """A FHIRPath Time."""


TEMPORAL_TYPES: dict[type, str] = {FPDate: "date", FPDateTime: "dateTime", FPTime: "time"}

DATE_RE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
DATETIME_RE = re.compile(
    r"\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?"
)
INSTANT_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
TIME_RE = re.compile(r"\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?")


def type_of(item: Any) -> str | None:
    """The FHIR (or System, lower-cased) type of an item, None when JSON does not say."""
    if type(item) is Node:
        if item.type is not None:
            return item.type
        item = item.value
    t = type(item)
    if t is dict:
        rt = item.get("resourceType")
        return rt if isinstance(rt, str) else None
    if t is bool:
        return "boolean"
    if t is int:
        return "integer"
    if t is float or t is Decimal:
        return "decimal"
    return TEMPORAL_TYPES.get(t)


def is_type(item: Any, namespace: str | None, name: str) -> bool:
    """``item is [namespace.]name`` with FHIR subtyping; untyped JSON strings are duck-typed."""
    actual = type_of(item)
    if actual is None:
        value = value_of(item)
        if not isinstance(value, str):
            return False
        lowered = name[0].lower() + name[1:]
        if lowered in ("date", "dateTime", "instant", "time"):
            pattern = {"date": DATE_RE, "dateTime": DATETIME_RE, "instant": INSTANT_RE}
            return pattern.get(lowered, TIME_RE).fullmatch(value) is not None
        return lowered in _STRINGISH and (namespace != "System" or lowered == "string")
    if namespace == "System":
        return actual[0].upper() + actual[1:] == name
    if name in ("Resource", "DomainResource"):
        value = value_of(item)
        is_resource = type(value) is dict and "resourceType" in value
        return is_resource and (name == "Resource" or actual not in _NOT_DOMAIN)
    candidates = (actual, *_PARENTS.get(actual, ()))
    if name in candidates:
        return True
    # The HL7 validator matches type names case-insensitively: `answer is Boolean` (que-7).
    return name[0].islower() != actual[0].islower() and name.lower() in (
        c.lower() for c in candidates
    )


# --- values and navigation ---------------------------------------------------------------


def value_of(item: Any) -> Any:
    return item.value if type(item) is Node else item


def number(value: Any) -> Any:
    """JSON floats compare as the decimal they were written as: ``0.1 = 0.1`` holds."""
    return Decimal(repr(value)) if type(value) is float else value


def prim(item: Any) -> Any:
    if type(item) is Node:
        item = item.value
    return Decimal(repr(item)) if type(item) is float else item


def _pair(out: list[Any], value: Any, ext: Any, type_: str | None) -> None:
    """Add `value` with its ``_name`` sibling `ext`; arrays pair up by index."""
    if type(value) is list or type(ext) is list:
        values = value if type(value) is list else ([] if value is None else [value])
        exts = ext if type(ext) is list else []
        for i in range(max(len(values), len(exts))):
            v = values[i] if i < len(values) else None
            e = exts[i] if i < len(exts) else None
            if type(e) is dict:
                out.append(Node(v, e, type_))
            elif v is not None:
                out.append(v if type_ is None else Node(v, None, type_))
    elif type(ext) is dict or type_ is not None:
        out.append(Node(value, ext if type(ext) is dict else None, type_))
    elif value is not None:
        out.append(value)


def _choice(d: dict[str, Any], name: str, suffixes: frozenset[str], out: list[Any]) -> None:
    size = len(name)
    for key, value in d.items():
        if key.startswith(name):
            suffix = key[size:]
            if suffix in suffixes:
                _pair(out, value, d.get("_" + key), suffix_type(suffix))
        elif key.startswith(name, 1) and key[0] == "_":
            suffix = key[size + 1 :]
            if suffix in suffixes and key[1:] not in d:
                _pair(out, None, value, suffix_type(suffix))


def navigate(items: list[Any], name: str) -> list[Any]:
    """``items.name``: members of every item, arrays flattened, ``_name`` merged in."""
    return nav(items, name, "_" + name, CHOICE_SUFFIXES.get(name))


def member(name: str) -> Fn:
    """The step ``.name``, with a fast path for the usual input: one object."""
    uname = "_" + name
    suffixes = CHOICE_SUFFIXES.get(name)

    def step(items: list[Any], env: Env) -> list[Any]:
        if len(items) == 1 and type(items[0]) is dict:
            d = items[0]
            value = d.get(name)
            if d.get(uname) is None:
                if value is None:
                    out: list[Any] = []
                    if suffixes is not None:
                        _choice(d, name, suffixes, out)
                    return out
                if type(value) is list:
                    return [v for v in value if v is not None]
                return [value]
        return nav(items, name, uname, suffixes)

    return step


def nav(items: list[Any], name: str, uname: str, suffixes: frozenset[str] | None) -> list[Any]:
    """`navigate` with the ``_name`` key and the choice suffixes worked out in advance."""
    out: list[Any] = []
    for item in items:
        t = type(item)
        if t is dict:
            d = item
        elif t is Node:
            d = item.value
            if type(d) is not dict:
                # A primitive's only children are the id and extensions of its `_name` dict.
                if item.ext is not None and name in ("extension", "id"):
                    _pair(out, item.ext.get(name), None, None)
                continue
        else:
            continue
        value = d.get(name)
        ext = d.get(uname)
        if ext is None:
            if value is None:
                if suffixes is not None:
                    _choice(d, name, suffixes, out)
            elif type(value) is list:
                out.extend(v for v in value if v is not None)
            else:
                out.append(value)
        else:
            _pair(out, value, ext, None)
    return out


_NOT_ELEMENTS = frozenset({"resourceType", "_resourceType"})


def children(item: Any) -> list[Any]:
    if type(item) is Node:
        if type(item.value) is not dict:
            own = item.ext or {}
            return navigate([own], "id") + navigate([own], "extension")
        return children(item.value)
    if type(item) is not dict:
        return []
    out: list[Any] = []
    for key, value in item.items():
        if key in _NOT_ELEMENTS:
            continue
        if key.startswith("_"):
            if key[1:] not in item:
                _pair(out, None, value, None)
            continue
        ext = item.get("_" + key)
        if type(value) is list and ext is None:
            out.extend(v for v in value if v is not None)
        else:
            _pair(out, value, ext, None)
    return out


def count_children(item: Any) -> int:
    """``children().count()`` without building the children (ele-1 runs on every element)."""
    if type(item) is not dict:
        return len(children(item))
    total = 0
    for key, value in item.items():
        if key in _NOT_ELEMENTS:
            continue
        if key.startswith("_"):
            base = item.get(key[1:])
            # The value was counted on its own; its sibling may pair it or add more items.
            total += _paired(base, value) - _alone(base)
        elif type(value) is list:
            total += _alone(value)
        elif value is not None:
            total += 1
    return total


def _alone(value: Any) -> int:
    if type(value) is list:
        return len(value) - value.count(None)
    return 0 if value is None else 1


def _paired(value: Any, ext: Any) -> int:
    out: list[Any] = []
    _pair(out, value, ext, None)
    return len(out)


def descendants(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    stack = list(reversed(items))
    while stack:
        for child in reversed(children(stack.pop())):
            out.append(child)
            stack.append(child)
    return out


def has_value(item: Any) -> bool:
    value = value_of(item)
    return value is not None and type(value) is not dict


def export(items: list[Any]) -> list[Any]:
    """The public result, a fresh list: primitives as plain values (a value-less primitive
    as its ``_name`` object), FHIRPath dates as plain strings."""
    for x in items:
        if type(x) is Node or type(x) in TEMPORAL_TYPES:
            break
    else:
        return list(items)
    return [_plain(x) for x in items]


def _plain(item: Any) -> Any:
    if type(item) is Node:
        item = item.value if item.value is not None else item.ext
    return str.__str__(item) if type(item) in TEMPORAL_TYPES else item
