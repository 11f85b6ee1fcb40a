"""Readers for local exports: the samples, hand-made edge cases and random input."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Generator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mpox_adapter.errors import ConfigurationError, InputError
from mpox_adapter.ingest import ReaderOptions, ReadError, Record, open_records, read_records
from mpox_adapter.ingest import lines as lines_module
from mpox_adapter.ingest.csvfile import sniff_delimiter
from mpox_adapter.ingest.jsonfile import pointer_to_prefix
from mpox_adapter.ingest.xlsxfile import cell_text

SAMPLES = Path(__file__).resolve().parents[2] / "examples"
COUNTS_FILE = Path(__file__).resolve().parents[1] / "data" / "sample-counts.json"
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Item = Record | ReadError


def read(data: bytes, fmt: Any = "csv", **options: Any) -> list[Item]:
    return list(read_records(io.BytesIO(data), ReaderOptions(fmt, **options), "test.src"))


def fields(item: Item) -> dict[str, Any]:
    assert isinstance(item, Record), item
    return item.fields


def message(item: Item) -> str:
    assert isinstance(item, ReadError), item
    return item.message


def records(items: list[Item]) -> list[Record]:
    return [item for item in items if isinstance(item, Record)]


def errors(items: list[Item]) -> list[ReadError]:
    return [item for item in items if isinstance(item, ReadError)]


# --- the samples ----------------------------------------------------------------------------

SAMPLE_OPTIONS = {
    "no-municipal-vaccinations.csv": ReaderOptions("csv"),
    "case-linelist.csv": ReaderOptions("csv"),
    "contact-linelist.csv": ReaderOptions("csv"),
    "dk-regional-vaccinations.json": ReaderOptions("json", pointer="/vaccinationer"),
}


@pytest.fixture(scope="module")
def counts() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(COUNTS_FILE.read_text())
    return result


@pytest.mark.parametrize("name", sorted(SAMPLE_OPTIONS))
def test_sample_reads_every_record_with_its_line(name: str, counts: dict[str, Any]) -> None:
    items = list(open_records(SAMPLES / name, SAMPLE_OPTIONS[name]))
    assert errors(items) == []
    found = records(items)
    assert len(found) == counts[Path(name).stem]["records"]
    assert {item.source for item in found} == {name}
    if name.endswith(".csv"):
        # Header on line 1, one record per line, no blank or multi-line records.
        assert [item.line for item in found] == list(range(2, len(found) + 2))
    else:
        assert [item.line for item in found] == list(range(1, len(found) + 1))


def test_norwegian_sample_first_record(counts: dict[str, Any]) -> None:
    first = next(open_records(SAMPLES / "no-municipal-vaccinations.csv", ReaderOptions("csv")))
    assert isinstance(first, Record)
    assert first.line == 2
    names = list(first.fields)
    assert names[0] == "fodselsnummer"  # the BOM is gone
    assert len(names) == 18
    assert names[-1] == "merknad"  # CR of the CRLF is not part of the last name
    assert first.fields["fodselsnummer"] == "26927821329"
    assert first.fields["vaksinasjonsdato"] == "13.08.2023"
    assert first.fields["volum_ml"] == "0,1"  # decimal comma kept, as text
    assert first.fields["merknad"] == ""


def test_case_linelist_first_record(counts: dict[str, Any]) -> None:
    first = next(open_records(SAMPLES / "case-linelist.csv", ReaderOptions("csv")))
    assert isinstance(first, Record)
    assert first.line == 2
    assert first.fields["case_id"] == "NO-MPX-2025-0001"
    assert first.fields["person_id"] == "14879132178"
    assert first.fields["clade"] == ""
    assert first.fields["clinician_id"] == "3288386"
    assert len(first.fields) == 24


def test_contact_linelist_first_record(counts: dict[str, Any]) -> None:
    first = next(open_records(SAMPLES / "contact-linelist.csv", ReaderOptions("csv")))
    assert isinstance(first, Record)
    assert first.line == 2
    assert first.fields["contact_id"] == "C-00001"
    assert first.fields["contact_type"] == "hcw-no-ppe"
    assert first.fields["monitoring_until"] == "2025-03-11"
    assert len(first.fields) == 16


def test_danish_sample_first_record(counts: dict[str, Any]) -> None:
    path = SAMPLES / "dk-regional-vaccinations.json"
    first = next(open_records(path, SAMPLE_OPTIONS[path.name]))
    assert isinstance(first, Record)
    assert first.line == 1
    assert first.fields["id"] == "RH-2025-737428"
    assert first.fields["navn"] == {"fornavn": "Rasmus", "efternavn": "Andersen"}
    vaccination = first.fields["vaccination"]
    assert vaccination["dosis"] == 2
    assert vaccination["maengde_ml"] == 0.5
    assert type(vaccination["maengde_ml"]) is float  # not Decimal: it must serialise
    assert first.fields["status"] == "gennemført"


def test_danish_sample_truncated_stops_with_an_error(counts: dict[str, Any]) -> None:
    data = (SAMPLES / "dk-regional-vaccinations.json").read_bytes()
    fifth = data.index(b'"id"', data.index(b'"RH-2025-', data.index(b"vaccinationer")) + 1)
    for _ in range(3):
        fifth = data.index(b'"id"', fifth + 1)
    items = read(data[: fifth + 20], "json", pointer="/vaccinationer")
    assert [type(item) for item in items] == [Record] * 4 + [ReadError]
    assert items[-1].line == 5
    assert "reading stopped" in message(items[-1])
    assert "RH-2025" not in message(items[-1])


# --- CSV ------------------------------------------------------------------------------------


def test_quoted_field_with_newline_keeps_the_line_count() -> None:
    items = read(b'a,b\r\n1,"two\r\nlines, and ""quotes"""\r\n3,4\r\n')
    assert items == [
        Record("test.src", 2, {"a": "1", "b": 'two\r\nlines, and "quotes"'}),
        Record("test.src", 4, {"a": "3", "b": "4"}),
    ]


def test_wrong_column_count_is_an_error_and_reading_goes_on() -> None:
    items = read(b"id;name\n1;Ola\n2;Kari;Nordmann\n3\n4;Per\n")
    assert [(type(item).__name__, item.line) for item in items] == [
        ("Record", 2),
        ("ReadError", 3),
        ("ReadError", 4),
        ("Record", 5),
    ]
    assert "expected 2 fields" in message(items[1])
    assert "found 3" in message(items[1])
    assert "Kari" not in message(items[1])


def test_unclosed_quote_is_named_in_the_error() -> None:
    items = read(b'a,b\n1,"open\n2,3\n')
    assert len(items) == 1
    assert isinstance(items[0], ReadError)
    assert items[0].line == 2
    assert "unclosed quote" in items[0].message


def test_blank_lines_and_empty_rows_are_skipped() -> None:
    items = read(b"\r\n\r\na,b\r\n\r\n1,2\r\n,\r\n  \r\n3,4")
    assert items == [
        Record("test.src", 5, {"a": "1", "b": "2"}),
        Record("test.src", 8, {"a": "3", "b": "4"}),
    ]


def test_header_names_are_stripped_and_values_kept() -> None:
    assert fields(read(b" a ; b\n x ;\n")[0]) == {"a": " x ", "b": ""}


def test_trailing_empty_columns_are_ignored() -> None:
    assert read(b"a;b;;\r\n1;2;;\r\n3;4\r\n5;6;x;\r\n") == [
        Record("test.src", 2, {"a": "1", "b": "2"}),
        Record("test.src", 3, {"a": "3", "b": "4"}),
        ReadError("test.src", 4, "expected 2 fields as in the header, found 4 (delimiter ';')"),
    ]


@pytest.mark.parametrize("encoding", ["latin-1", "windows-1252", "cp1252", "iso-8859-1"])
def test_declared_single_byte_encoding(encoding: str) -> None:
    data = "navn;by\nØyvind Æsøy;Tromsø\n".encode(encoding)
    assert read(data, encoding=encoding) == [
        Record("test.src", 2, {"navn": "Øyvind Æsøy", "by": "Tromsø"})
    ]


def test_windows_1252_specific_characters() -> None:
    data = "note,price\n“smart” \u2013 quote,€5\n".encode("windows-1252")
    assert b"\x93" in data
    assert b"\x80" in data
    assert fields(read(data, encoding="windows-1252")[0]) == {
        "note": "“smart” \u2013 quote",
        "price": "€5",
    }


def test_undecodable_utf8_line_is_an_error_at_that_line() -> None:
    data = b"a,b\n1,x\n2,\xd8yvind\n3,y\n"
    items = read(data)
    assert items[0] == Record("test.src", 2, {"a": "1", "b": "x"})
    assert isinstance(items[1], ReadError)
    assert items[1].line == 3
    assert "utf-8" in items[1].message
    assert "byte offset 2" in items[1].message
    assert "yvind" not in items[1].message
    assert items[2] == Record("test.src", 4, {"a": "3", "b": "y"})


def test_declared_utf8_strips_the_bom() -> None:
    for encoding in (None, "utf-8", "UTF8", "utf-8-sig"):
        assert fields(read(b"\xef\xbb\xbfa,b\n1,2\n", encoding=encoding)[0]) == {"a": "1", "b": "2"}


def test_undecodable_header_is_an_input_error() -> None:
    with pytest.raises(InputError, match="header") as caught:
        read(b"n\xf8kkel,b\n1,2\n")
    assert caught.value.location == "test.src:1"


def test_utf16_file_is_an_input_error() -> None:
    with pytest.raises(InputError, match="UTF-16"):
        read("a,b\n1,2\n".encode("utf-16"))


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_sniffs_the_delimiter(delimiter: str) -> None:
    others = "".join(sorted({",", ";", "\t", "|"} - {delimiter}))
    text = delimiter.join(["id", "note", "when"]) + "\n" + delimiter.join(["1", others, "x"])
    items = read(text.encode())
    assert items == [Record("test.src", 2, {"id": "1", "note": others, "when": "x"})]


def test_sniffing_ties_go_to_comma_and_options_override() -> None:
    assert sniff_delimiter("single") == ","
    assert sniff_delimiter("a;b,c") == ","
    assert sniff_delimiter('"a;b",c,d;e;f') == ";"
    assert fields(read(b"a;b,c\n1;2,3\n", delimiter=";")[0]) == {"a": "1", "b,c": "2,3"}


def test_carriage_return_inside_unquoted_field() -> None:
    items = read(b"a,b\n1,x\ry\n3,4\n")
    assert isinstance(items[0], ReadError)
    assert items[0].line == 2
    assert "carriage return" in items[0].message
    assert items[1] == Record("test.src", 3, {"a": "3", "b": "4"})


def test_quoting_can_be_turned_off() -> None:
    assert fields(read(b'a;b\n"1;2"\n', quotechar="")[0]) == {"a": '"1', "b": '2"'}


def test_csv_whole_file_problems() -> None:
    for empty in (b"", b"\r\n\r\n", b"\xef\xbb\xbf"):
        with pytest.raises(InputError, match="empty"):
            read(empty)
    with pytest.raises(InputError, match="columns 1 and 3") as caught:
        read(b"26927821329;x;26927821329\n")
    assert "26927821329" not in str(caught.value)
    assert read(b"a,b\r\n") == []


def test_bad_options_are_configuration_errors() -> None:
    for options in ({"encoding": "no-such-codec"}, {"encoding": "utf-16"}, {"delimiter": ";;"}):
        with pytest.raises(ConfigurationError):
            read(b"a,b\n", **options)
    with pytest.raises(ConfigurationError):
        read(b"[]", "json", pointer="vaccinationer")
    with pytest.raises(ConfigurationError):
        read(b"a", "parquet")


def test_small_chunks_and_over_long_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines_module, "CHUNK_BYTES", 5)
    monkeypatch.setattr(lines_module, "MAX_LINE_BYTES", 24)
    data = b'id,text\n1,"multi\nline"\n2,' + b"x" * 60 + b"\n3,\xff\n4,last"
    items = read(data)
    assert [(type(item).__name__, item.line) for item in items] == [
        ("Record", 2),
        ("ReadError", 4),
        ("ReadError", 5),
        ("Record", 6),
    ]
    assert fields(items[0]) == {"id": "1", "text": "multi\nline"}
    assert "longer than 24 bytes" in message(items[1])
    assert fields(items[3]) == {"id": "4", "text": "last"}


def test_over_long_header_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines_module, "CHUNK_BYTES", 5)
    monkeypatch.setattr(lines_module, "MAX_LINE_BYTES", 24)
    with pytest.raises(InputError, match="longer than 24 bytes") as caught:
        read(b"a," + b"x" * 100 + b"\n1,2\n")
    assert caught.value.location == "test.src:1"


# --- JSON and NDJSON ------------------------------------------------------------------------


def test_json_pointer_with_escapes() -> None:
    assert pointer_to_prefix("/a~1b/c~0d/~01") == "a/b.c~d.~1"
    data = json.dumps({"a/b": {"c~d": [{"x": 1}, {"x": 2.5}]}, "a": {"b": 0}}).encode()
    assert read(data, "json", pointer="/a~1b/c~0d") == [
        Record("test.src", 1, {"x": 1}),
        Record("test.src", 2, {"x": 2.5}),
    ]


def test_json_root_array_and_non_objects() -> None:
    items = read(b'\xef\xbb\xbf[{"a": 1}, 2, [], null, {"b": "c"}]', "json")
    assert [(type(item).__name__, item.line) for item in items] == [
        ("Record", 1),
        ("ReadError", 2),
        ("ReadError", 3),
        ("ReadError", 4),
        ("Record", 5),
    ]
    assert "a number, not an object" in message(items[1])


def test_json_pointer_not_at_an_array() -> None:
    data = b'{"eksport": {"antal": 1}, "n": 3, "vaccinationer": []}'
    with pytest.raises(InputError, match="an object, not an array") as caught:
        read(data, "json", pointer="/eksport")
    assert caught.value.location == "test.src"
    with pytest.raises(InputError, match="a single value"):
        read(data, "json", pointer="/n")
    with pytest.raises(InputError, match="nothing at JSON pointer"):
        read(data, "json", pointer="/missing")
    assert read(data, "json", pointer="/vaccinationer") == []


def test_not_json_at_all() -> None:
    for data in (b"", b"fodselsnummer;navn\n", b'{"vaccinationer": ', b"\xff\xfe"):
        with pytest.raises(InputError):
            read(data, "json", pointer="/vaccinationer")


def test_json_broken_in_the_middle_stops() -> None:
    data = b'{"v": [{"a": 1}, {"a": 2}, {"cpr": "0112920491", x}, {"a": 4}]}'
    items = read(data, "json", pointer="/v")
    assert items[:2] == [Record("test.src", 1, {"a": 1}), Record("test.src", 2, {"a": 2})]
    assert len(items) == 3
    assert isinstance(items[2], ReadError)
    assert items[2].line == 3
    assert "0112920491" not in items[2].message


def test_json_declared_latin1_is_transcoded() -> None:
    data = '[{"navn": "Søren"}]'.encode("latin-1")
    assert read(data, "json", encoding="latin-1") == [Record("test.src", 1, {"navn": "Søren"})]


def test_json_declared_encoding_that_cannot_decode() -> None:
    with pytest.raises(InputError, match="not valid cp1252 at byte offset 9 of the file"):
        read(b'[{"a": "x\x81"}]', "json", encoding="windows-1252")


def test_json_in_many_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    from mpox_adapter.ingest import jsonfile

    monkeypatch.setattr(jsonfile, "CHUNK_BYTES", 7)
    data = json.dumps({"meta": {"x": [1, 2]}, "items": [{"n": n} for n in range(50)]}).encode()
    items = read(data, "json", pointer="/items")
    assert [fields(item)["n"] for item in items] == list(range(50))


def test_ndjson_with_a_bad_line() -> None:
    data = b'{"a": 1}\n\n{"a": tru}\r\n{"a": 2.5}\n[1]\nNaN\n\xff{}\n'
    data += b'{"big": 123456789012345678901234567890}'
    items = read(data, "ndjson")
    assert [(type(item).__name__, item.line) for item in items] == [
        ("Record", 1),
        ("ReadError", 3),
        ("Record", 4),
        ("ReadError", 5),
        ("ReadError", 6),
        ("ReadError", 7),
        ("Record", 8),
    ]
    assert fields(items[2]) == {"a": 2.5}
    assert "not valid JSON at column" in message(items[1])
    assert fields(items[6])["big"] == 123456789012345678901234567890


# --- XLSX -----------------------------------------------------------------------------------


def make_xlsx(path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Doser"
    sheet.append([" fodselsnummer ", "dato", "tid", "dose", "volum", "merknad", None])
    sheet.append(["26927821329", dt.date(2023, 8, 13), dt.datetime(2023, 8, 13, 10, 15), 1, 0.1])
    sheet.append([])  # row 3 stays empty
    sheet.append([None, None])
    sheet.append(["12345678901", dt.datetime(2024, 1, 2), dt.time(9, 30), 2.0, 0.5, True])
    sheet.append(["1", None, None, None, None, None, None, "beyond the header"])
    workbook.create_sheet("Annet").append(["x"])
    workbook.save(path)


def test_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "doser.xlsx"
    make_xlsx(path)
    items = list(open_records(path, ReaderOptions("xlsx")))
    assert items[:2] == [
        Record(
            "doser.xlsx",
            2,
            {
                "fodselsnummer": "26927821329",
                "dato": "2023-08-13",
                "tid": "2023-08-13T10:15:00",
                "dose": "1",
                "volum": "0.1",
                "merknad": "",
            },
        ),
        Record(
            "doser.xlsx",
            5,
            {
                "fodselsnummer": "12345678901",
                "dato": "2024-01-02",
                "tid": "09:30:00",
                "dose": "2",
                "volum": "0.5",
                "merknad": "TRUE",
            },
        ),
    ]
    assert isinstance(items[2], ReadError)
    assert items[2].line == 6
    assert len(items) == 3
    assert list(open_records(path, ReaderOptions("xlsx", sheet="Annet"))) == []
    with pytest.raises(InputError, match="no sheet named"):
        list(open_records(path, ReaderOptions("xlsx", sheet="Nope")))


def test_xlsx_cell_text() -> None:
    assert cell_text(None) == ""
    assert cell_text(0.1 + 0.2) == "0.3"
    assert cell_text(1e20) == "100000000000000000000"
    assert cell_text(dt.datetime(2023, 1, 1, 10, 14, 59, 999_600)) == "2023-01-01T10:15:00"
    assert cell_text(dt.time(23, 59, 59, 999_999)) == "23:59:59"
    assert cell_text(dt.time(9, 29, 59, 999_999)) == "09:30:00"
    assert cell_text(False) == "FALSE"


def test_xlsx_needs_a_seekable_stream(tmp_path: Path) -> None:
    path = tmp_path / "doser.xlsx"
    make_xlsx(path)

    class Pipe(io.BytesIO):
        def seekable(self) -> bool:
            return False

    with pytest.raises(InputError, match="seekable"):
        list(read_records(Pipe(path.read_bytes()), ReaderOptions("xlsx"), "pipe"))
    items = list(read_records(io.BytesIO(path.read_bytes()), ReaderOptions("xlsx"), "memory"))
    assert len(items) == 3


def test_not_an_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"fodselsnummer;navn\n")
    with pytest.raises(InputError, match="not an XLSX") as caught:
        list(open_records(path, ReaderOptions("xlsx")))
    assert caught.value.location == "fake.xlsx"


# --- files ----------------------------------------------------------------------------------


def test_missing_file_is_an_input_error_at_once(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist") as caught:
        open_records(tmp_path / "gone.csv", ReaderOptions("csv"))
    assert caught.value.location == "gone.csv"
    with pytest.raises(InputError, match="not a file"):
        open_records(tmp_path, ReaderOptions("csv"))


def test_file_is_closed_when_reading_stops_early(tmp_path: Path) -> None:
    path = tmp_path / "x.ndjson"
    path.write_bytes(b'{"a": 1}\n{"a": 2}\n')
    iterator = open_records(path, ReaderOptions("ndjson"))
    assert next(iterator) == Record("x.ndjson", 1, {"a": 1})
    assert isinstance(iterator, Generator)
    iterator.close()


# --- random input ---------------------------------------------------------------------------


def read_checked(data: bytes, options: ReaderOptions) -> list[Item]:
    """Reads; every item must be a Record or ReadError, or the whole input an InputError."""
    try:
        items = list(read_records(io.BytesIO(data), options, "fuzz"))
    except InputError:
        return []
    for item in items:
        assert item.line >= 1
        if isinstance(item, Record):
            assert isinstance(item.fields, dict)
        else:
            assert isinstance(item, ReadError)
            assert item.message
    return items


@FUZZ
@given(
    st.binary(max_size=600),
    st.sampled_from(
        [
            ReaderOptions("csv"),
            ReaderOptions("csv", encoding="latin-1"),
            ReaderOptions("json"),
            ReaderOptions("json", pointer="/a"),
            ReaderOptions("ndjson"),
            ReaderOptions("xlsx"),
        ]
    ),
)
def test_random_bytes_never_crash(data: bytes, options: ReaderOptions) -> None:
    read_checked(data, options)


@pytest.fixture(scope="module")
def xlsx_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("xlsx") / "doser.xlsx"
    make_xlsx(path)
    return path.read_bytes()


@settings(FUZZ, max_examples=50, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=4))
def test_corrupted_xlsx_never_crashes(xlsx_bytes: bytes, flips: list[tuple[float, int]]) -> None:
    data = bytearray(xlsx_bytes)
    for where, value in flips:
        data[int(where * len(data))] = value
    read_checked(bytes(data), ReaderOptions("xlsx"))


@FUZZ
@given(st.text(alphabet=',;\t|"\r\n ab\xe6', max_size=200))
def test_random_csv_text_never_crashes(text: str) -> None:
    items = read_checked(text.encode(), ReaderOptions("csv"))
    physical_lines = text.encode().count(b"\n") + 1
    for item in items:
        assert 2 <= item.line <= physical_lines


CELL = st.text(alphabet='ab,;"\r\n \t|\u00f8', max_size=6)


@FUZZ
@given(
    st.lists(
        st.text(alphabet="abcxyz_", min_size=1, max_size=5), min_size=1, max_size=5, unique=True
    ),
    st.lists(st.lists(CELL, min_size=5, max_size=5), max_size=8),
    st.sampled_from([",", ";", "\t", "|"]),
    st.sampled_from(["\r\n", "\n"]),
)
def test_csv_round_trip(header: list[str], rows: list[list[str]], delimiter: str, end: str) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=end)
    writer.writerow(header)
    expected = []
    line = 2
    for row in rows:
        values = row[: len(header)]
        if end == "\n":
            # Python 3.11's writer leaves a lone CR unquoted unless it is in the line end.
            values = [value.replace("\r", "") for value in values]
        written = io.StringIO()
        csv.writer(written, delimiter=delimiter, lineterminator=end).writerow(values)
        out.write(written.getvalue())
        if any(values):
            expected.append(Record("test.src", line, dict(zip(header, values, strict=True))))
        line += written.getvalue().count("\n")
    assert read(out.getvalue().encode(), delimiter=delimiter) == expected


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=12,
)


@FUZZ
@given(JSON_VALUES)
def test_random_json_values_at_the_pointer(value: Any) -> None:
    data = json.dumps({"meta": 1, "records": value}).encode()
    options = ReaderOptions("json", pointer="/records")
    if not isinstance(value, list):
        with pytest.raises(InputError):
            list(read_records(io.BytesIO(data), options, "fuzz"))
        return
    items = read_checked(data, options)
    assert len(items) == len(value)
    for index, (item, element) in enumerate(zip(items, value, strict=True), 1):
        assert item.line == index
        if isinstance(element, dict):
            assert item == Record("fuzz", index, element)
        else:
            assert isinstance(item, ReadError)


@FUZZ
@given(st.lists(JSON_VALUES, max_size=6))
def test_random_ndjson_values(values: list[Any]) -> None:
    data = "\n".join(json.dumps(value) for value in values).encode()
    items = read_checked(data, ReaderOptions("ndjson"))
    assert len(items) == len(values)
    for item, value in zip(items, values, strict=True):
        assert (
            item == Record("fuzz", item.line, value)
            if isinstance(value, dict)
            else isinstance(item, ReadError)
        )


def test_a_workbook_without_worksheets_is_an_input_error(xlsx_bytes: bytes) -> None:
    # Found by the corruption fuzz test: a workbook whose <sheets> list is empty.
    import re
    import zipfile

    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx_bytes)) as original,
        zipfile.ZipFile(out, "w") as copy,
    ):
        for item in original.infolist():
            data = original.read(item)
            if item.filename == "xl/workbook.xml":
                data = re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", data, flags=re.S)
            copy.writestr(item, data)
    with pytest.raises(InputError, match="no worksheet"):
        list(read_records(io.BytesIO(out.getvalue()), ReaderOptions("xlsx"), "empty.xlsx"))
