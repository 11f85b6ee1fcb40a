"""`$immds-forecast` speed: one patient with about 20 resources, Parameters in and out.

Figure to reach (issue 6): at least 1,000 forecasts/s on one core, that is a mean under 1 ms
for the whole operation (read the inputs, facts, engine, explanations, output Parameters).
"""

from __future__ import annotations

from typing import Any

import pytest

from mpox_adapter.rules.engine import decide
from mpox_adapter.rules.facts import facts_from
from mpox_adapter.rules.forecast import immds_forecast
from mpox_adapter.rules.packs import load_pack
from tests.unit.test_rules_support import (
    allergy,
    condition,
    dose,
    exposure,
    parameters,
    patient,
    pcr,
    prep_medication,
    risk,
    span,
    temperature,
)

ON = "2024-06-01"


def story() -> dict[str, Any]:
    """A group-1 man between his doses, with an old exposure and the usual clutter."""
    resources = [
        risk("msm", day="2023-01-10"),
        risk("risk-behaviour", day="2024-05-01"),
        risk("trans", False, "2023-01-10"),
        risk("smallpox-vaccinated", False, "2023-01-10"),
        risk("keloid-tendency", False, "2023-01-10"),
        span("male-partners", "2024-04-01", "2024-05-30", 3),
        condition("86406008", "2012-04-01"),
        condition("76272004", "2023-11-02", clinical="resolved"),
        condition("105629000", "2024-02-14", clinical="resolved"),
        condition("24079001", "2001-01-01"),
        condition("271807003", "2022-07-01", clinical="resolved"),
        temperature(37.1, ON),
        pcr("2024-02-20", positive=False),
        exposure("2024-02-10", contact="sexual"),
        exposure("2024-05-29", contact="seated-adjacent-8h"),
        dose("2024-03-01", "pre-exposure"),
        dose("2023-02-01", status="not-done"),
        allergy("91936005"),  # penicillin: not a vaccine ingredient
        prep_medication(),
    ]
    return parameters(patient("1985-09-12"), *resources, on=ON)


@pytest.mark.parametrize("jurisdiction", ["NO", "DK"])
def test_forecast_parameters_in_and_out(benchmark: Any, jurisdiction: str) -> None:
    body = story()
    assert len(body["parameter"]) == 21  # assessment date, patient and 19 clinical resources
    output = benchmark(immds_forecast, body, jurisdiction)
    assert output["parameter"][0]["resource"]["recommendation"][0]["forecastReason"]


def test_facts_only(benchmark: Any) -> None:
    benchmark(facts_from, story())


def test_engine_only(benchmark: Any) -> None:
    facts, pack = facts_from(story()), load_pack("NO")
    benchmark(decide, facts, pack)
