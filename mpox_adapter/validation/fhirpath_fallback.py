"""The fallback: fhirpathpy evaluates what the compiler does not know.

It is ~20x slower and differs in places (a primitive and its ``_name`` sibling are two
nodes there), so the compiler should cover every expression a profile is likely to hold;
`mpox_adapter.validation.fhirpath.fallback_reasons` lists what falls back.
"""

from __future__ import annotations

import re
from typing import Any

from mpox_adapter.validation.fhirpath_nodes import (
    EvalContext,
    Evaluator,
    FhirPathError,
    FhirPathEvaluationError,
    Node,
)

CONSTANTS = {
    "ucum": "http://unitsofmeasure.org",
    "sct": "http://snomed.info/sct",
    "loinc": "http://loinc.org",
}
PREFIXES = {
    "vs-": "http://hl7.org/fhir/ValueSet/",
    "ext-": "http://hl7.org/fhir/StructureDefinition/",
    "cs-": "http://hl7.org/fhir/",
}

_VARIABLE_RE = re.compile(r"%`((?:vs|ext|cs)-[^`]+)`")


def _has_value(inputs: list[Any]) -> bool:
    return len(inputs) == 1 and inputs[0] is not None and not isinstance(inputs[0], dict | list)


# fhirpathpy lacks hasValue() and htmlChecks(); its trace() prints to stdout.
OPTIONS: dict[str, Any] = {
    "userInvocationTable": {
        "hasValue": {"fn": _has_value},
        "htmlChecks": {"fn": lambda inputs: True},
    },
    "traceFn": lambda label, items: None,
}


def fhirpathpy_focus(focus: Any, type_name: str | None) -> Any:
    """The focus as fhirpathpy wants it: typed by its path, so that its model applies."""
    from fhirpathpy.engine.nodes import ResourceNode

    node_class: Any = ResourceNode  # untyped
    ext = None
    if isinstance(focus, Node):
        type_name = type_name or focus.type
        focus, ext = focus.value, focus.ext
    if (type_name is None and ext is None) or (isinstance(focus, dict) and "resourceType" in focus):
        return focus  # fhirpathpy types resources itself, and filters `Patient.x` on dicts only
    return node_class.create_node(focus, type_name, _data=ext)


def fallback(expression: str) -> Evaluator:
    import fhirpathpy
    from fhirpathpy.engine.nodes import FP_Type
    from fhirpathpy.models import models

    compiled = fhirpathpy.compile(expression, model=models["r4"], options=OPTIONS)
    variables: dict[str, Any] = dict(CONSTANTS)
    for name in _VARIABLE_RE.findall(expression):
        prefix = name.split("-", 1)[0] + "-"
        variables[name] = PREFIXES[prefix] + name[len(prefix) :]

    def evaluate(focus: Any, ctx: EvalContext) -> list[Any]:
        env = {
            **variables,
            "resource": ctx.resource,
            "rootResource": ctx.root_resource or ctx.resource,
            "context": focus,
        }
        try:
            result = compiled(fhirpathpy_focus(focus, ctx.focus_type), env)
        except FhirPathError:
            raise
        except Exception as exc:  # fhirpathpy signals every problem with a bare Exception
            raise FhirPathEvaluationError(f"evaluation failed: {exc}", expression) from exc
        return [str(x) if isinstance(x, FP_Type) else x for x in result]

    return evaluate
