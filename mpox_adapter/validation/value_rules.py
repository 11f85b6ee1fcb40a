"""Rules on an element's value: fixed, pattern, terminology binding, minValue, maxValue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mpox_adapter.validation.issues import Severity
from mpox_adapter.validation.structure import ElementNode
from mpox_adapter.validation.terminology import Membership
from mpox_adapter.validation.values import compare, equals_fixed, limit, matches_pattern

if TYPE_CHECKING:
    from mpox_adapter.validation.engine import _Run


def check_value_rules(run: _Run, value: Any, node: ElementNode, path: str, type_code: str) -> None:
    """fixed, pattern, binding, minValue and maxValue."""
    if node.fixed is not None and not equals_fixed(value, node.fixed):
        run.report(
            "error",
            "value",
            path,
            f"value must be exactly {_short(node.fixed)} (fixed by {node.profile_url})",
        )
    if node.pattern is not None and not matches_pattern(value, node.pattern):
        run.report(
            "error",
            "value",
            path,
            f"value must match the pattern {_short(node.pattern)} (from {node.profile_url})",
        )
    if node.binding is not None and node.binding.strength in ("required", "extensible"):
        _binding(run, value, node, path, type_code)
    if (
        node.min_value is not None
        and (order := compare(value, limit(node.min_value, -1, value))) is not None
        and order < 0
    ):
        run.report("error", "value", path, f"value is below the minimum {_short(node.min_value)}")
    if (
        node.max_value is not None
        and (order := compare(value, limit(node.max_value, +1, value))) is not None
        and order > 0
    ):
        run.report("error", "value", path, f"value is above the maximum {_short(node.max_value)}")


def _binding(run: _Run, value: Any, node: ElementNode, path: str, type_code: str) -> None:
    assert node.binding is not None
    value_set = node.binding.value_set
    if type_code in ("code", "string", "uri"):
        if not isinstance(value, str):
            return
        result = run.terminology.check(value_set, None, value)
        shown = value
    elif type_code == "Coding":
        codings = [(value.get("system"), value.get("code"))]
        result = run.terminology.check_codeable(value_set, codings)
        shown = f"{value.get('system')}|{value.get('code')}"
    elif type_code == "CodeableConcept":
        codings = [
            (c.get("system"), c.get("code")) for c in value.get("coding", []) if isinstance(c, dict)
        ]
        if not any(code for _, code in codings):
            if node.binding.strength == "required":
                run.report(
                    "error",
                    "code-invalid",
                    path,
                    f"no code given; a code from {value_set} is required",
                )
            return
        result = run.terminology.check_codeable(value_set, codings)
        shown = ", ".join(f"{s}|{c}" for s, c in codings)
    elif type_code == "Quantity" and isinstance(value, dict) and value.get("code"):
        result = run.terminology.check(value_set, value.get("system"), str(value["code"]))
        shown = f"{value.get('system')}|{value.get('code')}"
    else:
        return
    if result.membership is Membership.NOT_MEMBER:
        severity: Severity = "error" if node.binding.strength == "required" else "warning"
        run.report(
            severity,
            "code-invalid",
            path,
            f"{shown} is not in the value set {value_set} ({node.binding.strength} binding)",
        )
    elif result.membership is Membership.UNKNOWN and node.binding.strength == "required":
        run.report(
            "information",
            "not-supported",
            path,
            f"could not check {shown} against {value_set}: {result.reason}",
        )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
