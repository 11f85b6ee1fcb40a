"""Print the gist of a `$immds-forecast` answer (FHIR Parameters on stdin), one fact a line.

mpox-adapter forecast examples/forecast-no-patient.json | python examples/show_forecast.py
"""

from __future__ import annotations

import json
import sys
from typing import Any

DATE_CRITERIA = {"30981-5": "earliest", "30980-7": "due", "59777-3": "latest"}
ROUTES = {"372464004": "intradermal", "34206005": "subcutaneous"}


def gist(answer: dict[str, Any]) -> list[str]:
    parameters = {p["name"]: p for p in answer["parameter"] if p["name"] == "recommendation"}
    recommendation = parameters["recommendation"]["resource"]["recommendation"][0]
    lines = [f"status: {recommendation['forecastStatus']['coding'][0]['code']}"]
    if "doseNumberPositiveInt" in recommendation:
        lines.append(
            f"dose: {recommendation['doseNumberPositiveInt']}"
            f" of {recommendation.get('seriesDosesPositiveInt', '?')}"
        )
    for criterion in recommendation.get("dateCriterion", []):
        code = criterion["code"]["coding"][0]["code"]
        lines.append(f"{DATE_CRITERIA.get(code, code)}: {criterion['value'][:10]}")
    for extension in recommendation.get("extension", []):
        name = extension["url"].rsplit("/", 1)[-1].removeprefix("mpox-")
        value = (
            extension.get("valueCode")
            or extension.get("valueCodeableConcept", {}).get("coding", [{}])[0].get("code")
            or f"{extension.get('valueQuantity', {}).get('value')} mL"
        )
        lines.append(f"{name}: {ROUTES.get(value, value)}")
    rules = [c["code"] for r in recommendation.get("forecastReason", []) for c in r["coding"]]
    lines.append(f"rules: {' '.join(rules)}")
    return lines


if __name__ == "__main__":
    print("\n".join(gist(json.load(sys.stdin))))
