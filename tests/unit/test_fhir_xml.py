"""FHIR XML to JSON: the HL7 test-case profiles, hand-written resources and refused input."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from mpox_adapter.errors import InputError
from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.fhir.packages import load_into
from mpox_adapter.fhir.xml import xml_to_json

# The HL7 validator's test cases, copied into the repository (an override may point elsewhere).
CASES_DIR = Path(
    os.environ.get(
        "MPOX_FHIR_TEST_CASES",
        Path(__file__).resolve().parents[1] / "data" / "conformance" / "fhir-test-cases",
    )
)
FHIR = 'xmlns="http://hl7.org/fhir"'
XHTML = "http://www.w3.org/1999/xhtml"


def convert(xml: str, definitions: Definitions) -> dict[str, Any]:
    return xml_to_json(xml.encode(), definitions)


def case_files() -> list[str]:
    return sorted(p.name for p in CASES_DIR.glob("*.xml"))


# --- the HL7 validator's XML test cases ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "min_"),
    [
        ("patient-min-profile-none.xml", 0),
        ("patient-min-profile-none1.xml", 1),
        ("patient-min-profile-fixed.xml", 0),
        ("patient-min-profile-fixed1.xml", 1),
        ("patient-min-profile-pattern.xml", 0),
        ("patient-min-profile-pattern1.xml", 1),
    ],
)
def test_patient_min_profiles(definitions: Definitions, name: str, min_: int) -> None:
    sd = xml_to_json((CASES_DIR / name).read_bytes(), definitions)
    assert sd["resourceType"] == "StructureDefinition"
    assert sd["url"] == f"http://hl7.org/fhir/test/StructureDefinition/{sd['id']}"
    assert sd["abstract"] is False
    assert sd["fhirVersion"] == "4.0.1"
    (element,) = sd["differential"]["element"]  # ElementDefinition.element repeats: a list
    assert element["path"] == "Patient.identifier"
    assert element["min"] == min_  # unsignedInt: a JSON number, not a string
    if "fixed" in name:
        assert element["fixedIdentifier"] == {"use": "usual"}
    if "pattern" in name:
        assert element["patternIdentifier"] == {"use": "usual"}


def test_mycommunication_profile(definitions: Definitions) -> None:
    xml = (CASES_DIR / "mycommunication.structureDefinition.xml").read_bytes()
    sd = xml_to_json(xml, definitions)
    assert sd["url"] == "http://hl7.dk/fhir/core/StructureDefinition/MyCommunication"
    assert [m["identity"] for m in sd["mapping"]] == ["workflow", "w5", "rim"]
    based_on, part_of = sd["differential"]["element"]
    assert based_on == {"id": "Communication.basedOn", "path": "Communication.basedOn", "min": 1}
    assert part_of["type"] == [
        {
            "code": "Reference",
            "targetProfile": [
                "http://hl7.org/fhir/StructureDefinition/Patient",
                "http://hl7.org/fhir/StructureDefinition/Basic",
            ],
        }
    ]


@pytest.mark.parametrize("name", case_files())
def test_every_xml_case_converts(definitions: Definitions, name: str) -> None:
    sd = xml_to_json((CASES_DIR / name).read_bytes(), definitions)
    assert sd["resourceType"] == "StructureDefinition"
    assert isinstance(sd["differential"]["element"], list)


def test_load_into_converts_xml_and_skips_what_it_cannot(
    core_cache_dir: Path, tmp_path: Path
) -> None:
    shutil.copy(CASES_DIR / "patient-min-profile-none1.xml", tmp_path)
    (tmp_path / "pom.xml").write_text("<project><modelVersion>4</modelVersion></project>")
    definitions = Definitions.from_core_package(core_cache_dir)
    report = load_into(definitions, tmp_path)
    url = "http://hl7.org/fhir/test/StructureDefinition/Patient-min-profile-none"
    assert report.loaded == [url]
    assert len(report.skipped) == 1
    assert "pom.xml" in report.skipped[0]
    assert "expected namespace http://hl7.org/fhir" in report.skipped[0]
    sd = definitions.structure_definition(url)
    assert sd is not None
    assert sd["differential"]["element"][0]["min"] == 1


# --- hand-written resources ---------------------------------------------------------


def test_primitive_with_id_and_extension(definitions: Definitions) -> None:
    patient = convert(
        f"""<Patient {FHIR}>
          <birthDate id="bd" value="1970-03-30">
            <extension url="http://hl7.org/fhir/StructureDefinition/patient-birthTime">
              <valueDateTime value="1970-03-30T14:35:45-05:00"/>
            </extension>
          </birthDate>
          <gender>
            <extension url="http://example.org/why"><valueString value="x"/></extension>
          </gender>
        </Patient>""",
        definitions,
    )
    assert patient["birthDate"] == "1970-03-30"
    assert patient["_birthDate"] == {
        "id": "bd",
        "extension": [
            {
                "url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime",
                "valueDateTime": "1970-03-30T14:35:45-05:00",
            }
        ],
    }
    assert "gender" not in patient  # no value: only the underscore object
    assert patient["_gender"] == {
        "extension": [{"url": "http://example.org/why", "valueString": "x"}]
    }


def test_repeating_primitive_with_partial_extensions(definitions: Definitions) -> None:
    patient = convert(
        f"""<Patient {FHIR}><name>
          <family value="Chalmers"/>
          <given value="Peter"/>
          <given id="g2" value="James">
            <extension url="http://example.org/e"><valueBoolean value="true"/></extension>
          </given>
          <given>
            <extension url="http://example.org/e"><valueBoolean value="false"/></extension>
          </given>
        </name></Patient>""",
        definitions,
    )
    (name,) = patient["name"]
    assert name["family"] == "Chalmers"
    assert name["given"] == ["Peter", "James", None]
    assert name["_given"] == [
        None,
        {"id": "g2", "extension": [{"url": "http://example.org/e", "valueBoolean": True}]},
        {"extension": [{"url": "http://example.org/e", "valueBoolean": False}]},
    ]


def test_single_occurrence_of_repeating_element_is_a_list(definitions: Definitions) -> None:
    patient = convert(f'<Patient {FHIR}><name><given value="A"/></name></Patient>', definitions)
    assert patient["name"] == [{"given": ["A"]}]


def test_choice_types_and_numbers(definitions: Definitions) -> None:
    observation = convert(
        f"""<Observation {FHIR}>
          <status value="final"/>
          <code><coding><system value="http://loinc.org"/><code value="8310-5"/></coding></code>
          <effectiveDateTime value="2024-05-01"/>
          <valueQuantity><value value="37.50"/><unit value="C"/></valueQuantity>
          <component>
            <code><text value="count"/></code>
            <valueInteger value="-3"/>
          </component>
          <component>
            <code><text value="flag"/></code>
            <valueBoolean value="true"/>
          </component>
          <component>
            <code><text value="whole decimal"/></code>
            <valueQuantity><value value="100"/></valueQuantity>
          </component>
        </Observation>""",
        definitions,
    )
    assert observation["effectiveDateTime"] == "2024-05-01"
    assert observation["valueQuantity"] == {"value": 37.5, "unit": "C"}
    components = observation["component"]
    assert isinstance(components, list)
    assert components[0]["valueInteger"] == -3
    assert components[1]["valueBoolean"] is True
    assert components[2]["valueQuantity"]["value"] == 100
    assert isinstance(components[2]["valueQuantity"]["value"], int)


def test_contained_resource_narrative_and_comments(definitions: Definitions) -> None:
    patient = convert(
        f"""<?xml version="1.0" encoding="UTF-8"?>
        <!-- a comment -->
        <Patient {FHIR} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                 xsi:schemaLocation="http://hl7.org/fhir patient.xsd">
          <id value="p1"/>
          <text>
            <status value="generated"/>
            <div xmlns="{XHTML}"><p xml:lang="en">Tom &amp; <b>Jerry</b><br/></p><td></td></div>
          </text>
          <contained>
            <Organization><id value="org"/><name value="Clinic"/></Organization>
          </contained>
          <?some-instruction ignored?>
          <active value="false"/>
          <managingOrganization><reference value="#org"/></managingOrganization>
        </Patient>""",
        definitions,
    )
    assert list(patient) == [
        "resourceType",
        "id",
        "text",
        "contained",
        "active",
        "managingOrganization",
    ]
    assert patient["text"] == {
        "status": "generated",
        "div": f'<div xmlns="{XHTML}"><p xml:lang="en">Tom &amp; <b>Jerry</b><br/></p><td/></div>',
    }
    assert patient["contained"] == [{"resourceType": "Organization", "id": "org", "name": "Clinic"}]
    assert patient["active"] is False


def test_bundle_entries(definitions: Definitions) -> None:
    bundle = convert(
        f"""<Bundle {FHIR}>
          <type value="collection"/>
          <total value="2"/>
          <entry>
            <fullUrl value="urn:uuid:1"/>
            <resource><Patient><gender value="female"/></Patient></resource>
          </entry>
          <entry>
            <resource><Parameters>
              <parameter>
                <name value="p"/>
                <resource><Basic><code><text value="b"/></code></Basic></resource>
              </parameter>
            </Parameters></resource>
          </entry>
        </Bundle>""",
        definitions,
    )
    assert bundle["total"] == 2
    assert bundle["entry"] == [
        {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Patient", "gender": "female"}},
        {
            "resource": {
                "resourceType": "Parameters",
                "parameter": [
                    {"name": "p", "resource": {"resourceType": "Basic", "code": {"text": "b"}}}
                ],
            }
        },
    ]


def test_content_reference_and_extension_ids(definitions: Definitions) -> None:
    questionnaire = convert(
        f"""<Questionnaire {FHIR}>
          <status value="draft"/>
          <item id="top"><linkId value="1"/><type value="group"/>
            <item><linkId value="1.1"/><type value="decimal"/>
              <initial><valueDecimal value="1e3"/></initial>
            </item>
          </item>
        </Questionnaire>""",
        definitions,
    )
    assert questionnaire["item"] == [
        {
            "id": "top",
            "linkId": "1",
            "type": "group",
            "item": [{"linkId": "1.1", "type": "decimal", "initial": [{"valueDecimal": 1000.0}]}],
        }
    ]


# --- refused input ------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Patient xmlns="http://hl7.org/fhir"><id value="&lol3;"/></Patient>"""


@pytest.mark.parametrize(
    "data",
    [
        BILLION_LAUGHS.encode(),
        BILLION_LAUGHS.encode("utf-16"),  # slips past the byte check; expat refuses it
        b'<!DOCTYPE Patient SYSTEM "http://example.org/x.dtd"><Patient xmlns="http://hl7.org/fhir"/>',
    ],
)
def test_dtds_and_entities_are_refused(definitions: Definitions, data: bytes) -> None:
    with pytest.raises(InputError, match="DTDs and entity declarations are not allowed"):
        xml_to_json(data, definitions)


@pytest.mark.parametrize(
    ("xml", "message", "location"),
    [
        (f"<Patient {FHIR}><active value='true'></Patient>", "malformed XML", "line 1"),
        ("<Patient><active value='true'/></Patient>", "found no namespace", "Patient"),
        ('<Patient xmlns="http://example.org"/>', "found http://example.org", "Patient"),
        (
            f"<Patient {FHIR}><name><given value='A'/><nickname value='B'/></name></Patient>",
            "unknown element 'nickname'",
            "Patient.name[0].nickname",
        ),
        (
            f"<Patient {FHIR}><name><given xmlns='http://example.org' value='A'/></name></Patient>",
            "expected namespace http://hl7.org/fhir",
            "Patient.name[0].given[0]",
        ),
        (f"<Patient {FHIR}><active value='yes'/></Patient>", "not a boolean", "Patient.active"),
        (
            f"<Patient {FHIR}><active value='true'/><active value='false'/></Patient>",
            "may occur only once",
            "Patient.active",
        ),
        (f"<Patient {FHIR}><gender valu='male'/></Patient>", "unknown attribute", "Patient.gender"),
        (f"<Patient {FHIR}><gender/></Patient>", "no value and no extension", "Patient.gender"),
        (f"<Patient {FHIR}><name>Peter</name></Patient>", "text is not allowed", "Patient.name[0]"),
        (
            f"<Patient {FHIR}><text><status value='generated'/><div>x</div></text></Patient>",
            "expected namespace http://www.w3.org/1999/xhtml",
            "Patient.text.div",
        ),
        (
            f"<Patient {FHIR}><extension><url value='http://x'/></extension></Patient>",
            "url must be an XML attribute",
            "Patient.extension[0].url",
        ),
        (f"<HumanName {FHIR}/>", "not a FHIR resource type", "HumanName"),
        (f"<Nonsense {FHIR}/>", "no StructureDefinition", "Nonsense"),
        (
            f"<Bundle {FHIR}><entry><resource/></entry></Bundle>",
            "one resource",
            "Bundle.entry[0].resource",
        ),
    ],
)
def test_errors_are_located(
    definitions: Definitions, xml: str, message: str, location: str
) -> None:
    with pytest.raises(InputError, match=message) as caught:
        convert(xml, definitions)
    assert caught.value.location == location
