"""Replayed verdicts on element subtrees must equal a fresh walk, at the new place."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.validation.engine import Validator
from mpox_adapter.validation.issues import Issue
from mpox_adapter.validation.memo import InvariantMemo, SubtreeMemo, uses_context

BAD_CODING = {"system": "http://snomed.info/sct", "code": "372464004", "userSelected": "yes"}


def immunization(**changes: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Immunization",
        "status": "completed",
        "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "206"}]},
        "patient": {"reference": "Patient/p1"},
        "occurrenceDateTime": "2024-05-02",
    }
    resource.update(changes)
    return resource


def found(issues: list[Issue]) -> list[tuple[str, str, str]]:
    return [(i.severity, i.code, i.expression) for i in issues]


@pytest.fixture
def validator(definitions: Definitions) -> Validator:
    return Validator(definitions)


def test_a_replayed_error_is_reported_at_its_new_place(validator: Validator) -> None:
    first = validator.issues(immunization(route={"coding": [BAD_CODING]}))
    second = validator.issues(
        immunization(
            site={"coding": [{"code": "x"}]}, route={"coding": [{"code": "y"}, BAD_CODING]}
        )
    )
    assert ("error", "value", "Immunization.route.coding[0].userSelected") in found(first)
    assert ("error", "value", "Immunization.route.coding[1].userSelected") in found(second)
    assert ("error", "value", "Immunization.route.coding[0].userSelected") not in found(second)


def test_replay_gives_what_a_fresh_validator_gives(definitions: Definitions) -> None:
    resources = [
        immunization(route={"coding": [BAD_CODING]}, performer=[{"actor": {"display": "x"}}]),
        immunization(performer=[{"function": {"text": "AP"}, "actor": {"display": "x"}}] * 2),
        immunization(doseQuantity={"value": "0.5"}, route={"coding": [BAD_CODING]}),
    ]
    warm = Validator(definitions)
    for resource in resources:
        warm.issues(resource)
    for resource in resources:
        assert found(warm.issues(resource)) == found(Validator(definitions).issues(resource))


def test_a_reference_checked_against_a_bundle_is_not_replayed(validator: Validator) -> None:
    """The same Reference JSON resolves in one Bundle and not in the other."""
    observation = {"resourceType": "Observation", "id": "o1", "status": "final",
                   "code": {"text": "x"}}  # fmt: skip
    reference = {"reference": "urn:uuid:8a1b6a3e-6c5b-4a2e-9a53-6d8c2f1b0e11"}

    def bundle(target_type: str) -> dict[str, Any]:
        target = {"resourceType": target_type, "id": "p1"}
        return {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {"fullUrl": reference["reference"], "resource": target},
                {
                    "fullUrl": "urn:uuid:0b0c5f0e-3a5e-4c47-8f3b-0d4f9e1c2a77",
                    "resource": {**copy.deepcopy(observation), "subject": reference},
                },
            ],
        }

    assert not [i for i in validator.issues(bundle("Patient")) if i.is_error]
    wrong = [i for i in validator.issues(bundle("Medication")) if i.is_error]
    assert [i.expression for i in wrong] == ["Bundle.entry[1].resource.subject"]


def test_values_that_are_not_plain_json_are_walked_every_time(validator: Validator) -> None:
    resource = immunization(doseQuantity={"value": Decimal("0.5"), "unit": 5})
    first, second = validator.issues(resource), validator.issues(resource)
    assert found(first) == found(second)
    assert ("error", "value", "Immunization.doseQuantity.unit") in found(first)


def test_the_memo_empties_itself_when_full() -> None:
    memo = SubtreeMemo(capacity=2)
    keys = [memo.key(1, "Coding", {"code": str(n)}) for n in range(3)]
    for key in keys:
        assert key is not None
        memo.keep(key, "X", [])
    assert memo.replay(keys[0], "Y") is None
    assert keys[2] is not None
    assert memo.replay(keys[2], "Y") == []


def test_an_issue_naming_its_absolute_place_is_not_kept() -> None:
    memo = SubtreeMemo()
    key = memo.key(1, "Coding", {"code": "a"})
    assert key is not None
    memo.keep(key, "A.b", [Issue("error", "value", "A.b.code", "see A.b for details")])
    assert memo.replay(key, "C.d") is None


@pytest.mark.parametrize(
    ("expression", "bound"),
    [
        ("contained.where(id = %resource.id).exists()", True),
        ("%rootResource.meta.exists()", True),
        ("reference.resolve().exists()", True),
        ("value.matches('[0-9]+')", False),
        ("birthDate <= today()", True),
    ],
)
def test_invariants_that_look_beyond_their_element(expression: str, bound: bool) -> None:
    assert uses_context(expression) is bound


PROFILES = Path(__file__).resolve().parents[2] / "data" / "profiles" / "mpox-immunization"


def test_resource_invariants_follow_the_elements_they_name(
    mpox_definitions: Definitions,
) -> None:
    """mpox-imm-intradermal names route and doseQuantity: a new volume is a new verdict,
    a new lot number or date is not (and must not hide an error)."""
    validator = Validator(mpox_definitions)
    valid = json.loads((PROFILES / "valid-no-intradermal-ppv.json").read_text())
    wrong_volume = copy.deepcopy(valid)
    wrong_volume["doseQuantity"]["value"] = 0.5
    other_lot = {**copy.deepcopy(wrong_volume), "lotNumber": "OTHER", "id": "x2"}

    def invariant_errors(resource: dict[str, Any]) -> list[str]:
        return [
            i.diagnostics.split(":")[0]
            for i in validator.issues(resource)
            if i.is_error and i.code == "invariant"
        ]

    assert invariant_errors(valid) == []
    assert invariant_errors(wrong_volume) == ["mpox-imm-intradermal", "mpox-imm-subcutaneous"]
    assert invariant_errors(other_lot) == ["mpox-imm-intradermal", "mpox-imm-subcutaneous"]
    assert invariant_errors(valid) == []


def test_an_invariant_is_projected_onto_the_words_it_names() -> None:
    memo = InvariantMemo()
    expression = "(status = 'completed' and route.exists()) implies doseQuantity.value.exists()"
    base = {"resourceType": "Immunization", "status": "completed", "lotNumber": "A"}
    assert memo.key(expression, base) == memo.key(expression, {**base, "lotNumber": "B"})
    assert memo.key(expression, base) != memo.key(expression, {**base, "route": {"text": "x"}})
    assert memo.key(expression, base) != memo.key(expression, {**base, "_status": {"id": "1"}})
    with_choice = "valueQuantity.exists() or value.exists() or status = 'final' or code.exists()"
    assert memo.key(with_choice, base) != memo.key(with_choice, {**base, "valueString": "x"})


@pytest.mark.parametrize(
    "expression",
    [
        "status = 'x'",  # cheaper to evaluate than to look up
        "occurrence.ofType(dateTime) <= today() or occurrence.ofType(dateTime).empty() or x",
        "descendants().where(reference.exists()).exists() or status = 'completed' or status = 'x'",
        "contained.all(%resource.status = 'completed') or status = 'entered-in-error' or x.y",
    ],
)
def test_invariants_that_are_never_kept(expression: str) -> None:
    assert InvariantMemo().key(expression, {"resourceType": "Immunization"}) is None
