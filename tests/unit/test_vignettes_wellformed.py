"""The clinical vignettes in tests/vignettes/ are well formed and cover every guideline rule.

The vignettes are the guideline's answers, written from the five guideline documents (listed
in docs/) and independent of the rules engine. This test does not run the engine: it checks that
every vignette parses and uses only the agreed keys and vocabulary, that every rule id it names
exists (in tests/data/guideline-rules.tsv, the rule ids of the guideline digest, or the
project's PROJ- ids), that every guideline rule id has at least one vignette (the test that
fails when a rule has no vignette), that `build_parameters` makes a Parameters
resource whose resources conform to the mpox profiles, and that `read_expected` reads a
contract-shaped answer (docs/contract.md) back into the vignette vocabulary.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.validation.engine import Validator
from tests.guideline_rules import guideline_rule_ids

REPO = Path(__file__).resolve().parents[2]
VIGNETTES = REPO / "tests" / "vignettes"
CASES = VIGNETTES / "cases"

# The project's own rules the engine implements (ids fixed by the project), beside the
# guideline digest's.
PROJ_IDS = frozenset(
    {
        "PROJ-LOWEST-GROUP",
        "PROJ-YOUNG-CHILD",
        "PROJ-DOSE2-EARLY",
        "PROJ-NO-SERIES-RESTART",
        "PROJ-AGE-FROM-BIRTHDATE",
        "PROJ-FEVER-TODAY",
        "PROJ-EXPOSURE-LAST-DAY",
    }
)
TOP_KEYS = (
    "id",
    "title",
    "source",
    "jurisdiction",
    "assessment_date",
    "patient",
    "facts",
    "expected",
    "notes",
)
RULE_ID = re.compile(r"^(NO|DK|PROJ)-[A-Z0-9]+(-[A-Z0-9]+)*$")


def _load_build() -> ModuleType:
    """tests/vignettes/build.py, loaded by path (tests/ is not a package)."""
    name = "mpox_vignette_build"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, VIGNETTES / "build.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


build = _load_build()


def _vignettes() -> list[tuple[Path, dict[str, Any]]]:
    loaded = []
    for path in sorted(CASES.glob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            loaded.append((path, yaml.safe_load(handle)))
    return loaded


VIGNETTE_LIST = _vignettes()
IDS = [path.stem for path, _ in VIGNETTE_LIST]


@pytest.fixture(scope="module")
def guideline_ids() -> set[str]:
    """Every rule id of the guideline digest (tests/data/guideline-rules.tsv)."""
    ids = guideline_rule_ids()
    assert all(RULE_ID.match(rule) for rule in ids), sorted(r for r in ids if not RULE_ID.match(r))
    return ids


# --- the collection -----------------------------------------------------------------------


def test_there_are_at_least_60_vignettes_in_both_jurisdictions() -> None:
    assert len(VIGNETTE_LIST) >= 60
    by_jurisdiction = Counter(v["jurisdiction"] for _, v in VIGNETTE_LIST)
    assert by_jurisdiction["NO"] >= 20, by_jurisdiction
    assert by_jurisdiction["DK"] >= 20, by_jurisdiction
    assert not list(CASES.glob("*.yml")), "use the .yaml extension"


def test_the_guideline_rule_ids_are_read(guideline_ids: set[str]) -> None:
    for rule in ("NO-PPV-G1-HIV", "PROJ-LOWEST-GROUP", "DK-CASE-SUSPECTED", "DK-TECO", "NO-TECO"):
        assert rule in guideline_ids
    assert len(guideline_ids) >= 60


def test_every_rule_has_a_vignette(guideline_ids: set[str]) -> None:
    used = {rule for _, v in VIGNETTE_LIST for rule in v["expected"].get("rules", [])}
    missing = sorted((guideline_ids | PROJ_IDS) - used)
    assert not missing, f"rule ids with no vignette listing them in expected.rules: {missing}"


def test_every_rule_id_used_exists(guideline_ids: set[str]) -> None:
    known = guideline_ids | PROJ_IDS
    unknown = {
        (vignette["id"], rule)
        for _, vignette in VIGNETTE_LIST
        for key in ("rules", "not_rules")
        for rule in vignette["expected"].get(key, [])
        if rule not in known
    }
    assert not unknown, sorted(unknown)


# --- one vignette -------------------------------------------------------------------------


def _is_date(value: Any) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _check_fact(fact: dict[str, Any]) -> None:
    kind = build.fact_kind(fact)
    extra = set(fact) - {kind}
    if kind == "risk_factor":
        assert fact["risk_factor"] in build.RISK_FACTORS, fact
        assert extra <= {"value", "date", "period"}, fact
        value = fact.get("value", True)
        if fact["risk_factor"] == "male-partners":
            assert type(value) is int, "male-partners is a count (valueInteger)"
            assert value >= 0
            assert "period" in fact, "male-partners needs the period it covers"
        else:
            assert isinstance(value, bool), fact
    elif kind == "condition":
        assert fact["condition"] in build.CONDITIONS, fact
        assert extra <= {"onset", "verification", "clinical_status", "recorded"}, fact
        assert fact.get("verification", "confirmed") in {"confirmed", "provisional", "refuted"}
        assert fact.get("clinical_status", "active") in {"active", "resolved", "inactive"}
    elif kind == "symptom":
        assert fact["symptom"] in build.SYMPTOMS, fact
        assert extra <= {"onset"}, fact
    elif kind == "lab":
        assert fact["lab"] in build.LAB_TESTS, fact
        assert fact["result"] in build.LAB_RESULTS, fact
        assert extra <= {"result", "date"}, fact
    elif kind == "immunization":
        assert not extra, fact
        imm = fact["immunization"]
        allowed = {"date", "vaccine", "route", "volume", "dose", "status", "indication"}
        assert set(imm) <= allowed | {"country", "lot"}, imm
        assert _is_date(imm["date"])
        assert imm["vaccine"] in build.VACCINES, imm
        assert imm.get("status", "completed") in {"completed", "entered-in-error"}
        if build.VACCINES[imm["vaccine"]][1]:
            # An mpox dose: the profile needs route, volume and dose number when completed.
            assert {"route", "volume", "dose"} <= set(imm), imm
            assert imm["route"] in build.ROUTES
            assert imm["volume"] == (0.1 if imm["route"] == "intradermal" else 0.5), imm
            assert type(imm["dose"]) is int
            assert imm["dose"] >= 1
        if "indication" in imm:
            assert imm["indication"] in {"pre-exposure", "post-exposure"}
        if "country" in imm:
            assert re.fullmatch(r"[A-Z]{2}", imm["country"]), imm
    elif kind == "exposure":
        assert not extra, fact
        exposure = fact["exposure"]
        assert set(exposure) <= {"last", "first", "contact_type", "risk"}, exposure
        assert _is_date(exposure["last"])
        assert exposure["contact_type"] in build.CONTACT_TYPES
        if "risk" in exposure:
            assert exposure["risk"] in build.EXPOSURE_RISKS
        if "first" in exposure:
            assert _is_date(exposure["first"])
            assert exposure["first"] <= exposure["last"]
    elif kind == "allergy":
        assert fact["allergy"] in build.ALLERGENS, fact
        assert not extra, fact
    elif kind == "temperature":
        assert isinstance(fact["temperature"], float), "write temperatures with a decimal"
        assert extra <= {"date"}, fact
    elif kind == "medication":
        assert fact["medication"] in build.MEDICATIONS, fact
        assert extra <= {"date", "status"}, fact
    for key in ("date", "onset", "recorded"):
        if key in fact:
            assert _is_date(fact[key]), fact
    if "period" in fact:
        start, end = fact["period"]
        assert _is_date(start)
        assert _is_date(end)
        assert start <= end


def _check_rules(vignette: dict[str, Any]) -> None:
    expected = vignette["expected"]
    prefixes = ("NO-", "PROJ-") if vignette["jurisdiction"] == "NO" else ("DK-", "PROJ-")
    for key in ("rules", "not_rules"):
        rules = expected.get(key, [])
        assert isinstance(rules, list), key
        assert len(rules) == len(set(rules)), f"{key} repeats an id"
        for rule in rules:
            assert isinstance(rule, str)
            assert RULE_ID.match(rule), rule
            assert rule.startswith(prefixes), f"{rule} in a {vignette['jurisdiction']} vignette"
    assert not set(expected["rules"]) & set(expected.get("not_rules", [])), "rules ∩ not_rules"


def _check_expected(vignette: dict[str, Any]) -> None:
    expected = vignette["expected"]
    jurisdiction = vignette["jurisdiction"]
    assert set(expected) <= set(build.EXPECTED_KEYS), set(expected) - set(build.EXPECTED_KEYS)
    assert "status" in expected
    assert "rules" in expected
    status = expected["status"]
    assert status in build.STATUSES, status
    assert status != "overdue", "the guidelines set no maximum interval: never expect overdue"
    if "pathway" in expected:
        assert expected["pathway"] in build.PATHWAYS
    if "priority_group" in expected:
        assert jurisdiction == "NO", "priority groups are Norwegian"
        assert expected["priority_group"] in {"1", "2", "3"}, "quote the group: '1'"
        assert expected.get("pathway") == "pre-exposure"
    if "care_setting" in expected:
        setting = expected["care_setting"]
        assert setting in build.CARE_SETTINGS
        if jurisdiction == "NO":
            assert setting in {"specialist", "municipal"}
        else:
            assert setting == "infectious-disease-department"
    for key in ("dose_number", "series_doses"):
        if key in expected:
            assert type(expected[key]) is int
            assert expected[key] >= 1
    if "dose_number" in expected and "series_doses" in expected:
        assert expected["dose_number"] <= expected["series_doses"]
    for key in build.DATE_CRITERIA:
        if key in expected:
            assert _is_date(expected[key]), f"{key} must be a date"
    if "earliest" in expected and "due" in expected:
        assert expected["earliest"] <= expected["due"]
    if "earliest" in expected and "latest" in expected:
        assert expected["earliest"] <= expected["latest"]
    if "route" in expected:
        assert expected["route"] in build.ROUTES
        if "volume" in expected:
            want = 0.1 if expected["route"] == "intradermal" else 0.5
            assert expected["volume"] == want, "0.1 ml intradermal, 0.5 ml subcutaneous"
    if "volume" in expected:
        assert expected["volume"] in (0.1, 0.5)
    if status == "due":
        assert "pathway" in expected, "a due dose has a pathway"
        assert "dose_number" in expected, "a due dose has a dose number"
    if status in {"complete", "immune", "contraindicated", "not-recommended"}:
        dosing = {"dose_number", "series_doses", "earliest", "due", "latest", "route", "volume"}
        assert not dosing & set(expected), f"{status} gives no dose: {dosing & set(expected)}"
    if "evaluations" in expected:
        evaluations = expected["evaluations"]
        assert isinstance(evaluations, list)
        for evaluation in evaluations:
            assert set(evaluation) == {"dose", "valid"}, evaluation
            assert type(evaluation["dose"]) is int
            assert isinstance(evaluation["valid"], bool)
        given = [
            f["immunization"]
            for f in vignette["facts"]
            if "immunization" in f
            and build.VACCINES[f["immunization"]["vaccine"]][1]
            and f["immunization"].get("status", "completed") == "completed"
        ]
        assert len(evaluations) == len(given), "one evaluation per mpox dose given"
    if "case" in expected:
        case = expected["case"]
        assert set(case) <= {"classification", "duties"}, case
        assert case["classification"] in build.CLASSIFICATIONS
        duties = case.get("duties", [])
        assert set(duties) <= build.DUTY_RULES, duties
        assert set(duties) <= set(expected["rules"]), "duties are reported rules too"


@pytest.mark.parametrize(("path", "vignette"), VIGNETTE_LIST, ids=IDS)
def test_vignette_is_well_formed(path: Path, vignette: dict[str, Any]) -> None:
    assert isinstance(vignette, dict)
    assert tuple(vignette) == TOP_KEYS, f"keys in this order: {TOP_KEYS}"
    assert vignette["jurisdiction"] in {"NO", "DK"}, (
        'quote it: jurisdiction: "NO" (YAML 1.1 reads NO as false)'
    )
    assert vignette["id"] == path.stem
    assert re.fullmatch(r"(no|dk)-[a-z0-9]+(-[a-z0-9]+)*", vignette["id"]), vignette["id"]
    assert vignette["id"].startswith(vignette["jurisdiction"].lower() + "-")
    for key in ("title", "source", "notes"):
        assert isinstance(vignette[key], str)
        assert vignette[key].strip(), key
    assert vignette["jurisdiction"] in {"NO", "DK"}, (
        'quote it: jurisdiction: "NO" (YAML 1.1 reads NO as false)'
    )
    assert _is_date(vignette["assessment_date"])
    patient = vignette["patient"]
    assert set(patient) == {"birth_date", "gender"}
    assert _is_date(patient["birth_date"])
    assert patient["birth_date"] <= vignette["assessment_date"]
    assert patient["gender"] in build.GENDERS
    assert isinstance(vignette["facts"], list)
    for fact in vignette["facts"]:
        assert isinstance(fact, dict)
        _check_fact(fact)
    _check_rules(vignette)
    _check_expected(vignette)


# --- build_parameters ---------------------------------------------------------------------


def _parameters(vignette: dict[str, Any]) -> list[dict[str, Any]]:
    built = build.build_parameters(vignette)
    assert built["resourceType"] == "Parameters"
    assert set(built) == {"resourceType", "parameter"}
    return list(built["parameter"])


@pytest.mark.parametrize(("path", "vignette"), VIGNETTE_LIST, ids=IDS)
def test_build_parameters_makes_forecast_input(path: Path, vignette: dict[str, Any]) -> None:
    parameters = _parameters(vignette)
    names = [p["name"] for p in parameters]
    assert set(names) <= set(build.PARAMETER_ORDER), names
    assert names.count("assessmentDate") == 1
    assert names.count("patient") == 1
    assert names.count("jurisdiction") == 1
    by_name: dict[str, list[dict[str, Any]]] = {}
    for parameter in parameters:
        by_name.setdefault(parameter["name"], []).append(parameter)
        assert ("resource" in parameter) != any(k.startswith("value") for k in parameter)
    assert by_name["assessmentDate"][0]["valueDate"] == vignette["assessment_date"].isoformat()
    assert by_name["jurisdiction"][0]["valueCode"] == vignette["jurisdiction"]

    patient = by_name["patient"][0]["resource"]
    assert patient["resourceType"] == "Patient"
    assert patient["birthDate"] == vignette["patient"]["birth_date"].isoformat()
    assert patient["gender"] == vignette["patient"]["gender"]
    (identifier,) = patient["identifier"]
    if vignette["jurisdiction"] == "NO":
        assert identifier["system"] == build.FNR
        assert re.fullmatch(r"\d{11}", identifier["value"])
    else:
        assert identifier["system"] == build.CPR
        assert re.fullmatch(r"\d{10}", identifier["value"])

    expected_types = {
        "immunization": "Immunization",
        "condition": "Condition",
        "observation": "Observation",
        "allergyIntolerance": "AllergyIntolerance",
        "medicationStatement": "MedicationStatement",
    }
    resources = [p["resource"] for p in parameters if "resource" in p]
    ids = [r["id"] for r in resources]
    assert len(ids) == len(set(ids)), "resource ids are unique"
    count = 0
    for name, resource_type in expected_types.items():
        for parameter in by_name.get(name, []):
            resource = parameter["resource"]
            count += 1
            assert resource["resourceType"] == resource_type
            reference = resource.get("subject") or resource.get("patient")
            assert reference == {"reference": "Patient/patient"}
    assert count == len(vignette["facts"]), "one resource per fact"


def test_facts_are_coded_as_terminology_md_says() -> None:
    vignette = {
        "id": "no-example",
        "jurisdiction": "NO",
        "assessment_date": dt.date(2024, 5, 1),
        "patient": {"birth_date": dt.date(1985, 3, 15), "gender": "male"},
        "facts": [
            {"risk_factor": "msm"},
            {
                "risk_factor": "male-partners",
                "value": 3,
                "period": [dt.date(2024, 2, 10), dt.date(2024, 5, 1)],
            },
            {"condition": "mpox-suspected", "onset": dt.date(2024, 4, 29)},
            {"symptom": "rash", "onset": dt.date(2024, 4, 29)},
            {"lab": "mpox-pcr", "result": "positive", "date": dt.date(2024, 4, 30)},
            {"exposure": {"last": dt.date(2024, 4, 28), "contact_type": "seated-adjacent-8h"}},
            {"allergy": "benzonase"},
            {"temperature": 38.6, "date": dt.date(2024, 5, 1)},
            {"medication": "hiv-prep"},
            {
                "immunization": {
                    "date": dt.date(2024, 3, 1),
                    "vaccine": "mpox",
                    "route": "intradermal",
                    "volume": 0.1,
                    "dose": 1,
                }
            },
        ],
    }
    resources = [p["resource"] for p in _parameters(vignette) if "resource" in p]
    by_id = {r["id"]: r for r in resources}
    rf = build.RISK_FACTOR
    assert by_id["risk-1"]["code"]["coding"][0] == {"system": rf, "code": "msm"}
    assert by_id["risk-1"]["status"] == "final"
    assert by_id["risk-1"]["valueBoolean"] is True
    assert by_id["risk-1"]["effectiveDateTime"] == "2024-05-01"
    assert by_id["risk-2"]["valueInteger"] == 3
    assert by_id["risk-2"]["effectivePeriod"] == {"start": "2024-02-10", "end": "2024-05-01"}
    suspected = by_id["condition-3"]
    assert suspected["code"]["coding"][0]["code"] == "359814004"
    assert suspected["verificationStatus"]["coding"][0]["code"] == "provisional"
    assert suspected["clinicalStatus"]["coding"][0]["code"] == "active"
    assert by_id["symptom-4"]["code"]["coding"][0] == {
        "system": build.SCT,
        "code": "271807003",
        "display": "Eruption of skin",
    }
    lab = by_id["lab-5"]
    assert lab["code"]["coding"][0]["code"] == "100383-9"
    assert lab["valueCodeableConcept"]["coding"][0]["code"] == "10828004"
    exposure = by_id["exposure-6"]
    assert exposure["code"]["coding"][0] == {"system": build.EXPOSURE, "code": "mpox-exposure"}
    assert exposure["valueCodeableConcept"]["coding"][0]["code"] == "59774002"
    assert exposure["effectiveDateTime"] == "2024-04-28"
    components = {
        c["code"]["coding"][0]["code"]: c["valueCodeableConcept"]["coding"][0]
        for c in exposure["component"]
    }
    assert components["contact-type"] == {
        "system": build.CONTACT_TYPE,
        "code": "seated-adjacent-8h",
    }
    assert components["exposure-risk"] == {"system": build.EXPOSURE_RISK, "code": "medium"}
    assert by_id["allergy-7"]["code"]["coding"][0] == {
        "system": build.VACCINE_COMPONENT,
        "code": "benzonase",
        "display": "Benzonase",
    }
    temperature = by_id["temperature-8"]
    assert temperature["code"]["coding"][0]["code"] == "8310-5"
    assert temperature["valueQuantity"] == {
        "value": 38.6,
        "unit": "Cel",
        "system": build.UCUM,
        "code": "Cel",
    }
    medication = by_id["medication-9"]
    assert medication["status"] == "active"
    assert medication["medicationCodeableConcept"]["coding"][0]["system"] == build.ATC
    assert medication["medicationCodeableConcept"]["coding"][0]["code"] == "J05AR03"
    immunization = by_id["immunization-10"]
    assert immunization["status"] == "completed"
    assert immunization["vaccineCode"]["coding"][0]["code"] == "206"
    assert immunization["route"]["coding"][0]["code"] == "372464004"
    assert immunization["doseQuantity"]["value"] == 0.1
    assert immunization["protocolApplied"] == [{"doseNumberPositiveInt": 1}]


@pytest.fixture(scope="module")
def validator(mpox_definitions: Definitions) -> Validator:
    return Validator(mpox_definitions)


@pytest.mark.parametrize(("path", "vignette"), VIGNETTE_LIST, ids=IDS)
def test_built_resources_conform_to_the_mpox_profiles(
    validator: Validator, path: Path, vignette: dict[str, Any]
) -> None:
    for parameter in _parameters(vignette):
        resource = parameter.get("resource")
        if resource is None:
            continue
        profiles = resource.get("meta", {}).get("profile", [])
        errors = [
            (issue.expression, issue.diagnostics)
            for issue in validator.issues(resource, profiles)
            if issue.is_error
        ]
        assert not errors, (resource["resourceType"], resource["id"], errors)


# --- read_expected ------------------------------------------------------------------------


def _answer(vignette: dict[str, Any]) -> dict[str, Any]:
    """A `$immds-forecast` answer (docs/contract.md) that says exactly what the vignette expects."""
    expected = vignette["expected"]
    status = expected["status"]
    status_system = (
        build.HL7_FORECAST_STATUS if status in build.HL7_STATUSES else build.FORECAST_STATUS
    )
    rec: dict[str, Any] = {
        "vaccineCode": [
            {
                "coding": [
                    {"system": build.CVX, "code": "206"},
                    {"system": build.ATC, "code": "J07BX01"},
                ]
            }
        ],
        "targetDisease": {"coding": [{"system": build.SCT, "code": "359814004"}]},
        "forecastStatus": {"coding": [{"system": status_system, "code": status}]},
        "forecastReason": [
            {"coding": [{"system": build.RULE, "code": rule}]} for rule in expected["rules"]
        ],
    }
    extensions: list[dict[str, Any]] = []
    for key, name in (
        ("pathway", "mpox-pathway"),
        ("priority_group", "mpox-priority-group"),
        ("care_setting", "mpox-care-setting"),
    ):
        if key in expected:
            extensions.append({"url": f"{build.SD}/{name}", "valueCode": expected[key]})
    if "route" in expected:
        code, display = build.ROUTES[expected["route"]]
        extensions.append(
            {
                "url": f"{build.SD}/mpox-route",
                "valueCodeableConcept": {
                    "coding": [{"system": build.SCT, "code": code, "display": display}]
                },
            }
        )
    if "volume" in expected:
        extensions.append(
            {
                "url": f"{build.SD}/mpox-dose-volume",
                "valueQuantity": {
                    "value": expected["volume"],
                    "unit": "mL",
                    "system": build.UCUM,
                    "code": "mL",
                },
            }
        )
    if extensions:
        rec["extension"] = extensions
    if "dose_number" in expected:
        rec["doseNumberPositiveInt"] = expected["dose_number"]
    if "series_doses" in expected:
        rec["seriesDosesPositiveInt"] = expected["series_doses"]
    criteria = [
        {
            "code": {"coding": [{"system": build.LOINC, "code": code}]},
            "value": f"{expected[key].isoformat()}T00:00:00Z",
        }
        for key, code in build.DATE_CRITERIA.items()
        if key in expected
    ]
    if criteria:
        rec["dateCriterion"] = criteria
    parameters: list[dict[str, Any]] = [
        {
            "name": "recommendation",
            "resource": {
                "resourceType": "ImmunizationRecommendation",
                "patient": {"reference": "Patient/patient"},
                "date": vignette["assessment_date"].isoformat(),
                "recommendation": [rec],
            },
        }
    ]
    for index, evaluation in enumerate(expected.get("evaluations", []), start=1):
        parameters.append(
            {
                "name": "evaluation",
                "resource": {
                    "resourceType": "ImmunizationEvaluation",
                    "status": "completed",
                    "patient": {"reference": "Patient/patient"},
                    "targetDisease": {"coding": [{"system": build.SCT, "code": "359814004"}]},
                    "immunizationEvent": {"reference": f"Immunization/immunization-{index}"},
                    "doseStatus": {
                        "coding": [
                            {
                                "system": build.EVAL_DOSE_STATUS,
                                "code": "valid" if evaluation["valid"] else "notvalid",
                            }
                        ]
                    },
                    "doseNumberPositiveInt": evaluation["dose"],
                },
            }
        )
    return {"resourceType": "Parameters", "parameter": parameters}


@pytest.mark.parametrize(("path", "vignette"), VIGNETTE_LIST, ids=IDS)
def test_read_expected_reads_a_matching_answer_back(path: Path, vignette: dict[str, Any]) -> None:
    expected = vignette["expected"]
    actual = build.read_expected(_answer(vignette))
    assert build.mismatches(expected, actual) == []
    for key in expected:
        if key not in {"not_rules", "case", "rules"}:
            assert actual[key] == expected[key], key
    # A vignette's case classification must follow from its own rules (README: how
    # read_expected derives it), or no engine could ever match it.
    if "case" in expected:
        assert actual["case"]["classification"] == expected["case"]["classification"]


def test_mismatches_reports_each_kind_of_difference() -> None:
    expected = {
        "status": "due",
        "priority_group": "1",
        "earliest": dt.date(2024, 5, 1),
        "volume": 0.1,
        "rules": ["NO-PPV-G1-HIV"],
        "not_rules": ["NO-PPV-G3-MSM"],
        "evaluations": [{"dose": 1, "valid": True}],
        "case": {"classification": "confirmed", "duties": ["NO-ALERT"]},
    }
    actual = {
        "status": "complete",
        "priority_group": "3",
        "earliest": dt.date(2024, 5, 2),
        "volume": 0.5,
        "rules": ["NO-PPV-G3-MSM", "NO-ALERT"],
        "evaluations": [{"dose": 1, "valid": False}],
        "case": {"classification": "suspected", "duties": []},
    }
    problems = build.mismatches(expected, actual)
    for word in (
        "status",
        "priority_group",
        "earliest",
        "volume",
        "rules not reported",
        "must not be",
        "evaluations",
        "case.classification",
        "case.duties",
    ):
        assert any(word in problem for problem in problems), (word, problems)
    same = {**actual, "rules": ["NO-PPV-G1-HIV"], "status": "due"}
    assert "status" not in " ".join(build.mismatches({"status": "due"}, same))
