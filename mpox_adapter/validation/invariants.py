"""FHIRPath invariants (ElementDefinition.constraint), evaluated fast.

Five invariants of the base specification sit on nearly every element (ele-1, ext-1) or
every resource (dom-2 to dom-5). The walker already sees every element, so these are
checked natively, and only when the constraint carries the exact core expression: a
profile that reuses a key with another expression gets that expression evaluated.
Everything else goes through the compiled FHIRPath evaluator.

dom-6 (a resource should have a narrative) is a best-practice guideline that every
resource this adapter produces would trip; it is not reported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mpox_adapter.checkdigits import FNR_FIRST, FNR_SECOND, identity_number_digits_match
from mpox_adapter.validation.fhirpath import EvalContext, compile_expression, is_true
from mpox_adapter.validation.fhirpath_strings import regex

NativeCheck = Callable[[Any, EvalContext], bool]

ELE_1 = "hasValue() or (children().count() > id.count())"
EXT_1 = "extension.exists() != value.exists()"
DOM_6 = "text.`div`.exists()"


def _ext_1(focus: Any, _: EvalContext) -> bool:
    if not isinstance(focus, dict):
        return True
    has_value = any(key.startswith("value") and len(key) > 5 and key[5].isupper() for key in focus)
    return bool(focus.get("extension")) != has_value


def _contained(focus: Any) -> list[dict[str, Any]]:
    items = focus.get("contained", []) if isinstance(focus, dict) else []
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _dom_2(focus: Any, _: EvalContext) -> bool:
    return not any(item.get("contained") for item in _contained(focus))


def _dom_4(focus: Any, _: EvalContext) -> bool:
    for item in _contained(focus):
        meta = item.get("meta")
        if isinstance(meta, dict) and ("versionId" in meta or "lastUpdated" in meta):
            return False
    return True


def _dom_5(focus: Any, _: EvalContext) -> bool:
    for item in _contained(focus):
        meta = item.get("meta")
        if isinstance(meta, dict) and meta.get("security"):
            return False
    return True


def _dom_3(focus: Any, _: EvalContext) -> bool:
    contained = _contained(focus)
    if not contained:
        return True
    references: set[str] = set()
    _collect_local_references(focus, references, top=True)
    if "#" in references:
        return True
    return all(f"#{item.get('id')}" in references for item in contained)


def _collect_local_references(node: Any, found: set[str], top: bool = False) -> None:
    # Any string starting with '#' may be a local reference (Reference.reference, canonical, uri).
    if isinstance(node, dict):
        for key, value in node.items():
            if top and key == "contained":
                for item in value if isinstance(value, list) else []:
                    _collect_local_references(item, found)
                continue
            _collect_local_references(value, found)
    elif isinstance(node, list):
        for item in node:
            _collect_local_references(item, found)
    elif isinstance(node, str) and node.startswith("#"):
        found.add(node)


def _norwegian_identity_number(day_pattern: str, expression: str) -> NativeCheck:
    """The mpox-fnr and mpox-dnr invariants of our Patient profile, which every Norwegian
    record meets: 40 µs each through FHIRPath, under 2 µs here. Equal to the FHIRPath on every
    input (tests/unit/validation/test_invariants_native.py checks them side by side)."""
    shape = regex(f"^({day_pattern})(0[1-9]|1[0-2]|8[1-9]|9[0-2])[0-9]{{7}}$")
    compiled = compile_expression(expression)

    def check(focus: Any, context: EvalContext) -> bool:
        value = focus.get("value") if isinstance(focus, dict) else None
        if not isinstance(value, str):  # none, or malformed: rare, and FHIRPath decides
            return is_true(compiled(focus, context))
        if shape.search(value) is None:
            return False
        return identity_number_digits_match([int(c) for c in value[:11]])

    return check


def _identity_number_expression(day_pattern: str) -> str:

    def weighted(weights: tuple[int, ...]) -> str:
        return " + ".join(
            f"{w} * value.substring({i}, 1).toInteger()" for i, w in enumerate(weights)
        )

    return (
        f"value.matches('^({day_pattern})(0[1-9]|1[0-2]|8[1-9]|9[0-2])[0-9]{{7}}$') and "
        f"(11 - (({weighted(FNR_FIRST)}) mod 11)) mod 11 = value.substring(9, 1).toInteger() and "
        f"(11 - (({weighted(FNR_SECOND)}) mod 11)) mod 11 = value.substring(10, 1).toInteger()"
    )


FNR_DAYS = "0[1-9]|[12][0-9]|3[01]"
DNR_DAYS = "4[1-9]|[56][0-9]|7[01]"
MPOX_FNR = _identity_number_expression(FNR_DAYS)
MPOX_DNR = _identity_number_expression(DNR_DAYS)

_NATIVE: dict[str, NativeCheck] = {
    MPOX_FNR: _norwegian_identity_number(FNR_DAYS, MPOX_FNR),
    MPOX_DNR: _norwegian_identity_number(DNR_DAYS, MPOX_DNR),
    EXT_1: _ext_1,
    "contained.contained.empty()": _dom_2,
    "contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()": _dom_4,
    "contained.meta.security.empty()": _dom_5,
}
_SKIPPED = frozenset({ELE_1, DOM_6})


def is_native_dom_3(expression: str) -> bool:
    return expression.startswith("contained.where((('#'+id in (%resource.descendants().reference")


def checker(expression: str) -> NativeCheck | None:
    """A callable that returns True when the invariant holds; None when the walker already
    enforces it (ele-1) or it is deliberately not reported (dom-6)."""
    if expression in _SKIPPED:
        return None
    native = _NATIVE.get(expression)
    if native is not None:
        return native
    if is_native_dom_3(expression):
        return _dom_3
    compiled = compile_expression(expression)

    def evaluate(focus: Any, context: EvalContext) -> bool:
        return is_true(compiled(focus, context))

    return evaluate
