from __future__ import annotations

from typing import Any

import pytest

from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.validation.terminology import CodeCheck, Membership, Terminology

MEMBER, NOT_MEMBER, UNKNOWN = Membership.MEMBER, Membership.NOT_MEMBER, Membership.UNKNOWN
VS = "http://hl7.org/fhir/ValueSet/"
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"
HIER = "http://example.org/CodeSystem/hier"
CI = "http://example.org/CodeSystem/ci"
LOCAL = "http://example.org/ValueSet/"


@pytest.fixture(scope="module")
def core(definitions: Definitions) -> Terminology:
    return Terminology(definitions)


def code_system(url: str, concepts: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    base = {"resourceType": "CodeSystem", "url": url, "status": "active", "content": "complete"}
    return base | {"concept": concepts} | extra


def value_set(name: str, *, include: list[Any], exclude: list[Any] | None = None) -> dict[str, Any]:
    compose: dict[str, Any] = {"include": include}
    if exclude:
        compose["exclude"] = exclude
    return {"resourceType": "ValueSet", "url": LOCAL + name, "status": "active", "compose": compose}


# A > B > C, A > D, and E is a child of D only through the `child` property (polyhierarchy,
# as in the v3 code systems); F is a top-level code with a property.
HIERARCHY = code_system(
    HIER,
    [
        {
            "code": "A",
            "display": "Alpha",
            "concept": [
                {"code": "B", "concept": [{"code": "C"}]},
                {"code": "D", "property": [{"code": "child", "valueCode": "E"}]},
            ],
        },
        {"code": "E", "property": [{"code": "kind", "valueCode": "leaf"}]},
        {"code": "F", "property": [{"code": "kind", "valueCode": "other"}]},
    ],
    property=[{"code": "kind", "type": "code"}, {"code": "child", "type": "code"}],
)


@pytest.fixture(scope="module")
def local() -> Terminology:
    definitions = Definitions()
    for resource in [
        HIERARCHY,
        code_system(CI, [{"code": "Alpha", "display": "The alpha"}, {"code": "Beta"}],
                    caseSensitive=False),
        value_set("snomed-list", include=[
            {"system": SCT, "concept": [{"code": "840539006"}, {"code": "414015000"}]}]),
        value_set("is-a", include=[{"system": HIER, "filter": [
            {"property": "concept", "op": "is-a", "value": "A"}]}]),
        value_set("descendent-of", include=[{"system": HIER, "filter": [
            {"property": "concept", "op": "descendent-of", "value": "A"}]}]),
        value_set("is-not-a", include=[{"system": HIER, "filter": [
            {"property": "concept", "op": "is-not-a", "value": "B"}]}]),
        value_set("kind-in", include=[{"system": HIER, "filter": [
            {"property": "kind", "op": "in", "value": "leaf, other"},
            {"property": "concept", "op": "regex", "value": "[A-E]"}]}]),
        value_set("unsupported-filter", include=[{"system": HIER, "filter": [
            {"property": "concept", "op": "is-a", "value": "D"},
            {"property": "undeclared", "op": "=", "value": "x"}]}]),
        value_set("hier-minus-b", include=[{"system": HIER}],
                  exclude=[{"system": HIER, "concept": [{"code": "B"}]}]),
        value_set("snomed-minus-undecidable",
                  include=[{"system": SCT, "concept": [{"code": "840539006"}]},
                           {"system": HIER, "concept": [{"code": "A"}]}],
                  exclude=[{"system": SCT, "filter": [
                      {"property": "concept", "op": "is-a", "value": "64572001"}]}]),
        value_set("case-insensitive", include=[{"system": CI}]),
        value_set("import", include=[{"valueSet": [LOCAL + "is-a"]},
                                     {"valueSet": [LOCAL + "snomed-list"]}]),
        value_set("import-intersection", include=[
            {"valueSet": [LOCAL + "is-a", LOCAL + "is-not-a"]}]),
        value_set("system-and-import", include=[
            {"system": HIER, "concept": [{"code": "A"}, {"code": "F"}],
             "valueSet": [LOCAL + "is-a"]}]),
        value_set("cycle-a", include=[{"valueSet": [LOCAL + "cycle-b"]}]),
        value_set("cycle-b", include=[{"valueSet": [LOCAL + "cycle-a"]},
                                      {"system": HIER, "concept": [{"code": "F"}]}]),
        value_set("missing-import", include=[{"valueSet": [LOCAL + "nowhere"]}]),
        value_set("mixed", include=[{"system": SCT}, {"system": HIER, "concept": [{"code": "F"}]}]),
        value_set("partial", include=[{"system": LOINC}]) | {"expansion": {
            "timestamp": "2024-01-01T00:00:00Z", "total": 1000,
            "contains": [{"system": LOINC, "code": "8480-6"}]}},
        value_set("complete-expansion", include=[{"system": LOINC}]) | {"expansion": {
            "timestamp": "2024-01-01T00:00:00Z",
            "contains": [{"abstract": True, "display": "group", "contains": [
                {"system": LOINC, "code": "8480-6"}, {"system": LOINC, "code": "8462-4"}]}]}},
    ]:  # fmt: skip
        definitions.add(resource)
    return Terminology(definitions)


def membership(terminology: Terminology, vs: str, system: str | None, code: str) -> Membership:
    return terminology.check(vs, system, code).membership


def test_whole_local_code_system(core: Terminology) -> None:
    gender = VS + "administrative-gender"
    system = "http://hl7.org/fhir/administrative-gender"
    assert core.check(gender, system, "female") == CodeCheck(MEMBER)
    assert membership(core, gender, system, "Female") is NOT_MEMBER  # case-sensitive system
    assert membership(core, gender, "http://example.org/other", "female") is NOT_MEMBER
    assert membership(core, f"{gender}|4.0.1", system, "male") is MEMBER
    status = VS + "observation-status"
    assert membership(core, status, "http://hl7.org/fhir/observation-status", "final") is MEMBER
    assert membership(core, status, "http://hl7.org/fhir/observation-status", "done") is NOT_MEMBER


def test_enumerated_concepts_of_a_local_system(core: Terminology) -> None:
    vs, system = VS + "immunization-status", "http://hl7.org/fhir/event-status"
    assert membership(core, vs, system, "completed") is MEMBER
    assert membership(core, vs, system, "not-done") is MEMBER
    result = core.check(vs, system, "in-progress")  # in event-status, but not listed
    assert result.membership is NOT_MEMBER
    assert result.reason is not None
    assert "in-progress" in result.reason
    assert vs in result.reason


def test_bare_code_ignores_system(core: Terminology) -> None:
    assert membership(core, VS + "immunization-status", None, "entered-in-error") is MEMBER
    assert membership(core, VS + "immunization-status", None, "in-progress") is NOT_MEMBER
    assert membership(core, VS + "clinical-findings", None, "22298006") is UNKNOWN


def test_mime_types_and_languages_are_shape_checked(core: Terminology) -> None:
    mime, bcp13 = VS + "mimetypes", "urn:ietf:bcp:13"
    assert membership(core, mime, bcp13, "application/fhir+json") is MEMBER
    assert membership(core, mime, bcp13, "text/plain; charset=UTF-8") is MEMBER
    assert membership(core, mime, bcp13, "pdf") is NOT_MEMBER
    assert membership(core, mime, None, "application/pdf") is MEMBER  # Attachment.contentType
    assert membership(core, mime, None, "pdf") is NOT_MEMBER
    languages, bcp47 = VS + "all-languages", "urn:ietf:bcp:47"
    for tag in ["nb", "nb-NO", "zh-Hant-TW", "de-CH-1996", "x-private"]:
        assert membership(core, languages, bcp47, tag) is MEMBER, tag
    for tag in ["norwegian bokmal", "n", "en_US", ""]:
        assert membership(core, languages, bcp47, tag) is NOT_MEMBER, tag
    # `languages` enumerates common tags: the list decides, not the shape.
    assert membership(core, VS + "languages", bcp47, "en-US") is MEMBER
    assert membership(core, VS + "languages", bcp47, "nn-NO") is NOT_MEMBER


def test_snomed_filter_is_unknown(core: Terminology) -> None:
    vs = VS + "clinical-findings"
    result = core.check(vs, SCT, "22298006")
    assert result.membership is UNKNOWN
    assert result.reason is not None
    assert SCT in result.reason
    assert membership(core, vs, SCT, "404684003") is MEMBER  # the is-a root itself
    assert membership(core, vs, LOINC, "8480-6") is NOT_MEMBER


def test_whole_external_system_reason(core: Terminology) -> None:
    result = core.check(VS + "use-context", "urn:iso:std:iso:3166", "NO")
    assert result == CodeCheck(
        UNKNOWN,
        f"ValueSet {VS}use-context includes all of urn:iso:std:iso:3166, "
        "which cannot be expanded locally",
    )


def test_code_regex_filter_on_external_system_rules_out_wrong_shapes(core: Terminology) -> None:
    vs = VS + "iso3166-1-3"
    assert membership(core, vs, "urn:iso:std:iso:3166", "NOR") is UNKNOWN
    assert membership(core, vs, "urn:iso:std:iso:3166", "NO") is NOT_MEMBER


def test_is_a_and_is_not_a_filters_on_core_code_systems(core: Terminology) -> None:
    related = VS + "relatedperson-relationshiptype"
    role_code = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
    assert membership(core, related, role_code, "MTH") is MEMBER
    assert membership(core, related, role_code, "DAUADOPT") is MEMBER
    assert membership(core, related, role_code, "DOCTOR") is NOT_MEMBER
    contact = VS + "patient-contactrelationship"
    v2_0131 = "http://terminology.hl7.org/CodeSystem/v2-0131"
    assert membership(core, contact, v2_0131, "C") is MEMBER
    assert membership(core, contact, v2_0131, "O") is NOT_MEMBER


def test_core_expansion_and_imports(core: Terminology) -> None:
    yes_no = VS + "yesnodontknow"
    assert membership(core, yes_no, "http://terminology.hl7.org/CodeSystem/v2-0136", "Y") is MEMBER
    absent = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
    assert membership(core, yes_no, absent, "asked-unknown") is MEMBER
    assert membership(core, yes_no, absent, "masked") is NOT_MEMBER
    labels = VS + "security-labels"
    confidentiality = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
    assert membership(core, labels, confidentiality, "R") is MEMBER


def test_missing_value_set(core: Terminology) -> None:
    result = core.check("http://example.org/ValueSet/absent", "http://x", "y")
    assert result == CodeCheck(UNKNOWN, "ValueSet http://example.org/ValueSet/absent is not known")


def test_enumerated_external_system(local: Terminology) -> None:
    vs = LOCAL + "snomed-list"
    assert membership(local, vs, SCT, "840539006") is MEMBER
    assert membership(local, vs, SCT, "22298006") is NOT_MEMBER
    assert membership(local, vs, LOINC, "840539006") is NOT_MEMBER


def test_hierarchy_filters(local: Terminology) -> None:
    def members(name: str) -> set[str]:
        return {c for c in "ABCDEFG" if membership(local, LOCAL + name, HIER, c) is MEMBER}

    assert members("is-a") == {"A", "B", "C", "D", "E"}
    assert members("descendent-of") == {"B", "C", "D", "E"}
    assert members("is-not-a") == {"A", "D", "E", "F"}
    assert members("kind-in") == {"E"}
    assert membership(local, LOCAL + "is-a", HIER, "F") is NOT_MEMBER


def test_unsupported_filter_keeps_what_it_can_decide(local: Terminology) -> None:
    vs = LOCAL + "unsupported-filter"
    result = local.check(vs, HIER, "E")
    assert result.membership is UNKNOWN
    assert result.reason is not None
    assert "undeclared = x" in result.reason
    assert membership(local, vs, HIER, "B") is NOT_MEMBER  # fails the filter we can evaluate
    assert membership(local, vs, HIER, "Z") is NOT_MEMBER  # not in the complete CodeSystem


def test_exclude(local: Terminology) -> None:
    vs = LOCAL + "hier-minus-b"
    assert membership(local, vs, HIER, "A") is MEMBER
    assert membership(local, vs, HIER, "C") is MEMBER
    assert membership(local, vs, HIER, "B") is NOT_MEMBER


def test_undecidable_exclude_makes_listed_codes_unknown(local: Terminology) -> None:
    vs = LOCAL + "snomed-minus-undecidable"
    assert membership(local, vs, SCT, "840539006") is UNKNOWN
    assert membership(local, vs, SCT, "22298006") is NOT_MEMBER  # was never included
    assert membership(local, vs, HIER, "A") is MEMBER


def test_imports(local: Terminology) -> None:
    assert membership(local, LOCAL + "import", HIER, "C") is MEMBER
    assert membership(local, LOCAL + "import", SCT, "414015000") is MEMBER
    assert membership(local, LOCAL + "import", HIER, "F") is NOT_MEMBER
    both = LOCAL + "import-intersection"  # is-a A and is-not-a B
    assert {c for c in "ABCDEF" if membership(local, both, HIER, c) is MEMBER} == {"A", "D", "E"}
    assert membership(local, LOCAL + "system-and-import", HIER, "A") is MEMBER
    assert membership(local, LOCAL + "system-and-import", HIER, "F") is NOT_MEMBER
    assert membership(local, LOCAL + "system-and-import", HIER, "B") is NOT_MEMBER


def test_cyclic_and_missing_imports_are_unknown(local: Terminology) -> None:
    result = local.check(LOCAL + "cycle-a", HIER, "A")
    assert result.membership is UNKNOWN
    assert result.reason is not None
    assert "imports itself" in result.reason
    assert membership(local, LOCAL + "cycle-b", HIER, "F") is MEMBER
    result = local.check(LOCAL + "missing-import", HIER, "A")
    assert result == CodeCheck(UNKNOWN, f"ValueSet {LOCAL}nowhere is not known")


def test_case_insensitive_code_system(local: Terminology) -> None:
    vs = LOCAL + "case-insensitive"
    for code in ["Alpha", "alpha", "ALPHA"]:
        assert membership(local, vs, CI, code) is MEMBER
    assert membership(local, vs, None, "beta") is MEMBER
    assert membership(local, vs, CI, "Gamma") is NOT_MEMBER
    assert local.code_system_concept(CI, "BETA") is True
    assert local.display(CI, "alpha") == "The alpha"


def test_partial_expansion_falls_back_to_compose(local: Terminology) -> None:
    assert membership(local, LOCAL + "partial", LOINC, "8480-6") is UNKNOWN
    complete = LOCAL + "complete-expansion"
    assert membership(local, complete, LOINC, "8462-4") is MEMBER
    assert membership(local, complete, LOINC, "1234-5") is NOT_MEMBER


def test_check_codeable(local: Terminology) -> None:
    vs = LOCAL + "mixed"
    assert local.check_codeable(vs, [(SCT, "22298006"), (HIER, "F")]).membership is MEMBER
    mixed = local.check_codeable(vs, [(HIER, "A"), (SCT, "22298006")])
    assert mixed.membership is UNKNOWN
    assert mixed.reason is not None
    assert SCT in mixed.reason
    wrong = local.check_codeable(vs, [(HIER, "A"), (LOINC, "8480-6"), (None, "F"), (HIER, None)])
    assert wrong.membership is NOT_MEMBER
    assert wrong.reason is not None
    assert "'A'" in wrong.reason
    assert "without a system" in wrong.reason
    assert local.check_codeable(vs, [(HIER, None)]).membership is NOT_MEMBER
    assert local.check_codeable(LOCAL + "nowhere", [(None, "F")]).membership is UNKNOWN


def test_code_system_concept_and_display(core: Terminology) -> None:
    gender = "http://hl7.org/fhir/administrative-gender"
    assert core.code_system_concept(gender, "male") is True
    assert core.code_system_concept(gender, "mail") is False
    assert core.code_system_concept(SCT, "22298006") is None  # content not-present
    service_type = "http://terminology.hl7.org/CodeSystem/service-type"  # content example
    assert core.code_system_concept(service_type, "1") is None
    assert core.code_system_concept("http://example.org/none", "x") is None
    assert core.display(gender, "female") == "Female"
    assert core.display(gender, "nope") is None
    assert core.display(SCT, "22298006") is None
