"""The FHIRPath compiler: operators and functions, FHIR JSON specifics, and agreement with
fhirpathpy on every invariant of the R4 core package over a corpus of realistic resources."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import fhirpathpy
import pytest
from fhirpathpy.models import models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mpox_adapter.errors import InputError
from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.validation.fhirpath import (
    EvalContext,
    FhirPathError,
    FhirPathEvaluationError,
    compile_expression,
    element_node,
    fallback_reasons,
    is_true,
)
from mpox_adapter.validation.fhirpath_fallback import OPTIONS, fhirpathpy_focus

SD = "http://hl7.org/fhir/StructureDefinition/"
ELE_1 = "hasValue() or (children().count() > id.count())"
EXT_1 = "extension.exists() != value.exists()"

PATIENT: dict[str, Any] = {
    "resourceType": "Patient",
    "id": "p1",
    "meta": {"profile": ["http://example.org/StructureDefinition/p"]},
    "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'},
    "contained": [{"resourceType": "Organization", "id": "org1", "name": "Clinic"}],
    "extension": [
        {
            "url": "http://example.org/race",
            "extension": [{"url": "text", "valueString": "unknown"}],
        }
    ],
    "identifier": [
        {"system": "urn:oid:2.16.578.1.12.4.1.4.1", "value": "13116900216"},
        {
            "system": "http://example.org/mrn",
            "_value": {"extension": [{"url": "x", "valueCode": "masked"}]},
        },
    ],
    "active": True,
    "name": [
        {
            "use": "official",
            "family": "Nordmann",
            "given": ["Kari", "Ola"],
            "_given": [None, {"id": "g2"}],
        },
        {"use": "nickname", "given": ["K"]},
    ],
    "telecom": [{"system": "phone", "value": "+47 22 22 22 22", "use": "home"}],
    "gender": "female",
    "birthDate": "1970-03-30",
    "_birthDate": {
        "extension": [
            {
                "url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime",
                "valueDateTime": "1970-03-30T14:35:45-05:00",
            }
        ]
    },
    "deceasedBoolean": False,
    "multipleBirthInteger": 2,
    "address": [{"line": ["Storgata 1"], "city": "Oslo", "postalCode": "0155", "country": "NO"}],
    "contact": [{"relationship": [{"text": "mother"}], "name": {"family": "Nordmann"}}],
    "managingOrganization": {"reference": "#org1"},
    "generalPractitioner": [{"reference": "Practitioner/gp1", "display": "Dr. Who"}],
}

OBSERVATION: dict[str, Any] = {
    "resourceType": "Observation",
    "id": "o1",
    "status": "final",
    "category": [
        {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                    "code": "laboratory",
                }
            ]
        }
    ],
    "code": {"coding": [{"system": "http://loinc.org", "code": "2339-0", "display": "Glucose"}]},
    "subject": {"reference": "Patient/p1"},
    "effectivePeriod": {"start": "2022-08-01T10:00:00+02:00", "end": "2022-08-01T09:30:00Z"},
    "issued": "2022-08-01T12:00:00.000Z",
    "valueQuantity": {
        "value": 5.4,
        "unit": "mmol/L",
        "system": "http://unitsofmeasure.org",
        "code": "mmol/L",
    },
    "interpretation": [
        {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                    "code": "N",
                }
            ]
        }
    ],
    "referenceRange": [
        {
            "low": {
                "value": 3.9,
                "unit": "mmol/L",
                "system": "http://unitsofmeasure.org",
                "code": "mmol/L",
            },
            "high": {
                "value": 6.1,
                "unit": "mmol/L",
                "system": "http://unitsofmeasure.org",
                "code": "mmol/L",
            },
        },
        {"type": {"text": "no bounds"}},
        {
            "low": {"value": 10, "code": "g"},
            "high": {"value": 1, "code": "kg"},
            "age": {
                "low": {
                    "value": 18,
                    "unit": "a",
                    "system": "http://unitsofmeasure.org",
                    "code": "a",
                }
            },
        },
    ],
    "component": [
        {
            "code": {"coding": [{"system": "http://loinc.org", "code": "2339-0"}]},
            "valueQuantity": {"value": 1.0, "code": "1", "system": "http://unitsofmeasure.org"},
        },
        {"code": {"text": "comment"}, "valueString": "fasting", "_valueString": {"id": "c2"}},
        {"code": {"text": "missing"}, "dataAbsentReason": {"text": "not asked"}},
    ],
}

VITAL_SIGN: dict[str, Any] = {
    "resourceType": "Observation",
    "id": "vs1",
    "meta": {"profile": [SD + "vitalsigns"]},
    "status": "final",
    "category": [
        {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                    "code": "vital-signs",
                }
            ]
        }
    ],
    "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
    "subject": {"reference": "Patient/p1"},
    "effectiveDateTime": "2022",
    "valueQuantity": {
        "value": 37.5,
        "unit": "Cel",
        "system": "http://unitsofmeasure.org",
        "code": "Cel",
    },
}

BAD_OBSERVATION: dict[str, Any] = {
    "resourceType": "Observation",
    "status": "final",
    "code": {"text": "x"},
    "valueString": "high",
    "dataAbsentReason": {"text": "x"},
    "referenceRange": [{"appliesTo": [{"text": "x"}]}],
    "component": [{"code": {"coding": [{"system": "http://loinc.org", "code": "1"}]}}],
    "effectiveDateTime": "2022-01-01T10:00:00Z",
    "_status": {"extension": [{"url": "x"}]},
}

IMMUNIZATION: dict[str, Any] = {
    "resourceType": "Immunization",
    "id": "i1",
    "status": "completed",
    "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "206"}]},
    "patient": {"reference": "Patient/p1"},
    "occurrenceDateTime": "2022-08-01",
    "primarySource": True,
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
    "performer": [{"actor": {"reference": "Practitioner/gp1"}}],
    "education": [{"documentType": "VIS"}, {"presentationDate": "2022-08-01"}],
    "protocolApplied": [{"doseNumberPositiveInt": 1, "seriesDosesString": "2"}],
}

CONDITION: dict[str, Any] = {
    "resourceType": "Condition",
    "clinicalStatus": {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                "code": "resolved",
            }
        ]
    },
    "verificationStatus": {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                "code": "confirmed",
            }
        ]
    },
    "category": [{"coding": [{"code": "problem-list-item"}]}],
    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "414015000"}], "text": "mpox"},
    "subject": {"reference": "Patient/p1"},
    "onsetDateTime": "2022-07-20",
    "abatementAge": {"value": 40, "unit": "a", "system": "http://unitsofmeasure.org", "code": "a"},
    "stage": [{"summary": {"text": "1"}}, {"type": {"text": "no summary"}}],
    "evidence": [{"code": [{"text": "rash"}]}],
}

BAD_CONDITION: dict[str, Any] = {
    "resourceType": "Condition",
    "clinicalStatus": {
        "coding": [
            {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}
        ]
    },
    "verificationStatus": {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                "code": "entered-in-error",
            }
        ]
    },
    "subject": {"reference": "Patient/p1"},
    "abatementDateTime": "2022-09",
}

ENCOUNTER: dict[str, Any] = {
    "resourceType": "Encounter",
    "status": "finished",
    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
    "period": {"start": "2022-08-02", "end": "2022-08-01T10:00:00Z"},
    "location": [
        {
            "location": {"reference": "Location/1"},
            "period": {"start": "2022-08", "end": "2022-08-15"},
        },
        {
            "location": {"reference": "Location/2"},
            "period": {"start": "2022-08-01T10:00:00+02:00", "end": "2022-08-01T09:00:00Z"},
        },
    ],
    "length": {"value": 3, "unit": "d", "system": "http://unitsofmeasure.org", "code": "d"},
}

MEDICATION_REQUEST: dict[str, Any] = {
    "resourceType": "MedicationRequest",
    "status": "active",
    "intent": "order",
    "medicationCodeableConcept": {"text": "tecovirimat"},
    "subject": {"reference": "Patient/p1"},
    "dosageInstruction": [
        {
            "timing": {
                "repeat": {
                    "frequency": 2,
                    "period": 1,
                    "periodUnit": "d",
                    "duration": -1,
                    "boundsDuration": {
                        "value": 14,
                        "unit": "d",
                        "system": "http://unitsofmeasure.org",
                        "code": "d",
                    },
                }
            },
            "doseAndRate": [
                {
                    "doseQuantity": {
                        "value": 600,
                        "unit": "mg",
                        "system": "http://unitsofmeasure.org",
                        "code": "mg",
                    }
                }
            ],
        },
        {"timing": {"repeat": {"duration": 5, "offset": 30, "when": ["ACM"], "periodMax": 2}}},
    ],
}

DISPENSE: dict[str, Any] = {
    "resourceType": "MedicationDispense",
    "status": "completed",
    "medicationCodeableConcept": {"text": "x"},
    "whenPrepared": "2022-08-01T10:00:00+02:00",
    "whenHandedOver": "2022-08-01T08:30:00Z",
}

RISK: dict[str, Any] = {
    "resourceType": "RiskAssessment",
    "status": "final",
    "subject": {"reference": "Patient/p1"},
    "prediction": [
        {"outcome": {"text": "x"}, "probabilityDecimal": 0.3},
        {"outcome": {"text": "y"}, "probabilityDecimal": 130},
        {
            "outcome": {"text": "z"},
            "probabilityRange": {
                "low": {"value": 10, "code": "%", "system": "http://unitsofmeasure.org"},
                "high": {"value": 20, "code": "kg"},
            },
        },
    ],
}

QUESTIONNAIRE: dict[str, Any] = {
    "resourceType": "Questionnaire",
    "status": "active",
    "name": "Mpox",
    "url": "http://example.org/Questionnaire/mpox",
    "item": [
        {
            "linkId": "1",
            "type": "group",
            "text": "Symptoms",
            "item": [
                {
                    "linkId": "1.1",
                    "type": "boolean",
                    "text": "Rash?",
                    "enableWhen": [{"question": "0", "operator": "exists", "answerBoolean": True}],
                },
                {
                    "linkId": "1.2",
                    "type": "choice",
                    "answerValueSet": "http://example.org/vs",
                    "answerOption": [{"valueCoding": {"code": "a"}}],
                },
                {"linkId": "1.3", "type": "display", "text": "note", "required": True},
                {
                    "linkId": "1.4",
                    "type": "string",
                    "maxLength": 10,
                    "initial": [{"valueString": "a"}, {"valueString": "b"}],
                },
            ],
        },
        {"linkId": "2", "type": "group"},
        {
            "linkId": "1",
            "type": "decimal",
            "enableWhen": [
                {"question": "1", "operator": "exists", "answerString": "x"},
                {"question": "1", "operator": "=", "answerDecimal": 1.5},
                {"question": "1", "operator": "=", "answerDecimal": 2},
            ],
        },
    ],
}

APPOINTMENT: dict[str, Any] = {
    "resourceType": "Appointment",
    "status": "booked",
    "start": "2022-08-01T10:00:00Z",
    "cancelationReason": {"text": "x"},
    "participant": [
        {"status": "accepted", "actor": {"reference": "Patient/p1"}},
        {"status": "accepted"},
    ],
}

PARAMETERS: dict[str, Any] = {
    "resourceType": "Parameters",
    "parameter": [
        {"name": "a", "valueString": "x"},
        {"name": "b", "part": [{"name": "c", "valueInteger": 1}]},
        {"name": "d", "valueString": "x", "resource": {"resourceType": "Patient", "id": "px"}},
        {"name": "e"},
    ],
}

CODE_SYSTEM: dict[str, Any] = {
    "resourceType": "CodeSystem",
    "url": "http://example.org/cs",
    "name": "Mpox",
    "status": "active",
    "content": "complete",
    "concept": [
        {"code": "a", "concept": [{"code": "a1"}, {"code": "b"}]},
        {"code": "b"},
    ],
}

VALUE_SET: dict[str, Any] = {
    "resourceType": "ValueSet",
    "url": "http://example.org/vs",
    "status": "active",
    "compose": {
        "include": [
            {
                "system": "http://snomed.info/sct",
                "filter": [{"property": "concept", "op": "is-a", "value": "1"}],
            },
            {"concept": [{"code": "x"}]},
            {
                "valueSet": ["http://example.org/other"],
                "concept": [{"code": "y"}],
                "filter": [{"property": "p", "op": "=", "value": "1"}],
            },
        ]
    },
    "expansion": {
        "timestamp": "2022-08-01T00:00:00Z",
        "contains": [{"system": "s", "code": "c"}, {"abstract": False}],
    },
}

BUNDLE_DOCUMENT: dict[str, Any] = {
    "resourceType": "Bundle",
    "type": "document",
    "identifier": {
        "system": "urn:ietf:rfc:3986",
        "value": "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0",
    },
    "timestamp": "2022-08-01T10:00:00Z",
    "entry": [
        {
            "fullUrl": "urn:uuid:c1",
            "resource": {
                "resourceType": "Composition",
                "status": "final",
                "type": {"text": "x"},
                "date": "2022-08-01",
                "author": [{"reference": "urn:uuid:p1"}],
                "title": "Report",
                "section": [
                    {"title": "a", "text": {"status": "generated", "div": "<div>x</div>"}},
                    {
                        "title": "b",
                        "emptyReason": {"text": "x"},
                        "entry": [{"reference": "urn:uuid:p1"}],
                    },
                    {"title": "c"},
                ],
            },
        },
        {"fullUrl": "urn:uuid:p1", "resource": copy.deepcopy(PATIENT)},
        {
            "fullUrl": "http://example.org/fhir/Patient/1/_history/1",
            "resource": {"resourceType": "Patient", "id": "1", "meta": {"versionId": "1"}},
        },
    ],
}

BUNDLE_TRANSACTION: dict[str, Any] = {
    "resourceType": "Bundle",
    "type": "transaction",
    "total": 2,
    "entry": [
        {
            "fullUrl": "urn:uuid:a",
            "resource": copy.deepcopy(IMMUNIZATION),
            "request": {"method": "POST", "url": "Immunization"},
        },
        {
            "fullUrl": "urn:uuid:a",
            "resource": copy.deepcopy(CONDITION),
            "search": {"mode": "match"},
        },
        {"request": {"method": "DELETE", "url": "Patient/1"}},
    ],
}

ORPHANS: dict[str, Any] = {
    "resourceType": "Patient",
    "contained": [
        {"resourceType": "Practitioner", "id": "used"},
        {
            "resourceType": "Organization",
            "id": "unused",
            "meta": {"versionId": "1", "security": [{"code": "R"}]},
            "contained": [{"resourceType": "Patient"}],
        },
    ],
    "generalPractitioner": [{"reference": "#used"}, {"reference": "#missing"}],
    "_birthDate": {
        "extension": [
            {
                "url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                "valueCode": "unknown",
            }
        ]
    },
    "_gender": {"id": "g"},
    "extension": [
        {"url": "http://example.org/both", "valueString": "x", "extension": [{"url": "y"}]},
        {"url": "http://example.org/none"},
    ],
}

CORPUS: list[tuple[dict[str, Any], str | None]] = [
    (PATIENT, None),
    (OBSERVATION, None),
    (VITAL_SIGN, SD + "vitalsigns"),
    (BAD_OBSERVATION, None),
    (IMMUNIZATION, None),
    (CONDITION, None),
    (BAD_CONDITION, None),
    (ENCOUNTER, None),
    (MEDICATION_REQUEST, None),
    (DISPENSE, None),
    (RISK, None),
    (QUESTIONNAIRE, None),
    (APPOINTMENT, None),
    (PARAMETERS, None),
    (CODE_SYSTEM, None),
    (VALUE_SET, None),
    (BUNDLE_DOCUMENT, None),
    (BUNDLE_TRANSACTION, None),
    (ORPHANS, None),
]
# Conformance resources from the package itself exercise the eld-* and sdf-* invariants.
PACKAGE_RESOURCES = [SD + "Period", SD + "patient-birthTime", SD + "vitalsigns", SD + "Quantity"]


def run(
    expression: str, focus: Any = None, resource: dict[str, Any] | None = None, **hooks: Any
) -> list[Any]:
    resource = resource if resource is not None else PATIENT
    ctx = EvalContext(resource=resource, **hooks)
    return compile_expression(expression)(resource if focus is None else focus, ctx)


# --- operators and functions -------------------------------------------------------------

CASES: list[tuple[str, list[Any]]] = [
    # navigation, type names, primitives with _name siblings, choice elements
    ("Patient.name.given", ["Kari", "Ola", "K"]),
    ("name.given", ["Kari", "Ola", "K"]),
    ("Observation.name", []),
    ("name.given[1]", ["Ola"]),
    ("name.given[5]", []),
    ("name[0].given.last()", ["Ola"]),
    ("birthDate", ["1970-03-30"]),
    ("birthDate.count()", [1]),
    ("birthDate.extension.url", ["http://hl7.org/fhir/StructureDefinition/patient-birthTime"]),
    ("birthDate.extension.value", ["1970-03-30T14:35:45-05:00"]),
    ("name.given.id", ["g2"]),
    ("identifier.value.hasValue()", [False]),
    ("identifier[1].value.hasValue()", [False]),
    ("identifier[1].value.exists()", [True]),
    ("identifier[1].value.extension.value", ["masked"]),
    ("deceased", [False]),
    ("deceased is boolean", [True]),
    ("deceased is Boolean", [True]),
    ("deceased is System.Boolean", [True]),
    ("deceased is string", [False]),
    ("multipleBirth.ofType(integer)", [2]),
    ("multipleBirth.ofType(boolean)", []),
    ("deceased.as(boolean)", [False]),
    ("text.`div`.exists()", [True]),
    ("children().count() > 10", [True]),
    ("contained.descendants().count()", [2]),
    ("managingOrganization.resolve().name", ["Clinic"]),
    ("generalPractitioner.resolve()", []),
    ("extension('http://example.org/race').extension.value", ["unknown"]),
    (
        "birthDate.extension('http://hl7.org/fhir/StructureDefinition/patient-birthTime').exists()",
        [True],
    ),
    ("%resource.id", ["p1"]),
    ("%rootResource.id", ["p1"]),
    ("%context.id", ["p1"]),
    ("%ucum", ["http://unitsofmeasure.org"]),
    ("%sct & '|' & %loinc", ["http://snomed.info/sct|http://loinc.org"]),
    ("%`vs-administrative-gender`", ["http://hl7.org/fhir/ValueSet/administrative-gender"]),
    ("%`ext-patient-birthTime`", ["http://hl7.org/fhir/StructureDefinition/patient-birthTime"]),
    # literals
    ("'it\\'s \\u0041\\n'", ["it's A\n"]),
    ("{}", []),
    ("{}.exists()", [False]),
    ("true", [True]),
    ("1.50", [Decimal("1.50")]),
    ("@2020-01-01.is(Date)", [True]),
    ("@2020-01-01T10:00:00Z is DateTime", [True]),
    ("@T10:00 is Time", [True]),
    # equality and equivalence
    ("1 = 1", [True]),
    ("1 = 1.0", [True]),
    ("0.1 = 0.1", [True]),
    ("1 = '1'", [False]),
    ("true = 1", [False]),
    ("1 != 2", [True]),
    ("{} = 1", []),
    ("(1 | 2) = (1 | 2)", [True]),
    ("(1 | 2) = (2 | 1)", [False]),
    ("(1 | 2) = 1", [False]),
    ("'Abc  d' ~ 'abc d'", [True]),
    ("(1 | 2) ~ (2 | 1)", [True]),
    ("{} ~ {}", [True]),
    ("1.2 ~ 1.24", [True]),
    ("'a' !~ 'A'", [False]),
    ("name.first() = name.first()", [True]),
    ("name.first() = name.last()", [False]),
    # comparison
    ("2 > 1.5", [True]),
    ("'abc' < 'abd'", [True]),
    ("@2020-01-01 < @2020-01-02", [True]),
    ("@2020-01 < @2020-01-02", []),
    ("@2020-01 < @2020-02-15", [True]),
    ("@2020-01 = @2020-01", [True]),
    ("@2020-01 = @2020-01-01", []),
    ("@2020-01-01T10:00:00+02:00 = @2020-01-01T08:00:00Z", [True]),
    ("@2020-01-01T10:00:00+02:00 < @2020-01-01T09:00:00Z", [True]),
    ("birthDate < @1970-04", [True]),
    ("birthDate = @1970-03-30", [True]),
    ("birthDate > @1970", []),
    ("{} < 1", []),
    # boolean logic (three-valued)
    ("true and {}", []),
    ("false and {}", [False]),
    ("true or {}", [True]),
    ("false or {}", []),
    ("true xor false", [True]),
    ("true xor {}", []),
    ("false implies {}", [True]),
    ("true implies {}", []),
    ("{} implies true", [True]),
    ("{} implies false", []),
    ("true.not()", [False]),
    ("{}.not()", []),
    ("name.exists() and 'x'", [True]),
    # arithmetic and strings
    ("1 + 2 * 3", [7]),
    ("7 / 2", [Decimal("3.5")]),
    ("7 div 2", [3]),
    ("-7 div 2", [-3]),
    ("7 mod 3", [1]),
    ("-7 mod 3", [-1]),
    ("1 / 0", []),
    ("5.5 mod 2", [Decimal("1.5")]),
    ("-(2)", [-2]),
    ("'a' + 'b'", ["ab"]),
    ("'a' & {}", ["a"]),
    ("'a' + {}", []),
    ("(1 | 1 | 2).count()", [2]),
    ("(1 | 2).combine(1).count()", [3]),
    ("(1 | 2 | 3).intersect(2 | 3 | 4)", [2, 3]),
    ("(1 | 2 | 3).exclude(2)", [1, 3]),
    ("(1 | 2).union(3)", [1, 2, 3]),
    ("2 in (1 | 2)", [True]),
    ("(1 | 2) contains 3", [False]),
    ("{} in (1 | 2)", []),
    ("1 in {}", [False]),
    ("(1 | 2).subsetOf(1 | 2 | 3)", [True]),
    ("(1 | 2).supersetOf(1 | 3)", [False]),
    # functions on collections
    ("name.empty()", [False]),
    ("name.exists(use = 'nickname')", [True]),
    ("name.all(given.exists())", [True]),
    ("name.all(family.exists())", [False]),
    ("{}.all(false)", [True]),
    ("(true | false).allTrue()", [False]),
    ("(true | false).anyTrue()", [True]),
    ("(false).allFalse()", [True]),
    ("(true).anyFalse()", [False]),
    ("(1 | 2 | 2).distinct().count()", [2]),
    ("name.given.isDistinct()", [True]),
    ("name.given.first()", ["Kari"]),
    ("name.given.tail()", ["Ola", "K"]),
    ("name.given.skip(1).take(1)", ["Ola"]),
    ("name.given.take(0)", []),
    ("gender.single()", ["female"]),
    ("name.where(use = 'official').family", ["Nordmann"]),
    ("name.select(given.first())", ["Kari", "K"]),
    ("name.given.where($index > 0 and $this != 'K')", ["Ola"]),
    ("contained.repeat(contained).count()", [0]),
    ("name.select(given)", ["Kari", "Ola", "K"]),
    ("(name | name).count()", [2]),
    ("name.combine(name).count()", [4]),
    ("name.given.aggregate($this + ',' + $total, '')", ["K,Ola,Kari,"]),
    ("(1 | 2 | 3).aggregate($total + $this, 0)", [6]),
    ("iif(active, 'yes', 'no')", ["yes"]),
    ("iif(false, 'yes')", []),
    ("name.iif(exists(), 1, 2)", [1]),
    ("name.given.trace('given').count()", [3]),
    # strings
    ("gender.startsWith('fe')", [True]),
    ("gender.endsWith('male')", [True]),
    ("gender.contains('ema')", [True]),
    ("gender.substring(2)", ["male"]),
    ("gender.substring(0, 2)", ["fe"]),
    ("gender.substring(10)", []),
    ("gender.length()", [6]),
    ("gender.upper()", ["FEMALE"]),
    ("'ABC'.lower()", ["abc"]),
    ("gender.indexOf('m')", [2]),
    ("gender.indexOf('x')", [-1]),
    ("gender.replace('fe', '')", ["male"]),
    ("gender.matches('^f.m')", [True]),
    ("gender.matches('mal')", [True]),
    ("gender.matchesFull('mal')", [False]),
    ("'a.b.c'.replaceMatches('\\\\.', '-')", ["a-b-c"]),
    ("'2020-01'.replaceMatches('(\\\\d+)-(\\\\d+)', '$2/$1')", ["01/2020"]),
    ("'abc'.toChars()", ["a", "b", "c"]),
    ("{}.startsWith('a')", []),
    # conversions
    ("'12'.toInteger() + 1", [13]),
    ("'1.5'.toInteger()", []),
    ("'1.5'.toDecimal()", [Decimal("1.5")]),
    ("true.toInteger()", [1]),
    ("1.5.toString()", ["1.5"]),
    ("true.toString()", ["true"]),
    ("'12'.convertsToInteger()", [True]),
    ("'x'.convertsToDecimal()", [False]),
    ("'yes'.convertsToBoolean()", [True]),
    ("'2020-01-01'.convertsToDate()", [True]),
    ("'2020-01-01T10:00:00Z'.convertsToDateTime()", [True]),
    ("'x'.convertsToDateTime()", [False]),
    ("1.convertsToString()", [True]),
    ("(-2).abs()", [2]),
    ("1.5.floor()", [1]),
    ("1.5.ceiling()", [2]),
    # FHIR-specific functions
    ("hasValue()", [False]),
    ("gender.hasValue()", [True]),
    ("htmlChecks()", [True]),
    ("today() > @2020-01-01", [True]),
    ("now() > @2020-01-01T00:00:00Z", [True]),
    ("gender.memberOf('http://hl7.org/fhir/ValueSet/administrative-gender')", []),
    ("conformsTo('http://example.org/p')", []),
]


@pytest.mark.parametrize(("expression", "expected"), CASES, ids=[c[0] for c in CASES])
def test_expression(expression: str, expected: list[Any]) -> None:
    result = run(expression)
    assert result == expected
    assert [type(x) for x in result] == [type(x) for x in expected] or expected == []


def test_results_are_plain_values() -> None:
    result = run("birthDate | name.given | deceased")
    assert result == ["1970-03-30", "Kari", "Ola", "K", False]
    assert all(type(x) in (str, bool) for x in result)
    # A primitive that has only an extension comes back as its `_name` object.
    assert run("identifier[1].value") == [PATIENT["identifier"][1]["_value"]]


def test_primitive_with_sibling_is_one_node() -> None:
    resource = {"resourceType": "Patient", "birthDate": "1970", "_birthDate": {"id": "b"}}
    assert run("birthDate.count()", resource=resource) == [1]
    assert run("birthDate.id", resource=resource) == ["b"]
    assert run("children().count()", resource=resource) == [1]
    only_extension = {"resourceType": "Patient", "_birthDate": {"extension": [{"url": "x"}]}}
    assert run("birthDate.exists()", resource=only_extension) == [True]
    assert run("birthDate.hasValue()", resource=only_extension) == [False]
    assert run("birthDate.extension.count()", resource=only_extension) == [1]
    listed = {
        "resourceType": "Patient",
        "name": [{"given": ["a", None, "c"], "_given": [None, {"id": "b"}]}],
    }
    assert run("name.given.count()", resource=listed) == [3]
    assert run("name.given.where(hasValue().not()).id", resource=listed) == ["b"]


def test_primitive_focus_with_extension() -> None:
    node = element_node("1970", {"extension": [{"url": "x", "valueString": "y"}]})
    ctx = EvalContext(resource=PATIENT)
    assert compile_expression(ELE_1)(node, ctx) == [True]
    assert compile_expression("extension.value")(node, ctx) == ["y"]
    assert compile_expression(ELE_1)(element_node(None, {"id": "x"}), ctx) == [False]
    assert compile_expression(ELE_1)(element_node(None, {"extension": [{"url": "x"}]}), ctx) == [
        True
    ]


def test_decimals_compare_as_written() -> None:
    resource = {
        "resourceType": "Observation",
        "valueQuantity": {"value": 0.1},
        "component": [{"valueQuantity": {"value": 0.3}}],
    }
    assert run("value.value = 0.1", resource=resource) == [True]
    assert run("value.value + 0.2 = component.value.value", resource=resource) == [True]
    assert run("value.value < 0.10000001", resource=resource) == [True]
    assert run("value.value.toString()", resource=resource) == ["0.1"]
    assert run("value.value ~ 0.12", resource=resource) == [True]
    assert run("value.value * 3", resource=resource) == [Decimal("0.3")]


def test_date_comparisons_with_differing_precision() -> None:
    assert run("@2020 < @2021-01-01") == [True]
    assert run("@2020 < @2020-06-01") == []
    assert run("@2020-06-01T10:00 > @2020-06-01") == []
    assert run("@2020-06-01T10:00:00.5Z > @2020-06-01T10:00:00Z") == [True]
    assert run("@2020-06-01T10:00:00Z = @2020-06-01T10:00:00.000Z") == [True]
    period = {"start": "2022-08", "end": "2022-08-15"}
    assert run("start <= end", focus=period) == []
    assert (
        is_true(
            run("start.hasValue().not() or end.hasValue().not() or (start <= end)", focus=period)
        )
        is False
    )
    zoned = {"start": "2022-08-01T10:00:00+02:00", "end": "2022-08-01T09:00:00Z"}
    assert run("start <= end", focus=zoned) == [True]


def test_choice_types_and_of_type() -> None:
    assert run("effective.ofType(Period).start", resource=OBSERVATION) == [
        "2022-08-01T10:00:00+02:00"
    ]
    assert run("effective.ofType(dateTime)", resource=OBSERVATION) == []
    assert run("effective is Period", resource=OBSERVATION) == [True]
    assert run("value is Quantity", resource=OBSERVATION) == [True]
    assert run("value.as(Quantity).unit", resource=OBSERVATION) == ["mmol/L"]
    assert run("component.value.ofType(string)", resource=OBSERVATION) == ["fasting"]
    assert run("component.value.ofType(string).id", resource=OBSERVATION) == ["c2"]
    assert run("component.value.count()", resource=OBSERVATION) == [2]
    assert run("abatement is Age and abatement is Quantity", resource=CONDITION) == [True]
    assert run("onset.ofType(FHIR.dateTime)", resource=CONDITION) == ["2022-07-20"]
    assert run("Observation.value.value", resource=OBSERVATION) == [5.4]
    # The focus type from the caller types an otherwise plain string.
    ctx = EvalContext(resource=OBSERVATION, focus_type="dateTime")
    assert compile_expression("$this is dateTime")("2022", ctx) == [True]
    assert compile_expression("$this is date")("2022", ctx) == [False]


def test_repeat_walks_nested_items() -> None:
    assert run("item.repeat(item).linkId", resource=QUESTIONNAIRE) == ["1.1", "1.2", "1.3", "1.4"]
    assert run("repeat(item).linkId", resource=QUESTIONNAIRE) == [
        "1",
        "2",
        "1",
        "1.1",
        "1.2",
        "1.3",
        "1.4",
    ]
    assert run("descendants().linkId.isDistinct()", resource=QUESTIONNAIRE) == [False]


def test_quantities_compare_in_the_same_unit() -> None:
    focus = OBSERVATION["referenceRange"][0]
    assert run("low < high", focus=focus, resource=OBSERVATION) == [True]
    assert run("low = low", focus=focus, resource=OBSERVATION) == [True]
    other_units = OBSERVATION["referenceRange"][2]
    assert run("low <= high", focus=other_units, resource=OBSERVATION) == []
    assert run("low.value > high.value", focus=other_units, resource=OBSERVATION) == [True]


def test_collections_as_focus() -> None:
    ctx = EvalContext(resource=PATIENT)
    assert compile_expression("count()")(PATIENT["name"], ctx) == [2]
    assert compile_expression("exists()")(None, ctx) == [False]
    assert compile_expression("$this.given.first()")(PATIENT["name"], ctx) == ["Kari"]


def test_value_set_shortcuts_and_hooks() -> None:
    calls: list[tuple[Any, str]] = []

    def member_of(value: Any, url: str) -> bool | None:
        calls.append((value, url))
        return value == "female"

    assert run("gender.memberOf(%`vs-administrative-gender`)", member_of=member_of) == [True]
    assert calls == [("female", "http://hl7.org/fhir/ValueSet/administrative-gender")]
    assert run("conformsTo('x')", conforms_to=lambda v, u: False) == [False]
    found = {"resourceType": "Practitioner", "id": "gp1"}
    assert run("generalPractitioner.resolve().id", resolver=lambda ref: found) == ["gp1"]


def test_contained_resource_context() -> None:
    contained = PATIENT["contained"][0]
    ctx = EvalContext(resource=contained, root_resource=PATIENT)
    assert compile_expression("%resource.id | %rootResource.id")(contained, ctx) == ["org1", "p1"]
    reference = {"reference": "#org1"}
    ref_1 = (
        "reference.startsWith('#').not() or "
        "(reference.substring(1).trace('url') in %rootResource.contained.id.trace('ids'))"
    )
    assert compile_expression(ref_1)(reference, ctx) == [True]
    assert compile_expression(ref_1)({"reference": "#nope"}, ctx) == [False]


def test_is_true_follows_the_hl7_validator() -> None:
    assert is_true([True]) is True
    assert is_true([False]) is False
    assert is_true([]) is False
    assert is_true(["x"]) is True
    assert is_true([False, False]) is True


@pytest.mark.parametrize(
    "expression",
    ["name.", "name.where(", "1 +", "name given", "'unterminated", "a.b(]", "@2020-13-45T"],
)
def test_syntax_errors(expression: str) -> None:
    with pytest.raises(FhirPathError) as caught:
        compile_expression(expression)
    assert isinstance(caught.value, InputError)
    assert caught.value.location == expression


@pytest.mark.parametrize(
    "expression",
    [
        "name.given.single()",
        "1 < 'a'",
        "(1 | 2) + 1",
        "name.given.substring(1)",
        "'a'.matches('(')",
        "%nope",
        "gender.substring('a')",
        "true.combine(true) and true",
    ],
)
def test_evaluation_errors(expression: str) -> None:
    with pytest.raises(FhirPathEvaluationError) as caught:
        run(expression)
    assert isinstance(caught.value, FhirPathError)
    assert caught.value.location == expression


def test_fallback_for_unsupported_constructs() -> None:
    assert run("(5 'mg').exists()") == [True]
    assert run("gender.type().name") is not None
    reasons = fallback_reasons()
    assert "(5 'mg').exists()" in reasons
    assert "gender.type().name" in reasons
    assert "name.given" not in reasons
    # hasValue() is added to fhirpathpy for expressions that fall back.
    assert run("gender.hasValue() and (1 'a').exists()") == [True]


# --- every core invariant, compared with fhirpathpy ----------------------------------------


@dataclass
class Site:
    """One element of a corpus resource and the invariants that apply to it."""

    focus: Any
    type_path: str  # for fhirpathpy's model: a type name or an element path
    constraints: list[dict[str, Any]]
    context: EvalContext
    where: str


class Walker:
    """Find every element of a resource with its constraints: those on its element
    definition plus those on the root of its type (Period's per-1 on every Period)."""

    def __init__(self, definitions: Definitions) -> None:
        self.definitions = definitions
        self.indexes: dict[str, dict[str, dict[str, Any]]] = {}

    def elements(self, url: str) -> dict[str, dict[str, Any]]:
        if url not in self.indexes:
            sd = self.definitions.structure_definition(url)
            assert sd is not None, url
            self.indexes[url] = {
                e["path"]: e for e in sd["snapshot"]["element"] if "sliceName" not in e
            }
        return self.indexes[url]

    def resource(
        self, resource: dict[str, Any], url: str | None = None, root: dict[str, Any] | None = None
    ) -> Iterator[Site]:
        url = url or SD + resource["resourceType"]
        context = EvalContext(resource=resource, root_resource=root or resource)
        yield from self.visit(
            resource, None, url, resource["resourceType"], context, [], resource["resourceType"]
        )

    def visit(
        self,
        value: Any,
        ext: Any,
        url: str,
        path: str,
        context: EvalContext,
        extra: list[dict[str, Any]],
        where: str,
    ) -> Iterator[Site]:
        elements = self.elements(url)
        definition = elements[path]
        constraints = list(extra)
        for c in definition.get("constraint", []):
            if "expression" in c and all(c["expression"] != x["expression"] for x in constraints):
                constraints.append(c)
        focus = value if ext is None else element_node(value, ext)
        yield Site(focus, path, constraints, context, where)
        members = value if isinstance(value, dict) else (ext or {})
        if not isinstance(members, dict):
            return
        for key in members:
            if key == "resourceType" or (key.startswith("_") and key[1:] in members):
                continue
            name = key[1:] if key.startswith("_") else key
            found = self.child(elements, path, name)
            if found is None:
                continue
            child, type_code = found
            values = members.get(name)
            exts = members.get("_" + name)
            count = max(
                len(values) if isinstance(values, list) else 1,
                len(exts) if isinstance(exts, list) else 1,
            )
            for i in range(count):
                item = (
                    values[i]
                    if isinstance(values, list) and i < len(values)
                    else (None if isinstance(values, list) else values)
                )
                item_ext = (
                    exts[i]
                    if isinstance(exts, list) and i < len(exts)
                    else (None if isinstance(exts, list) else exts)
                )
                if item is None and item_ext is None:
                    continue
                label = f"{where}.{name}[{i}]"
                yield from self.child_sites(
                    item, item_ext, url, path, child, type_code, context, label
                )

    @staticmethod
    def child(
        elements: dict[str, dict[str, Any]], path: str, name: str
    ) -> tuple[dict[str, Any], str | None] | None:
        definition = elements.get(f"{path}.{name}")
        if definition is not None:
            types = definition.get("type", [])
            return definition, (types[0]["code"] if len(types) == 1 else None)
        for other, definition in elements.items():
            if other.startswith(path + ".") and other.endswith("[x]"):
                base = other[len(path) + 1 : -3]
                if "." not in base and name.startswith(base) and name[len(base) :][:1].isupper():
                    suffix = name[len(base) :]
                    for t in definition.get("type", []):
                        if t["code"].lower() == suffix.lower():
                            return definition, t["code"]
        return None

    def child_sites(
        self,
        item: Any,
        item_ext: Any,
        url: str,
        path: str,
        child: dict[str, Any],
        type_code: str | None,
        context: EvalContext,
        where: str,
    ) -> Iterator[Site]:
        own = [c for c in child.get("constraint", []) if "expression" in c]
        if "contentReference" in child:
            target = child["contentReference"].lstrip("#")
            yield from self.visit(item, item_ext, url, target, context, own, where)
        elif type_code in ("BackboneElement", "Element") and isinstance(item, dict):
            yield from self.visit(item, item_ext, url, child["path"], context, own, where)
        elif type_code == "Resource" or (isinstance(item, dict) and "resourceType" in item):
            if isinstance(item, dict) and isinstance(item.get("resourceType"), str):
                root = context.root_resource if child["path"].endswith(".contained") else None
                yield from self.resource(item, root=root)
        elif type_code is not None and not type_code.startswith("http://"):
            yield from self.visit(item, item_ext, SD + type_code, type_code, context, own, where)


def _corpus(definitions: Definitions) -> list[tuple[dict[str, Any], str | None]]:
    corpus = list(CORPUS)
    for url in PACKAGE_RESOURCES:
        resource = definitions.structure_definition(url)
        assert resource is not None
        corpus.append((resource, None))
    return corpus


def _outcome(evaluate: Any, *args: Any) -> bool | str:
    try:
        return is_true(evaluate(*args))
    except Exception as exc:  # either engine may reject an evaluation
        return f"error: {type(exc).__name__}"


_FHIRPATHPY: dict[str, Any] = {}


def _reference(expression: str, site: Site) -> Any:
    if expression not in _FHIRPATHPY:
        _FHIRPATHPY[expression] = fhirpathpy.compile(
            expression, model=models["r4"], options=OPTIONS
        )
    variables = {
        "resource": site.context.resource,
        "rootResource": site.context.root_resource,
        "context": site.focus,
        "ucum": "http://unitsofmeasure.org",
    }
    return _FHIRPATHPY[expression](fhirpathpy_focus(site.focus, site.type_path), variables)


_TZ = "fhirpathpy orders dateTimes as strings: it ignores time zones and precision"
# Where fhirpathpy (2.2.4) is wrong: (constraint key, corpus element) or (key, "error") when
# fhirpathpy raises on every element that key is evaluated on.
FHIRPATHPY_WRONG: dict[tuple[str, str], str] = {
    (
        "dom-3",
        "error",
    ): "fhirpathpy's as() rejects more than one item; dom-3 applies it to descendants()",
    ("ctm-1", "error"): "fhirpathpy has no resolve(), and evaluates both sides of implies",
    (
        "rng-2",
        "error",
    ): "fhirpathpy raises comparing Quantities of different units (FHIRPath: empty)",
    (
        "ele-1",
        "Patient.identifier[1].value[0]",
    ): "fhirpathpy's children() ignores `_value`: a primitive with only extensions has children",
    ("ele-1", "Patient.birthDate[0]"): "the same, for a `_birthDate` with no birthDate",
    ("per-1", "Observation.effectivePeriod[0]"): _TZ,
    ("per-1", "Encounter.location[0].period[0]"): _TZ
    + " (2022-08 vs 2022-08-15 is empty, not true)",
    ("per-1", "Encounter.location[1].period[0]"): _TZ,
    ("mdd-1", "MedicationDispense"): _TZ,
    (
        "que-7",
        "Questionnaire.item[0].item[0].enableWhen[0]",
    ): "fhirpathpy's `is Boolean` rejects a FHIR boolean; "
    "the HL7 validator matches type names case-insensitively",
}


def _known_wrong(key: str, where: str, theirs: bool | str) -> bool:
    if (key, where) in FHIRPATHPY_WRONG:
        return True
    return isinstance(theirs, str) and (key, "error") in FHIRPATHPY_WRONG


def test_core_invariants_agree_with_fhirpathpy(
    definitions: Definitions, capsys: pytest.CaptureFixture[str]
) -> None:
    walker = Walker(definitions)
    compared = agreed = 0
    keys: set[str] = set()
    disagreements: dict[str, list[str]] = {}
    for resource, profile in _corpus(definitions):
        for site in walker.resource(copy.deepcopy(resource), profile):
            for constraint in site.constraints:
                expression = constraint["expression"]
                ours = _outcome(compile_expression(expression), site.focus, site.context)
                theirs = _outcome(_reference, expression, site)
                compared += 1
                keys.add(constraint["key"])
                if ours == theirs:
                    agreed += 1
                elif not _known_wrong(constraint["key"], site.where, theirs):
                    disagreements.setdefault(f"{constraint['key']}: {expression}", []).append(
                        f"{site.where}: ours={ours} fhirpathpy={theirs}"
                    )
    with capsys.disabled():
        print(
            f"\nFHIRPath differential: {compared} evaluations of {len(keys)} invariants, "
            f"{agreed} agree"
        )
    assert not disagreements, "\n".join(
        f"{k}\n    " + "\n    ".join(v[:5]) for k, v in disagreements.items()
    )


def _core_constraints(definitions: Definitions) -> dict[str, tuple[str, str, bool]]:
    """expression -> (key, element path, whether that path is a resource's root)."""
    found: dict[str, tuple[str, str, bool]] = {}
    for url in definitions.urls("StructureDefinition"):
        sd = definitions.structure_definition(url) or {}
        for element in sd.get("snapshot", {}).get("element", []):
            for constraint in element.get("constraint", []):
                if "expression" in constraint:
                    is_root = sd.get("kind") == "resource" and "." not in element["path"]
                    found.setdefault(
                        constraint["expression"], (constraint["key"], element["path"], is_root)
                    )
    return found


# Core invariants that run on fhirpathpy, and why.
EXPECTED_FALLBACKS: dict[str, str] = {}


def test_core_invariants_compile_natively(
    definitions: Definitions, capsys: pytest.CaptureFixture[str]
) -> None:
    constraints = _core_constraints(definitions)
    fallbacks = {}
    for expression, (key, _, _) in constraints.items():
        compile_expression(expression)
        if expression in fallback_reasons():
            fallbacks[key] = fallback_reasons()[expression]
    with capsys.disabled():
        print(
            f"\nFHIRPath core invariants: {len(constraints)} distinct, "
            f"{len(constraints) - len(fallbacks)} compiled natively, "
            f"{len(fallbacks)} fall back: {fallbacks}"
        )
    assert fallbacks == EXPECTED_FALLBACKS
    assert {ELE_1, EXT_1, DOM_3} <= constraints.keys()


def test_core_invariants_on_empty_elements(definitions: Definitions) -> None:
    """Every core invariant on an element with nothing in it: no crash, same answer."""
    disagreements = []
    for expression, (key, path, is_root) in _core_constraints(definitions).items():
        resource = {"resourceType": path.split(".")[0]}
        focus: dict[str, Any] = resource if is_root else {}
        site = Site(focus, path, [], EvalContext(resource=resource), path)
        ours = _outcome(compile_expression(expression), focus, site.context)
        theirs = _outcome(_reference, expression, site)
        if ours != theirs and not _known_wrong(key, path, theirs):
            disagreements.append(f"{key} on {path}: ours={ours} fhirpathpy={theirs}")
    assert not disagreements, "\n".join(disagreements)


def test_choice_names_cover_the_core_package(definitions: Definitions) -> None:
    from mpox_adapter.validation.fhirpath_nodes import CHOICE_SUFFIXES, PRIMITIVE_SUFFIXES

    for url in definitions.urls("StructureDefinition"):
        sd = definitions.structure_definition(url)
        if not sd or sd.get("kind") == "logical" or sd.get("derivation") != "specialization":
            continue
        for element in sd.get("snapshot", {}).get("element", []):
            if element["path"].endswith("[x]"):
                name = element["path"].rsplit(".", 1)[-1][:-3]
                suffixes = CHOICE_SUFFIXES.get(name, frozenset())
                for t in element.get("type", []):
                    code = t["code"]
                    suffix = code[0].upper() + code[1:]
                    assert suffix in suffixes or suffix not in PRIMITIVE_SUFFIXES | {
                        "Quantity",
                        "Period",
                        "Reference",
                    }, (element["path"], code)


# --- robustness -------------------------------------------------------------------------

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "extension",
                    "value",
                    "valueString",
                    "_value",
                    "url",
                    "contained",
                    "reference",
                    "resourceType",
                    "a",
                ]
            )
            | st.text(max_size=3),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)
DOM_3 = (
    "contained.where((('#'+id in (%resource.descendants().reference | "
    "%resource.descendants().as(canonical) | %resource.descendants().as(uri) | "
    "%resource.descendants().as(url))) or descendants().where(reference = '#').exists() or "
    "descendants().where(as(canonical) = '#').exists() or "
    "descendants().where(as(canonical) = '#').exists()).not()).trace('unmatched', id).empty()"
)


@settings(max_examples=200, deadline=None)
@given(
    element=st.dictionaries(st.sampled_from(["a", "_a", "b", "_b", "resourceType", "", "_"]), _json)
)
def test_children_count_matches_children(element: dict[str, Any]) -> None:
    from mpox_adapter.validation.fhirpath_nodes import children, count_children

    assert count_children(element) == len(children(element))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(focus=_json, resource=st.dictionaries(st.text(max_size=3), _json, max_size=3))
def test_random_json_never_crashes(focus: Any, resource: dict[str, Any]) -> None:
    ctx = EvalContext(resource=resource)
    for expression in (ELE_1, EXT_1, DOM_3):
        try:
            result = compile_expression(expression)(focus, ctx)
        except FhirPathError:
            continue
        assert isinstance(result, list)
