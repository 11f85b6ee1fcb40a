"""Cost of one ValueSet membership check once the value set is expanded and cached."""

from __future__ import annotations

from typing import Any

from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.validation.terminology import Membership, Terminology

GENDER_VS = "http://hl7.org/fhir/ValueSet/administrative-gender"
GENDER = "http://hl7.org/fhir/administrative-gender"
STATUS_VS = "http://hl7.org/fhir/ValueSet/immunization-status"
STATUS = "http://hl7.org/fhir/event-status"
CLINICAL_FINDINGS = "http://hl7.org/fhir/ValueSet/clinical-findings"
ROUNDS = 1000  # checks per timed call, so call overhead of the harness does not dominate


def _warm(definitions: Definitions) -> Terminology:
    terminology = Terminology(definitions)
    for vs in (GENDER_VS, STATUS_VS, CLINICAL_FINDINGS):
        terminology.check(vs, "http://example.org", "warm-up")
    return terminology


def test_check_member_of_enumerated_value_set(benchmark: Any, definitions: Definitions) -> None:
    check = _warm(definitions).check

    def run() -> Any:
        for _ in range(ROUNDS):
            result = check(GENDER_VS, GENDER, "female")
        return result

    assert benchmark(run).membership is Membership.MEMBER


def test_check_non_member_of_enumerated_value_set(benchmark: Any, definitions: Definitions) -> None:
    check = _warm(definitions).check

    def run() -> Any:
        for _ in range(ROUNDS):
            result = check(STATUS_VS, STATUS, "in-progress")
        return result

    assert benchmark(run).membership is Membership.NOT_MEMBER


def test_check_bare_code(benchmark: Any, definitions: Definitions) -> None:
    check = _warm(definitions).check

    def run() -> Any:
        for _ in range(ROUNDS):
            result = check(STATUS_VS, None, "completed")
        return result

    assert benchmark(run).membership is Membership.MEMBER


def test_check_undecidable_snomed(benchmark: Any, definitions: Definitions) -> None:
    check = _warm(definitions).check

    def run() -> Any:
        for _ in range(ROUNDS):
            result = check(CLINICAL_FINDINGS, "http://snomed.info/sct", "22298006")
        return result

    assert benchmark(run).membership is Membership.UNKNOWN


def test_expand_every_core_value_set(benchmark: Any, definitions: Definitions) -> None:
    urls = list(definitions.urls("ValueSet"))

    def expand_all() -> int:
        terminology = Terminology(definitions)
        for url in urls:
            terminology.check(url, "http://example.org", "x")
        return len(urls)

    assert benchmark.pedantic(expand_all, rounds=3, iterations=1) > 1000
