"""The OperationDefinitions we publish describe the operations as they really behave."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from mpox_adapter.api.forecast import FORECAST_DEFINITION
from mpox_adapter.rules.forecast import immds_forecast
from mpox_adapter.validation.service import SHIPPED_PROFILES
from tests.unit.test_rules_support import (
    allergy,
    condition,
    dose,
    parameters,
    patient,
    prep_medication,
    risk,
)


def immds_forecast_definition() -> dict[str, Any]:
    found: dict[str, Any] = json.loads(
        (SHIPPED_PROFILES / "OperationDefinition-immds-forecast.json").read_text()
    )
    return found


def declared(use: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in immds_forecast_definition()["parameter"] if p["use"] == use}


def test_immds_forecast_is_the_operation_the_api_names() -> None:
    definition = immds_forecast_definition()
    assert definition["url"] == FORECAST_DEFINITION
    assert definition["code"] == "immds-forecast"
    assert (definition["system"], definition["type"], definition["instance"]) == (
        True,
        False,
        False,
    )
    assert definition["affectsState"] is False


def test_immds_forecast_parameters() -> None:
    shape = {
        (p["use"], p["name"], p["type"], p["min"], p["max"])
        for p in immds_forecast_definition()["parameter"]
    }
    assert shape == {
        ("in", "assessmentDate", "date", 1, "1"),
        ("in", "patient", "Patient", 1, "1"),
        ("in", "immunization", "Immunization", 0, "*"),
        ("in", "condition", "Condition", 0, "*"),
        ("in", "observation", "Observation", 0, "*"),
        ("in", "allergyIntolerance", "AllergyIntolerance", 0, "*"),
        ("in", "medicationStatement", "MedicationStatement", 0, "*"),
        ("in", "jurisdiction", "code", 0, "1"),
        ("out", "recommendation", "ImmunizationRecommendation", 1, "1"),
        ("out", "evaluation", "ImmunizationEvaluation", 0, "*"),
    }


def _type_of(parameter: dict[str, Any]) -> str:
    """The FHIR type a parameter carries, lowercased (``valueDate``: date)."""
    if "resource" in parameter:
        return str(parameter["resource"]["resourceType"]).lower()
    value = next(key for key in parameter if key.startswith("value"))
    return value.removeprefix("value").lower()


def _conforms(sent: list[dict[str, Any]], allowed: dict[str, dict[str, Any]]) -> None:
    counts = Counter(p["name"] for p in sent)
    for parameter in sent:
        assert parameter["name"] in allowed, parameter["name"]
        assert _type_of(parameter) == allowed[parameter["name"]]["type"].lower()
    for name, definition in allowed.items():
        top = definition["max"]
        assert counts[name] >= definition["min"], name
        assert top == "*" or counts[name] <= int(top), name


def test_a_request_and_its_answer_fit_the_definition() -> None:
    request = parameters(
        patient(),
        dose("2024-01-01", "pre-exposure"),
        dose("2024-02-01", "pre-exposure"),
        condition("86406008"),
        risk("msm"),
        allergy(),
        prep_medication(),
        on="2024-03-01",
        jurisdiction="NO",
    )
    _conforms(request["parameter"], declared("in"))
    answer = immds_forecast(request, "DK")
    assert answer["resourceType"] == "Parameters"
    _conforms(answer["parameter"], declared("out"))
    assert [p["name"] for p in answer["parameter"]].count("evaluation") == 2
