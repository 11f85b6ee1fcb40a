"""Validation against the base R4 definitions alone: structure, cardinality, primitives,
choice types, required bindings, invariants and references inside a Bundle."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.validation.engine import Validator
from mpox_adapter.validation.issues import Issue

IMMUNIZATION: dict[str, Any] = {
    "resourceType": "Immunization",
    "id": "imm-1",
    "status": "completed",
    "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "206"}]},
    "patient": {"reference": "Patient/p1"},
    "occurrenceDateTime": "2024-05-02T10:15:00+02:00",
    "lotNumber": "FDG1234",
    "route": {"coding": [{"system": "http://snomed.info/sct", "code": "372464004"}]},
    "doseQuantity": {
        "value": 0.1,
        "unit": "mL",
        "system": "http://unitsofmeasure.org",
        "code": "mL",
    },
    "protocolApplied": [{"doseNumberPositiveInt": 1}],
}


@pytest.fixture(scope="module")
def validator(definitions: Definitions) -> Validator:
    return Validator(definitions)


def errors(issues: list[Issue]) -> list[tuple[str, str]]:
    return [(i.code, i.expression) for i in issues if i.is_error]


def with_change(**changes: Any) -> dict[str, Any]:
    resource = copy.deepcopy(IMMUNIZATION)
    for key, value in changes.items():
        if value is None:
            resource.pop(key, None)
        else:
            resource[key] = value
    return resource


def test_a_valid_immunization_has_no_errors(validator: Validator) -> None:
    assert errors(validator.issues(IMMUNIZATION)) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"status": None}, ("required", "Immunization.status")),
        ({"vaccineCode": None}, ("required", "Immunization.vaccineCode")),
        ({"occurrenceDateTime": None}, ("required", "Immunization.occurrence")),
        ({"status": "given"}, ("code-invalid", "Immunization.status")),
        ({"flavour": "strawberry"}, ("structure", "Immunization.flavour")),
        (
            {"occurrenceDateTime": "2024-02-30"},
            ("value", "Immunization.occurrence.ofType(dateTime)"),
        ),
        (
            {"occurrenceDateTime": "2024-05-02T10:15:00"},
            ("value", "Immunization.occurrence.ofType(dateTime)"),
        ),
        (
            {"occurrenceBoolean": True, "occurrenceDateTime": None},
            ("structure", "Immunization.occurrence"),
        ),
        ({"lotNumber": ""}, ("value", "Immunization.lotNumber")),
        ({"lotNumber": 12}, ("value", "Immunization.lotNumber")),
        ({"identifier": {"value": "x"}}, ("structure", "Immunization.identifier")),
        ({"patient": [{"reference": "Patient/p1"}]}, ("structure", "Immunization.patient")),
        (
            {"protocolApplied": [{"doseNumberPositiveInt": 0}]},
            ("value", "Immunization.protocolApplied[0].doseNumber.ofType(positiveInt)"),
        ),
        ({"protocolApplied": [{}]}, ("invariant", "Immunization.protocolApplied[0]")),
        ({"patient": {"reference": "Observation/o1"}}, ("structure", "Immunization.patient")),
        ({"doseQuantity": {"value": "0.1"}}, ("value", "Immunization.doseQuantity.value")),
    ],
    ids=[
        "missing-status",
        "missing-vaccineCode",
        "missing-occurrence",
        "status-not-in-valueset",
        "unknown-element",
        "impossible-date",
        "datetime-without-zone",
        "choice-type-not-allowed",
        "empty-string",
        "number-for-string",
        "object-for-array",
        "array-for-object",
        "positiveInt-zero",
        "empty-object",
        "reference-wrong-type",
        "decimal-as-string",
    ],
)
def test_each_kind_of_base_error_is_located(
    validator: Validator, changes: dict[str, Any], expected: tuple[str, str]
) -> None:
    found = errors(validator.issues(with_change(**changes)))
    assert expected in found, found


def test_primitive_extension_sibling_counts_once(validator: Validator) -> None:
    resource = with_change(
        lotNumber="A1",
        _lotNumber={"extension": [{"url": "http://example.org/x", "valueString": "y"}]},
    )
    assert errors(validator.issues(resource)) == []
    only_extension = with_change(
        lotNumber=None,
        _lotNumber={"extension": [{"url": "http://example.org/x", "valueString": "y"}]},
    )
    assert errors(validator.issues(only_extension)) == []
    empty = with_change(lotNumber=None, _lotNumber={})
    assert ("invariant", "Immunization.lotNumber") in errors(validator.issues(empty))


def test_extension_must_have_value_or_extensions_not_both(validator: Validator) -> None:
    both = with_change(
        extension=[
            {
                "url": "http://example.org/x",
                "valueString": "a",
                "extension": [{"url": "y", "valueString": "b"}],
            }
        ]
    )
    assert ("invariant", "Immunization.extension[0]") in errors(validator.issues(both))


def test_not_an_object_and_missing_resource_type(validator: Validator) -> None:
    assert errors(validator.issues([1, 2])) == [("structure", "")]
    assert errors(validator.issues({"id": "x"})) == [("required", "Resource")]
    assert errors(validator.issues({"resourceType": "Frobnicator"})) == [
        ("structure", "Frobnicator")
    ]


def test_bundle_entries_and_urn_uuid_references(validator: Validator) -> None:
    patient = {"resourceType": "Patient", "birthDate": "1990-03-15"}
    immunization = with_change(
        patient={"reference": "urn:uuid:8c2b3f4e-0000-4000-8000-000000000001"}
    )
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:8c2b3f4e-0000-4000-8000-000000000001",
                "resource": patient,
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "fullUrl": "urn:uuid:8c2b3f4e-0000-4000-8000-000000000002",
                "resource": immunization,
                "request": {"method": "POST", "url": "Immunization"},
            },
        ],
    }
    assert errors(validator.issues(bundle)) == []
    dangling = copy.deepcopy(bundle)
    dangling["entry"][1]["resource"]["patient"]["reference"] = (
        "urn:uuid:8c2b3f4e-0000-4000-8000-00000000dead"
    )
    assert ("not-found", "Bundle.entry[1].resource.patient") in errors(validator.issues(dangling))
    wrong_type = copy.deepcopy(bundle)
    wrong_type["entry"][0]["resource"] = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "x"},
    }
    assert ("structure", "Bundle.entry[1].resource.patient") in errors(validator.issues(wrong_type))


def test_contained_resources_must_be_referenced(validator: Validator) -> None:
    resource = with_change(contained=[{"resourceType": "Patient", "id": "p"}])
    assert ("invariant", "Immunization") in errors(validator.issues(resource))
    resource["patient"] = {"reference": "#p"}
    assert errors(validator.issues(resource)) == []


def test_absurd_nesting_is_reported_not_crashed(validator: Validator) -> None:
    deep: dict[str, Any] = {"url": "http://example.org/e", "valueString": "x"}
    for _ in range(200):
        deep = {"url": "http://example.org/e", "extension": [deep]}
    found = validator.issues(with_change(extension=[deep]))
    assert any(i.code == "too-costly" for i in found)


def test_order_is_deterministic(validator: Validator) -> None:
    broken = with_change(status="given", flavour="x", lotNumber="")
    assert validator.issues(broken) == validator.issues(copy.deepcopy(broken))
