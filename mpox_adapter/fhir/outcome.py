"""Build FHIR OperationOutcome resources, the one shape every error answer takes."""

from __future__ import annotations

from typing import Any, Literal

Severity = Literal["fatal", "error", "warning", "information"]


def issue(
    severity: Severity,
    code: str,
    diagnostics: str,
    expression: str | None = None,
) -> dict[str, Any]:
    """One OperationOutcome issue; `code` is from the FHIR IssueType value set."""
    item: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        item["expression"] = [expression]
    return item


def operation_outcome(*issues: dict[str, Any]) -> dict[str, Any]:
    """An OperationOutcome; an empty one says 'all fine', as FHIR requires at least one issue."""
    return {
        "resourceType": "OperationOutcome",
        "issue": list(issues) or [issue("information", "informational", "No issues detected")],
    }


def has_errors(outcome: dict[str, Any]) -> bool:
    return any(item.get("severity") in ("error", "fatal") for item in outcome.get("issue", []))
