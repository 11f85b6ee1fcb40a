"""Golden files: each sample export converted exactly as checked in.

The sample export of a mapping is `examples/<mapping>.<csv|json>` (or, for a mapping without
one there, the file in `tests/data/<mapping>/input/`); `tests/data/<mapping>/expected/` holds
the resources (`output.ndjson`), the rejected records (`errors.ndjson`) and the counts.
Provenance carries the time of the run, so the runs here use a fixed clock. To accept a
deliberate change of output, run with MPOX_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.pipeline.convert import Converter, Counts, build_converter, run_file
from mpox_adapter.pipeline.output import ErrorWriter, NdjsonWriter
from mpox_adapter.settings import Settings

DATA = Path(__file__).resolve().parents[1] / "data"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MAPPINGS = [
    "no-municipal-vaccinations",
    "dk-regional-vaccinations",
    "case-linelist",
    "contact-linelist",
]
FIXED = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def sample(mapping: str) -> Path:
    """The mapping's sample export: its own input in tests/data, else the one in examples/."""
    own = DATA / mapping / "input"
    found = sorted(own.iterdir()) if own.is_dir() else sorted(EXAMPLES.glob(f"{mapping}.*"))
    assert len(found) == 1, f"expected one sample export for {mapping}, found {found}"
    return found[0]


@pytest.fixture(scope="module")
def converters(mpox_definitions: Definitions) -> dict[str, Converter]:
    settings = Settings.from_mapping({})
    return {
        m: build_converter(settings, m, mpox_definitions, clock=lambda: FIXED) for m in MAPPINGS
    }


def convert(converter: Converter, path: Path) -> tuple[bytes, bytes, Counts]:
    out, errors, counts = io.BytesIO(), io.BytesIO(), Counts()
    writer, error_writer = NdjsonWriter(out), ErrorWriter(errors)
    with path.open("rb") as stream:
        for result in run_file(converter, stream, path.name):
            counts.add(result)
            (error_writer if result.rejected else writer).write(result)
    return out.getvalue(), errors.getvalue(), counts


@pytest.mark.parametrize("mapping", MAPPINGS)
def test_sample_converts_exactly_as_golden(mapping: str, converters: dict[str, Converter]) -> None:
    case = DATA / mapping
    source = sample(mapping)
    output, errors, counts = convert(converters[mapping], source)
    expected = case / "expected"
    if os.environ.get("MPOX_UPDATE_GOLDEN") == "1":
        (expected / "output.ndjson").write_bytes(output)
        (expected / "errors.ndjson").write_bytes(errors)
        (expected / "counts.json").write_text(json.dumps(counts.as_dict(), indent=1) + "\n")
    assert output.decode() == (expected / "output.ndjson").read_text()
    assert errors.decode() == (expected / "errors.ndjson").read_text()
    assert counts.as_dict() == json.loads((expected / "counts.json").read_text())


@pytest.mark.parametrize("mapping", MAPPINGS)
def test_exactly_the_defective_records_are_rejected(
    mapping: str, converters: dict[str, Converter]
) -> None:
    expected = json.loads((DATA / "sample-counts.json").read_text())[mapping]
    source = sample(mapping)
    _, errors, counts = convert(converters[mapping], source)
    lines = [json.loads(line)["line"] for line in errors.decode().splitlines()]
    assert counts.records == expected["records"]
    assert lines == expected["bad_lines"]
    for line in errors.decode().splitlines():
        record: dict[str, Any] = json.loads(line)
        assert record["source"] == source.name
        assert record["issues"], record
        for issue in record["issues"]:
            assert set(issue) >= {"severity", "code", "field", "message"}
            assert issue["field"], issue


@pytest.mark.parametrize("mapping", MAPPINGS)
def test_converting_twice_gives_identical_ids(mapping: str, mpox_definitions: Definitions) -> None:
    settings = Settings.from_mapping({})
    source = sample(mapping)
    first = convert(build_converter(settings, mapping, mpox_definitions), source)[0]
    second = convert(build_converter(settings, mapping, mpox_definitions), source)[0]

    def ids(output: bytes) -> list[str]:
        return [json.loads(line)["id"] for line in output.decode().splitlines()]

    assert ids(first) == ids(second)
    assert len(set(ids(first))) > 0


def test_contact_exposure_points_at_the_index_case_condition(
    converters: dict[str, Converter],
) -> None:
    cases = convert(converters["case-linelist"], sample("case-linelist"))[0]
    contacts = convert(converters["contact-linelist"], sample("contact-linelist"))[0]
    conditions = {
        f"Condition/{r['id']}"
        for r in map(json.loads, cases.decode().splitlines())
        if r["resourceType"] == "Condition" and r.get("meta")
    }
    exposures = [
        r for r in map(json.loads, contacts.decode().splitlines())
        if r.get("meta", {}).get("profile") == ["http://mpox-adapter.org/fhir/StructureDefinition/mpox-exposure"]
    ]  # fmt: skip
    linked = [e for e in exposures if e["focus"][0]["reference"] in conditions]
    assert linked, "some contacts' index cases are in the case line list"
