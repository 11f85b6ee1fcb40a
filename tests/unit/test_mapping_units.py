"""Identity numbers, transform steps, templates and mapping-file errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mpox_adapter.errors import ConfigurationError
from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.ingest.records import Record
from mpox_adapter.mapping import identifiers
from mpox_adapter.mapping.engine import load_mapping, load_named_mapping, resource_id
from mpox_adapter.mapping.folders import SHIPPED_MAPPINGS, MappingFolders
from mpox_adapter.mapping.spec import load_spec
from mpox_adapter.mapping.transforms import StepContext, TransformError, compile_steps


@pytest.mark.parametrize(
    ("number", "kind", "born", "sex"),
    [
        ("15839010009", "fnr", "1990-03-15", "female"),
        ("02918523084", "fnr", "1985-11-02", "female"),
        ("60869231080", "dnr", "1992-06-20", "female"),
        ("1502871237", "cpr", "1987-02-15", "male"),
        ("0101004999", "cpr", "2000-01-01", "male"),
    ],
)
def test_identity_numbers(number: str, kind: str, born: str, sex: str) -> None:
    parsed = identifiers.parse(number)
    assert (parsed.kind, parsed.birth_date) == (kind, born)
    assert parsed.system == identifiers.SYSTEMS[kind]
    assert parsed.sex == sex


@pytest.mark.parametrize(
    ("number", "kinds", "message"),
    [
        ("15839010008", ("fnr",), "check digits"),
        ("1583901000", ("fnr", "dnr"), "10 digits"),
        ("12345", ("fnr", "dnr", "cpr"), "5 digits"),
        ("1502871X37", ("cpr",), "digits only"),
        ("3202871237", ("cpr",), "date of birth"),
        ("60869231080", ("fnr",), "dnr is not accepted"),
    ],
)
def test_bad_identity_numbers_say_why_without_the_number(
    number: str, kinds: tuple[str, ...], message: str
) -> None:
    with pytest.raises(identifiers.IdentifierError, match=message) as caught:
        identifiers.parse(number, kinds)
    assert number not in str(caught.value)


def test_organisation_numbers() -> None:
    assert identifiers.valid_orgnr("916274378")
    assert not identifiers.valid_orgnr("916274379")
    assert not identifiers.valid_orgnr("91627437")


@pytest.fixture(scope="module")
def context(mpox_definitions: Definitions) -> StepContext:
    return StepContext("Europe/Oslo", mpox_definitions, SHIPPED_MAPPINGS)


def run(steps: list[Any], value: Any, context: StepContext) -> Any:
    for step in compile_steps(steps, context, "test"):
        value = step(value)
    return value


@pytest.mark.parametrize(
    ("steps", "value", "expected"),
    [
        (["trim"], "  a ", "a"),
        (["trim"], "   ", None),
        ([{"decimal": {"comma": True}}], "0,1", 0.1),
        (["decimal"], 0.5, 0.5),
        (["integer"], " 2 ", 2),
        (["flag"], "unknown", None),
        (["flag"], "Y", True),
        ([{"date": {"format": "%d.%m.%Y"}}], "13.08.2023", "2023-08-13"),
        (
            [{"datetime": {"format": "%d.%m.%Y %H:%M"}}],
            "13.08.2023 10:15",
            "2023-08-13T10:15:00+02:00",
        ),
        (
            [{"datetime": {"format": "%d.%m.%Y %H:%M"}}],
            "13.01.2023 10:15",
            "2023-01-13T10:15:00+01:00",
        ),
        (
            [{"datetime": {"format": "iso"}}],
            "2025-10-13T12:15:00+01:00",
            "2025-10-13T12:15:00+01:00",
        ),
        ([{"split": ";"}, "trim", "upper"], "a; b;;c", ["A", "B", "C"]),
        (
            [{"present": {"lists": {"other": ";"}}}],
            {"rash": "y", "fever": "n", "other": "headache;fatigue"},
            ["rash", "headache", "fatigue"],
        ),
        ([{"days": -21}], "2025-02-05", "2025-01-15"),
        (
            [{"translate": "no-administrasjonsmate-to-snomed"}],
            "Intradermalt",
            {
                "system": "http://snomed.info/sct",
                "code": "372464004",
                "display": "Intradermal route",
            },
        ),
        ([{"default": "x"}], None, "x"),
        (["trim", "integer"], None, None),
    ],
)
def test_transform_steps(steps: list[Any], value: Any, expected: Any, context: StepContext) -> None:
    assert run(steps, value, context) == expected


@pytest.mark.parametrize(
    ("steps", "value", "code"),
    [
        ([{"date": {"format": "%d.%m.%Y"}}], "31.02.2024", "value"),
        ([{"translate": "no-administrasjonsmate-to-snomed"}], "intramuskulært", "code-invalid"),
        (["integer"], "one", "value"),
        (["flag"], "maybe", "code-invalid"),
        ([{"map": {"a": 1}}], "b", "code-invalid"),
        (["orgnr"], "916274379", "value"),
        ([{"pattern": "[0-9]+"}], "12a", "value"),
    ],
)
def test_transform_errors(steps: list[Any], value: Any, code: str, context: StepContext) -> None:
    with pytest.raises(TransformError) as caught:
        run(steps, value, context)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (["frobnicate"], "unknown transform"),
        ([{"translate": "no-such-map"}], "not found"),
        ([{"datetime": {"timezone": "Mars/Olympus"}}], "time zone"),
        ([{"a": 1, "b": 2}], "one-key"),
    ],
)
def test_bad_steps_are_configuration_errors(
    steps: list[Any], message: str, context: StepContext
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        compile_steps(steps, context, "fields.x")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


MINIMAL = """
mapping: {name}
version: "1"
source: {{system: "urn:x", reader: {{format: csv}}}}
key: "{{a}}"
fields:
  a: {{from: a, required: true}}
resources:
  obs:
    type: Basic
    key: "{{a}}"
    template:
      code: {{text: {value}}}
"""


def test_mapping_file_errors_name_the_file_and_key(
    tmp_path: Path, mpox_definitions: Definitions
) -> None:
    with pytest.raises(ConfigurationError, match="must match the file name"):
        load_spec(_write(tmp_path, "other", MINIMAL.format(name="mine", value="$a")))
    with pytest.raises(ConfigurationError, match="unknown field 'b'"):
        load_mapping(
            _write(tmp_path, "mine", MINIMAL.format(name="mine", value="$b")), mpox_definitions
        )
    with pytest.raises(ConfigurationError, match="not valid YAML"):
        load_spec(_write(tmp_path, "bad", "mapping: [unclosed"))
    with pytest.raises(ConfigurationError, match="resources"):
        load_spec(
            _write(
                tmp_path,
                "empty",
                "mapping: empty\nversion: '1'\nsource: {system: x, reader: {format: csv}}\n"
                "key: k\nfields: {}\nresources: {}\n",
            )
        )


def test_template_rendering_drops_what_is_missing(
    tmp_path: Path, mpox_definitions: Definitions
) -> None:
    mapping = load_mapping(
        _write(tmp_path, "mine", MINIMAL.format(name="mine", value="$a")), mpox_definitions
    )
    result = mapping.map(Record("s.csv", 2, {"a": "hello"}))
    basic = result.resources[0][0]
    assert basic["code"] == {"text": "hello"}
    assert basic["id"] == resource_id("mine", "urn:x", "obs", "hello")
    provenance = result.resources[-1][0]
    assert provenance["resourceType"] == "Provenance"
    assert provenance["entity"][0]["what"]["display"] == "s.csv line 2"
    missing = mapping.map(Record("s.csv", 3, {"a": ""}))
    assert missing.rejected
    assert [(i.field, i.code) for i in missing.issues] == [("a", "required")]


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=25), st.one_of(st.text(max_size=30), st.integers(), st.none()), max_size=25
    )
)
def test_random_records_never_crash_any_mapping(record: dict[str, Any]) -> None:
    from tests.conftest import load_mpox_definitions

    definitions = load_mpox_definitions()
    for name in MappingFolders().names():
        mapping = _cached(name, definitions)
        result = mapping.map(Record("fuzz.csv", 7, record))
        assert result.line == 7
        if result.rejected:
            assert all(issue.field and issue.message for issue in result.issues)


_MAPPINGS: dict[str, Any] = {}


def _cached(name: str, definitions: Definitions) -> Any:
    if name not in _MAPPINGS:
        _MAPPINGS[name] = load_named_mapping(name, MappingFolders(), definitions)
    return _MAPPINGS[name]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_resource_ids_are_the_uuid5_of_their_names(resource: str, key: str) -> None:
    import uuid

    from mpox_adapter.mapping.engine import ID_NAMESPACE

    expected = uuid.uuid5(ID_NAMESPACE, f"m|urn:x|{resource}|{key}")
    assert resource_id("m", "urn:x", resource, key) == str(expected)


def test_constant_template_parts_are_not_shared_between_resources() -> None:
    from mpox_adapter.mapping.template import compile_template

    template = {"code": {"coding": [{"system": "urn:s", "code": "c"}]}, "value": "$a"}
    render = compile_template(template, "t", {"a"}, lambda *_: lambda _: None, {}, "X")
    first, second = render({"a": 1}), render({"a": 2})
    first["code"]["coding"][0]["code"] = "changed"
    assert second["code"] == {"coding": [{"system": "urn:s", "code": "c"}]}
    assert render({"a": 3})["code"]["coding"][0]["code"] == "c"
