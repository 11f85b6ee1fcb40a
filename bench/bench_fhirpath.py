"""FHIRPath invariants: the compiled evaluator against fhirpathpy, per evaluation.

Three typical invariants: a conditional on a resource, ele-1 (on every element of every
resource) and a check-digit rule (the first control digit of a Norwegian national identity
number) that is heavy on substring/toInteger/mod.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fhirpathpy
import pytest
from fhirpathpy.models import models

from mpox_adapter.validation.fhirpath import EvalContext, compile_expression, is_true
from mpox_adapter.validation.fhirpath_fallback import OPTIONS, fhirpathpy_focus

IMMUNIZATION: dict[str, Any] = {
    "resourceType": "Immunization",
    "id": "i1",
    "status": "completed",
    "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "206"}]},
    "patient": {"reference": "Patient/p1"},
    "occurrenceDateTime": "2022-08-01",
    "route": {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration",
                "code": "SC",
            }
        ]
    },
    "doseQuantity": {
        "value": 0.5,
        "unit": "mL",
        "system": "http://unitsofmeasure.org",
        "code": "mL",
    },
}
IDENTIFIER: dict[str, Any] = {"system": "urn:oid:2.16.578.1.12.4.1.4.1", "value": "13116900216"}

DIGITS = " + ".join(
    f"{weight} * value.substring({i}, 1).toInteger()"
    for i, weight in enumerate((3, 7, 6, 1, 8, 9, 4, 5, 2))
)
# (invariant, focus, its type for fhirpathpy's model)
CASES: dict[str, tuple[str, Any, str]] = {
    "conditional": (
        "status = 'completed' implies (route.exists() and doseQuantity.exists())",
        IMMUNIZATION,
        "Immunization",
    ),
    "ele-1": (
        "hasValue() or (children().count() > id.count())",
        IMMUNIZATION["vaccineCode"]["coding"][0],
        "Coding",
    ),
    "check-digit": (
        f"value.matches('^[0-9]{{11}}$') and "
        f"(11 - (({DIGITS}) mod 11)) mod 11 = value.substring(9, 1).toInteger()",
        IDENTIFIER,
        "Identifier",
    ),
}
CONTEXT = EvalContext(resource=IMMUNIZATION)


def _fhirpathpy(expression: str, type_name: str) -> Callable[[Any], list[Any]]:
    compiled = fhirpathpy.compile(expression, model=models["r4"], options=OPTIONS)
    variables = {"resource": IMMUNIZATION, "rootResource": IMMUNIZATION}
    return lambda focus: compiled(fhirpathpy_focus(focus, type_name), variables)


@pytest.mark.parametrize("case", CASES)
def test_compiled(benchmark: Any, case: str) -> None:
    expression, focus, _ = CASES[case]
    evaluate = compile_expression(expression)
    assert is_true(benchmark(evaluate, focus, CONTEXT))


@pytest.mark.parametrize("case", CASES)
def test_fhirpathpy(benchmark: Any, case: str) -> None:
    expression, focus, type_name = CASES[case]
    evaluate = _fhirpathpy(expression, type_name)
    assert is_true(benchmark(evaluate, focus))
