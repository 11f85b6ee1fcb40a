"""Turn a clinical vignette (tests/vignettes/cases/*.yaml) into `$immds-forecast` input, and
read the forecast's output back into the vignette's `expected` vocabulary.

The coding follows docs/data-dictionary.md exactly; README.md in this folder lists every fact
and the FHIR it becomes. This module depends on nothing in `mpox_adapter/` (in particular not on the
rules engine): the vignettes are the guideline's answer, written independently of the engine.

    build_parameters(vignette) -> Parameters (dict, FHIR R4 JSON)
    read_expected(parameters_out) -> dict with the keys of a vignette's `expected`
    mismatches(expected, actual) -> list of human-readable differences (empty when they agree)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

# --- code systems -----------------------------------------------------------------------

SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"
CVX = "http://hl7.org/fhir/sid/cvx"
ATC = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"
BASE = "http://mpox-adapter.org/fhir"
CS = f"{BASE}/CodeSystem"
SD = f"{BASE}/StructureDefinition"
RISK_FACTOR = f"{CS}/risk-factor"
EXPOSURE = f"{CS}/exposure"
CONTACT_TYPE = f"{CS}/contact-type"
EXPOSURE_RISK = f"{CS}/exposure-risk"
VACCINE_COMPONENT = f"{CS}/vaccine-component"
INDICATION = f"{CS}/indication"
RULE = f"{CS}/rule"
FORECAST_STATUS = f"{CS}/forecast-status"
HL7_FORECAST_STATUS = "http://terminology.hl7.org/CodeSystem/immunization-recommendation-status"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VER = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
EVAL_DOSE_STATUS = "http://terminology.hl7.org/CodeSystem/immunization-evaluation-dose-status"
FNR = "urn:oid:2.16.578.1.12.4.1.4.1"
CPR = "urn:oid:1.2.208.176.1.2"

PROFILE = {
    "patient": f"{SD}/mpox-patient",
    "risk-factor": f"{SD}/mpox-risk-factor",
    "exposure": f"{SD}/mpox-exposure",
    "lab": f"{SD}/mpox-lab-result",
    "immunization": f"{SD}/mpox-immunization",
    "condition": f"{SD}/mpox-condition",
}

# --- the fact vocabulary (README.md, "Facts") ---------------------------------------------

RISK_FACTORS = frozenset(
    {
        "msm",
        "trans",
        "sells-sex-to-men",
        "risk-behaviour",
        "male-partners",
        "multiple-anonymous-partners",
        "hiv-prep",
        "hcw-exposed",
        "lab-live-virus",
        "travel-clade-i-area",
        "travel-mpox-area",
        "smallpox-vaccinated",
        "keloid-tendency",
        "persistent-local-reaction",
        "breastfeeding",
    }
)

# condition name -> (SNOMED code, display)
CONDITIONS: dict[str, tuple[str, str]] = {
    "hiv": ("86406008", "Human immunodeficiency virus infection"),
    "syphilis": ("76272004", "Syphilis"),
    "gonorrhoea": ("15628003", "Gonorrhea"),
    "chlamydia": ("105629000", "Chlamydial infection"),
    "other-sti": ("8098009", "Sexually transmitted infectious disease"),
    "immunodeficiency": ("234532001", "Immunodeficiency disorder"),
    "pregnancy": ("77386006", "Pregnancy"),
    "atopic-dermatitis": ("24079001", "Atopic dermatitis"),
    "mpox-confirmed": ("359814004", "Monkeypox"),
    "mpox-suspected": ("359814004", "Monkeypox"),
}

SYMPTOMS: dict[str, tuple[str, str]] = {
    "rash": ("271807003", "Eruption of skin"),
    "fever": ("386661006", "Fever"),
    "headache": ("25064002", "Headache"),
    "muscle-pain": ("68962001", "Muscle pain"),
    "back-pain": ("161891005", "Backache"),
    "fatigue": ("84229001", "Fatigue"),
    "swollen-lymph-nodes": ("30746006", "Lymphadenopathy"),
    "proctitis": ("3951002", "Proctitis"),
}

LAB_TESTS: dict[str, tuple[str, str]] = {
    "mpox-pcr": (
        "100383-9",
        "Monkeypox virus DNA [Presence] in Specimen by NAA with probe detection",
    ),
}

LAB_RESULTS: dict[str, tuple[str, str]] = {
    "positive": ("10828004", "Positive"),
    "negative": ("260385009", "Negative"),
    "detected": ("260373001", "Detected"),
    "not-detected": ("260415000", "Not detected"),
}

# vaccine name -> (CVX code, counts as an mpox dose). No display: the CVX descriptions are
# long and change; the code is what identifies the vaccine.
VACCINES: dict[str, tuple[str, bool]] = {
    "mpox": ("206", True),
    "orthopox": ("325", True),
    "smallpox": ("75", False),
}

ROUTES: dict[str, tuple[str, str]] = {
    "intradermal": ("372464004", "Intradermal route"),
    "subcutaneous": ("34206005", "Subcutaneous route"),
}
ROUTE_BY_CODE = {code: name for name, (code, _) in ROUTES.items()}

ALLERGENS: dict[str, tuple[str, str, str]] = {
    "gentamicin": (SCT, "387321007", "Gentamicin"),
    "ciprofloxacin": (SCT, "372840008", "Ciprofloxacin"),
    "benzonase": (VACCINE_COMPONENT, "benzonase", "Benzonase"),
    "chicken-protein": (VACCINE_COMPONENT, "chicken-protein", "Chicken protein"),
}

CONTACT_TYPES = frozenset(
    {"household", "sexual", "direct-unprotected", "hcw-no-ppe", "seated-adjacent-8h", "other"}
)
# The project's ConceptMap contact-type-to-exposure-risk (mpox_adapter/profiles/), used when a
# vignette gives no `risk`: the exposure profile requires the component.
RISK_FROM_CONTACT_TYPE = {
    "household": "high",
    "sexual": "high",
    "direct-unprotected": "high",
    "hcw-no-ppe": "high",
    "seated-adjacent-8h": "medium",
    "other": "low",
}
EXPOSURE_RISKS = frozenset({"high", "medium", "low"})
MEDICATIONS: dict[str, tuple[str, str]] = {
    "hiv-prep": ("J05AR03", "tenofovir disoproxil and emtricitabine"),
}
GENDERS = frozenset({"male", "female", "other", "unknown"})
FACT_KINDS = frozenset(
    {
        "risk_factor",
        "condition",
        "symptom",
        "lab",
        "immunization",
        "exposure",
        "allergy",
        "temperature",
        "medication",
    }
)

# --- the expected vocabulary --------------------------------------------------------------

STATUSES = frozenset(
    {
        "due",
        "overdue",
        "immune",
        "contraindicated",
        "complete",
        "not-recommended",
        "deferred",
        "assessment-required",
    }
)
HL7_STATUSES = frozenset({"due", "overdue", "immune", "contraindicated", "complete"})
PATHWAYS = frozenset({"pre-exposure", "post-exposure"})
CARE_SETTINGS = frozenset({"specialist", "municipal", "infectious-disease-department"})
DATE_CRITERIA = {"earliest": "30981-5", "due": "30980-7", "latest": "59777-3"}
CRITERION_KEY = {code: key for key, code in DATE_CRITERIA.items()}
CLASSIFICATIONS = frozenset({"suspected", "confirmed", "none"})
# The rule ids that are reporting duties (a vignette's `case.duties`).
DUTY_RULES = frozenset({"NO-MSIS-A", "NO-ALERT", "DK-NOTIFY-PHONE", "DK-NOTIFY-SEI2"})
# How read_expected derives `case.classification` from the rules the engine reported (the
# output Parameters of docs/contract.md has no element for it). NO-TRACE only follows a
# confirmed case (Helse Bergen §9); NO-ALERT covers suspected and confirmed cases (Helse Bergen §8).
CONFIRMED_CASE_RULES = frozenset({"DK-CASE-CONFIRMED", "NO-TRACE"})
SUSPECTED_CASE_RULES = frozenset({"DK-CASE-SUSPECTED", "NO-ALERT"})
EXPECTED_KEYS = (
    "status",
    "pathway",
    "priority_group",
    "care_setting",
    "dose_number",
    "series_doses",
    "earliest",
    "due",
    "latest",
    "route",
    "volume",
    "rules",
    "not_rules",
    "evaluations",
    "case",
)
PATIENT_ID = "patient"


# --- helpers ------------------------------------------------------------------------------


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _iso(value: Any) -> str:
    return _date(value).isoformat()


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def _concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    return {"coding": [_coding(system, code, display)]}


def _subject() -> dict[str, str]:
    return {"reference": f"Patient/{PATIENT_ID}"}


def _meta(kind: str) -> dict[str, list[str]]:
    return {"profile": [PROFILE[kind]]}


def _effective(fact: Mapping[str, Any], default: dt.date) -> dict[str, Any]:
    if "period" in fact:
        start, end = fact["period"]
        return {"effectivePeriod": {"start": _iso(start), "end": _iso(end)}}
    return {"effectiveDateTime": _iso(fact.get("date", default))}


def _fnr_check_digits(first_nine: str) -> str | None:
    digits = [int(c) for c in first_nine]
    k1 = (11 - sum(w * d for w, d in zip((3, 7, 6, 1, 8, 9, 4, 5, 2), digits, strict=True))) % 11
    if k1 == 10:
        return None
    digits.append(k1)
    weights = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    k2 = (11 - sum(w * d for w, d in zip(weights, digits, strict=True))) % 11
    if k2 == 10:
        return None
    return f"{k1}{k2}"


def synthetic_fnr(birth_date: dt.date, gender: str) -> str:
    """A synthetic Norwegian fødselsnummer (month + 80) with correct mod-11 check digits.
    The individual number follows the century rule (000-499 for 1900-1999, 500-999 from 2000);
    its last digit is odd for men, even for women."""
    low, high = (500, 999) if birth_date.year >= 2000 else (100, 499)
    wanted_parity = 1 if gender == "male" else 0
    prefix = f"{birth_date.day:02d}{birth_date.month + 80:02d}{birth_date.year % 100:02d}"
    for individual in range(low, high + 1):
        if gender in ("male", "female") and individual % 2 != wanted_parity:
            continue
        first_nine = f"{prefix}{individual:03d}"
        check = _fnr_check_digits(first_nine)
        if check is not None:
            return first_nine + check
    raise ValueError(f"no valid fødselsnummer for {birth_date}")  # pragma: no cover


def synthetic_cpr(birth_date: dt.date, gender: str) -> str:
    """A Danish CPR number DDMMYYSSSS: the 7th digit gives the century (0-3 for 1900-1999,
    4 for 2000-2036), the last digit is odd for men, even for women."""
    century_digit = "4" if birth_date.year >= 2000 else "1"
    last = "1" if gender == "male" else "2"
    return f"{birth_date:%d%m%y}{century_digit}23{last}"


# --- facts -> resources -------------------------------------------------------------------


def _patient(vignette: Mapping[str, Any]) -> dict[str, Any]:
    patient = vignette["patient"]
    birth = _date(patient["birth_date"])
    gender = patient["gender"]
    if vignette["jurisdiction"] == "NO":
        identifier = {"system": FNR, "value": synthetic_fnr(birth, gender)}
    else:
        identifier = {"system": CPR, "value": synthetic_cpr(birth, gender)}
    return {
        "resourceType": "Patient",
        "id": PATIENT_ID,
        "meta": _meta("patient"),
        "identifier": [identifier],
        "gender": gender,
        "birthDate": birth.isoformat(),
    }


def _risk_factor(fact: Mapping[str, Any], index: int, today: dt.date) -> dict[str, Any]:
    code = fact["risk_factor"]
    value = fact.get("value", True)
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"risk-{index}",
        "meta": _meta("risk-factor"),
        "status": "final",
        "code": _concept(RISK_FACTOR, code),
        "subject": _subject(),
        **_effective(fact, today),
    }
    if isinstance(value, bool):
        resource["valueBoolean"] = value
    else:
        resource["valueInteger"] = int(value)
    return resource


def _condition(fact: Mapping[str, Any], index: int, today: dt.date) -> dict[str, Any]:
    name = fact["condition"]
    code, display = CONDITIONS[name]
    default_verification = "provisional" if name == "mpox-suspected" else "confirmed"
    verification = fact.get("verification", default_verification)
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": f"condition-{index}",
        "verificationStatus": _concept(CONDITION_VER, verification),
        "code": _concept(SCT, code, display),
        "subject": _subject(),
    }
    if name.startswith("mpox-"):
        resource["meta"] = _meta("condition")
    if verification != "refuted":
        clinical = fact.get("clinical_status", "active")
        resource["clinicalStatus"] = _concept(CONDITION_CLINICAL, clinical)
    if "onset" in fact:
        resource["onsetDateTime"] = _iso(fact["onset"])
    resource["recordedDate"] = _iso(fact.get("recorded", fact.get("onset", today)))
    return _ordered(resource, "Condition")


def _symptom(fact: Mapping[str, Any], index: int, today: dt.date) -> dict[str, Any]:
    code, display = SYMPTOMS[fact["symptom"]]
    onset = _iso(fact.get("onset", today))
    return {
        "resourceType": "Condition",
        "id": f"symptom-{index}",
        "clinicalStatus": _concept(CONDITION_CLINICAL, "active"),
        "verificationStatus": _concept(CONDITION_VER, "confirmed"),
        "code": _concept(SCT, code, display),
        "subject": _subject(),
        "onsetDateTime": onset,
        "recordedDate": onset,
    }


def _lab(fact: Mapping[str, Any], index: int, today: dt.date) -> dict[str, Any]:
    code, display = LAB_TESTS[fact["lab"]]
    result_code, result_display = LAB_RESULTS[fact["result"]]
    return {
        "resourceType": "Observation",
        "id": f"lab-{index}",
        "meta": _meta("lab"),
        "status": "final",
        "category": [_concept(OBS_CATEGORY, "laboratory")],
        "code": _concept(LOINC, code, display),
        "subject": _subject(),
        "effectiveDateTime": _iso(fact.get("date", today)),
        "valueCodeableConcept": _concept(SCT, result_code, result_display),
    }


def _temperature(fact: Mapping[str, Any], index: int, today: dt.date) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"temperature-{index}",
        "status": "final",
        "category": [_concept(OBS_CATEGORY, "vital-signs")],
        "code": _concept(LOINC, "8310-5", "Body temperature"),
        "subject": _subject(),
        "effectiveDateTime": _iso(fact.get("date", today)),
        "valueQuantity": {
            "value": float(fact["temperature"]),
            "unit": "Cel",
            "system": UCUM,
            "code": "Cel",
        },
    }


def _exposure(fact: Mapping[str, Any], index: int, today: dt.date) -> dict[str, Any]:
    exposure = fact["exposure"]
    last = _iso(exposure["last"])
    contact_type = exposure["contact_type"]
    risk = exposure.get("risk", RISK_FROM_CONTACT_TYPE[contact_type])
    effective: dict[str, Any]
    if "first" in exposure:
        effective = {"effectivePeriod": {"start": _iso(exposure["first"]), "end": last}}
    else:
        effective = {"effectiveDateTime": last}
    return {
        "resourceType": "Observation",
        "id": f"exposure-{index}",
        "meta": _meta("exposure"),
        "status": "final",
        "code": _concept(EXPOSURE, "mpox-exposure"),
        "subject": _subject(),
        **effective,
        "valueCodeableConcept": _concept(SCT, "59774002", "Monkeypox virus"),
        "component": [
            {
                "code": _concept(EXPOSURE, "contact-type"),
                "valueCodeableConcept": _concept(CONTACT_TYPE, contact_type),
            },
            {
                "code": _concept(EXPOSURE, "exposure-risk"),
                "valueCodeableConcept": _concept(EXPOSURE_RISK, risk),
            },
        ],
    }


def _immunization(fact: Mapping[str, Any], index: int, today: dt.date) -> dict[str, Any]:
    imm = fact["immunization"]
    code, is_mpox = VACCINES[imm["vaccine"]]
    resource: dict[str, Any] = {
        "resourceType": "Immunization",
        "id": f"immunization-{index}",
        "status": imm.get("status", "completed"),
        "vaccineCode": _concept(CVX, code),
        "patient": _subject(),
        "occurrenceDateTime": _iso(imm["date"]),
        "primarySource": "country" not in imm,
    }
    if is_mpox:
        resource["meta"] = _meta("immunization")
        resource["lotNumber"] = imm.get("lot", f"LOT{index:04d}")
    if "country" in imm:
        # Given abroad: docs/data-dictionary.md has no element for it; the vignettes use a contained
        # Location with the ISO 3166 country code, and primarySource false (README.md).
        resource["contained"] = [
            {"resourceType": "Location", "id": "given-at", "address": {"country": imm["country"]}}
        ]
        resource["location"] = {"reference": "#given-at"}
    if "route" in imm:
        route_code, route_display = ROUTES[imm["route"]]
        resource["route"] = _concept(SCT, route_code, route_display)
    if "volume" in imm:
        resource["doseQuantity"] = {
            "value": float(imm["volume"]),
            "unit": "mL",
            "system": UCUM,
            "code": "mL",
        }
    if "indication" in imm:
        resource["reasonCode"] = [_concept(INDICATION, imm["indication"])]
    if "dose" in imm:
        resource["protocolApplied"] = [{"doseNumberPositiveInt": int(imm["dose"])}]
    return _ordered(resource, "Immunization")


def _allergy(fact: Mapping[str, Any], index: int, today: dt.date) -> dict[str, Any]:
    system, code, display = ALLERGENS[fact["allergy"]]
    return {
        "resourceType": "AllergyIntolerance",
        "id": f"allergy-{index}",
        "clinicalStatus": _concept(ALLERGY_CLINICAL, "active"),
        "verificationStatus": _concept(ALLERGY_VER, "confirmed"),
        "code": _concept(system, code, display),
        "patient": _subject(),
        "recordedDate": _iso(fact.get("date", today)),
    }


def _medication(fact: Mapping[str, Any], index: int, today: dt.date) -> dict[str, Any]:
    code, display = MEDICATIONS[fact["medication"]]
    return {
        "resourceType": "MedicationStatement",
        "id": f"medication-{index}",
        "status": fact.get("status", "active"),
        "medicationCodeableConcept": _concept(ATC, code, display),
        "subject": _subject(),
        "effectivePeriod": {"start": _iso(fact.get("date", today))},
    }


# FHIR JSON does not depend on key order, but a conventional order reads better.
_ORDER = {
    "Condition": (
        "resourceType",
        "id",
        "meta",
        "clinicalStatus",
        "verificationStatus",
        "code",
        "subject",
        "onsetDateTime",
        "recordedDate",
    ),
    "Immunization": (
        "resourceType",
        "id",
        "meta",
        "contained",
        "status",
        "vaccineCode",
        "patient",
        "occurrenceDateTime",
        "primarySource",
        "location",
        "lotNumber",
        "route",
        "doseQuantity",
        "reasonCode",
        "protocolApplied",
    ),
}


def _ordered(resource: dict[str, Any], kind: str) -> dict[str, Any]:
    order = _ORDER[kind]
    return {key: resource[key] for key in order if key in resource} | {
        key: value for key, value in resource.items() if key not in order
    }


# fact kind -> (builder, Parameters parameter name)
_BUILDERS = {
    "risk_factor": (_risk_factor, "observation"),
    "condition": (_condition, "condition"),
    "symptom": (_symptom, "condition"),
    "lab": (_lab, "observation"),
    "temperature": (_temperature, "observation"),
    "exposure": (_exposure, "observation"),
    "immunization": (_immunization, "immunization"),
    "allergy": (_allergy, "allergyIntolerance"),
    "medication": (_medication, "medicationStatement"),
}
PARAMETER_ORDER = (
    "assessmentDate",
    "patient",
    "immunization",
    "condition",
    "observation",
    "allergyIntolerance",
    "medicationStatement",
    "jurisdiction",
)


def fact_kind(fact: Mapping[str, Any]) -> str:
    """The kind of a fact: the one key of FACT_KINDS it has."""
    kinds = [key for key in fact if key in FACT_KINDS]
    if len(kinds) != 1:
        raise ValueError(f"a fact needs exactly one of {sorted(FACT_KINDS)}: {dict(fact)}")
    return kinds[0]


def build_parameters(vignette: Mapping[str, Any]) -> dict[str, Any]:
    """The `$immds-forecast` input Parameters (docs/contract.md) for a vignette."""
    today = _date(vignette["assessment_date"])
    by_name: dict[str, list[dict[str, Any]]] = {name: [] for name in PARAMETER_ORDER}
    by_name["assessmentDate"].append({"name": "assessmentDate", "valueDate": today.isoformat()})
    by_name["patient"].append({"name": "patient", "resource": _patient(vignette)})
    for index, fact in enumerate(vignette.get("facts") or [], start=1):
        builder, name = _BUILDERS[fact_kind(fact)]
        by_name[name].append({"name": name, "resource": builder(fact, index, today)})
    by_name["jurisdiction"].append({"name": "jurisdiction", "valueCode": vignette["jurisdiction"]})
    return {
        "resourceType": "Parameters",
        "parameter": [p for name in PARAMETER_ORDER for p in by_name[name]],
    }


# --- output -> expected -------------------------------------------------------------------


def _codes(concept: Mapping[str, Any] | None, systems: Iterable[str] | None = None) -> list[str]:
    wanted = set(systems) if systems is not None else None
    return [
        c["code"]
        for c in (concept or {}).get("coding", [])
        if "code" in c and (wanted is None or c.get("system") in wanted)
    ]


def _extension(element: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    for ext in element.get("extension", []):
        if ext.get("url") == f"{SD}/{name}":
            return ext  # type: ignore[no-any-return]
    return None


def _resources(parameters: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    return [
        p["resource"]
        for p in parameters.get("parameter", [])
        if p.get("name") == name and isinstance(p.get("resource"), dict)
    ]


def read_expected(parameters_out: Mapping[str, Any]) -> dict[str, Any]:
    """The forecast output (`$immds-forecast` Out, docs/contract.md) in the vocabulary of a
    vignette's `expected`: only the keys the output has. `not_rules` is not read back
    (compare it with `rules`); `case` is derived from the reported rules (README.md)."""
    recommendations = _resources(parameters_out, "recommendation")
    if len(recommendations) != 1:
        raise ValueError(f"expected one recommendation, got {len(recommendations)}")
    entries = recommendations[0].get("recommendation", [])
    if not entries:
        raise ValueError("ImmunizationRecommendation has no recommendation")
    rec = entries[0]
    out: dict[str, Any] = {}

    statuses = _codes(rec.get("forecastStatus"), (HL7_FORECAST_STATUS, FORECAST_STATUS))
    if statuses:
        out["status"] = statuses[0]
    for ext_name, key in (
        ("mpox-pathway", "pathway"),
        ("mpox-priority-group", "priority_group"),
        ("mpox-care-setting", "care_setting"),
    ):
        ext = _extension(rec, ext_name)
        if ext is not None and "valueCode" in ext:
            out[key] = str(ext["valueCode"])
    if "doseNumberPositiveInt" in rec:
        out["dose_number"] = int(rec["doseNumberPositiveInt"])
    if "seriesDosesPositiveInt" in rec:
        out["series_doses"] = int(rec["seriesDosesPositiveInt"])
    for criterion in rec.get("dateCriterion", []):
        for code in _codes(criterion.get("code"), (LOINC,)):
            if code in CRITERION_KEY and "value" in criterion:
                out[CRITERION_KEY[code]] = _date(criterion["value"])
    route = _extension(rec, "mpox-route")
    if route is not None:
        for code in _codes(route.get("valueCodeableConcept"), (SCT,)):
            if code in ROUTE_BY_CODE:
                out["route"] = ROUTE_BY_CODE[code]
    volume = _extension(rec, "mpox-dose-volume")
    if volume is not None and "value" in volume.get("valueQuantity", {}):
        out["volume"] = float(volume["valueQuantity"]["value"])

    rules = [code for reason in rec.get("forecastReason", []) for code in _codes(reason, (RULE,))]
    out["rules"] = rules
    evaluations = []
    for evaluation in _resources(parameters_out, "evaluation"):
        evaluations.append(
            {
                "dose": evaluation.get("doseNumberPositiveInt"),
                "valid": "valid" in _codes(evaluation.get("doseStatus"), (EVAL_DOSE_STATUS,)),
            }
        )
    out["evaluations"] = evaluations
    fired = set(rules)
    if fired & CONFIRMED_CASE_RULES:
        classification = "confirmed"
    elif fired & SUSPECTED_CASE_RULES:
        classification = "suspected"
    else:
        classification = "none"
    out["case"] = {
        "classification": classification,
        "duties": [rule for rule in rules if rule in DUTY_RULES],
    }
    return out


def mismatches(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
    """How an engine's answer (read_expected) differs from a vignette's `expected`.

    Scalar keys present in `expected` must be equal (volume to 0.001 mL); `rules` and
    `case.duties` must be contained in what was reported; `not_rules` must not be reported;
    `evaluations` must be equal, in order; `case.classification` must be equal. Keys that
    `expected` omits are not compared."""
    problems: list[str] = []
    reported = set(actual.get("rules", []))
    for key in EXPECTED_KEYS:
        if key not in expected:
            continue
        want = expected[key]
        if key == "rules":
            missing = [rule for rule in want if rule not in reported]
            if missing:
                problems.append(f"rules not reported: {missing} (reported {sorted(reported)})")
        elif key == "not_rules":
            extra = [rule for rule in want if rule in reported]
            if extra:
                problems.append(f"rules reported but must not be: {extra}")
        elif key == "case":
            got = actual.get("case", {})
            if "classification" in want and got.get("classification") != want["classification"]:
                problems.append(
                    f"case.classification: expected {want['classification']!r}, "
                    f"got {got.get('classification')!r}"
                )
            missing = [d for d in want.get("duties", []) if d not in got.get("duties", [])]
            if missing:
                problems.append(f"case.duties not reported: {missing}")
        elif key == "volume":
            got_volume = actual.get("volume")
            if got_volume is None or abs(float(got_volume) - float(want)) > 0.001:
                problems.append(f"volume: expected {want!r}, got {got_volume!r}")
        elif key in DATE_CRITERIA:
            got_date = actual.get(key)
            if got_date is None or _date(got_date) != _date(want):
                problems.append(f"{key}: expected {want}, got {got_date}")
        elif key == "evaluations":
            got_evals = [
                {"dose": e.get("dose"), "valid": e.get("valid")}
                for e in actual.get("evaluations", [])
            ]
            if got_evals != list(want):
                problems.append(f"evaluations: expected {list(want)}, got {got_evals}")
        elif actual.get(key) != want:
            problems.append(f"{key}: expected {want!r}, got {actual.get(key)!r}")
    return problems
