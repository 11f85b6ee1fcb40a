"""bench/generate.py: synthetic exports in the sample formats, re-checked with the stdlib only.

The checks below are written from the format descriptions, independently of the generator.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.generate import FORMATS, generate, main

DATA = Path(__file__).resolve().parents[1] / "data"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FILES = {
    "no-municipal-vaccinations": "no-municipal-vaccinations.csv",
    "dk-regional-vaccinations": "dk-regional-vaccinations.json",
    "case-linelist": "case-linelist.csv",
    "contact-linelist": "contact-linelist.csv",
}
ROWS = 500
FLAGS = {"y", "n", "unknown"}
CONTACT_TYPES = {
    "household",
    "sexual",
    "direct-unprotected",
    "hcw-no-ppe",
    "seated-adjacent-8h",
    "other",
}
SYMPTOMS = {"headache", "fatigue", "myalgia", "back pain"}
PCR = {"suspected": "pending", "confirmed": "positive", "discarded": "negative"}


def sample(fmt: str) -> Path:
    """The sample export in examples/."""
    return EXAMPLES / FILES[fmt]


def mod11(digits: str, weights: tuple[int, ...]) -> int | None:
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11
    return None if remainder == 1 else (11 - remainder) % 11


def norwegian_birth(number: str) -> date | None:
    """Date of birth of a valid fødselsnummer / D-number (synthetic month + 80), else None."""
    if not re.fullmatch(r"\d{11}", number):
        return None
    if mod11(number[:9], (3, 7, 6, 1, 8, 9, 4, 5, 2)) != int(number[9]):
        return None
    if mod11(number[:10], (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)) != int(number[10]):
        return None
    day, month, year, individual = (int(number[a:b]) for a, b in ((0, 2), (2, 4), (4, 6), (6, 9)))
    day, month = day - 40 if day > 40 else day, month - 80 if month > 80 else month
    century = 1900 if individual < 500 or (individual >= 900 and year >= 40) else 2000
    return valid_date(century + year, month, day)


def cpr_birth(number: str) -> date | None:
    if not re.fullmatch(r"\d{10}", number):
        return None
    day, month, year, seventh = int(number[:2]), int(number[2:4]), int(number[4:6]), int(number[6])
    if seventh <= 3:
        century = 1900
    elif seventh in (4, 9):
        century = 2000 if year <= 36 else 1900
    else:
        century = 2000 if year <= 57 else 1800
    return valid_date(century + year, month, day)


def valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def iso(value: str) -> date:
    return date.fromisoformat(value)


def check_no(r: list[str]) -> None:
    (
        fnr,
        _,
        _,
        kjonn,
        when,
        clock,
        atc,
        name,
        lot,
        dose,
        route,
        vol,
        ind,
        group,
        hpr,
        org,
        kommune,
        _,
    ) = r
    assert norwegian_birth(fnr) is not None
    assert kjonn == ("M" if int(fnr[8]) % 2 else "K")
    assert date(2022, 8, 1) <= datetime.strptime(when, "%d.%m.%Y").date() <= date(2025, 10, 31)
    datetime.strptime(clock, "%H:%M")
    assert (atc, name, dose) in {("J07BX01", "Imvanex", "1"), ("J07BX01", "Imvanex", "2")}
    assert re.fullmatch(r"FDP\d{5}", lot)
    assert (route, vol) in {("intradermalt", "0,1"), ("subkutant", "0,5")}
    assert (ind == "PPV" and group in {"1", "2", "3"}) or (ind, group, route) == (
        "PEPV",
        "",
        "subkutant",
    )
    assert re.fullmatch(r"\d{7,9}", hpr)
    assert re.fullmatch(r"\d{9}", org)
    assert mod11(org[:8], (3, 2, 7, 6, 5, 4, 3, 2)) == int(org[8])
    assert re.fullmatch(r"\d{4}", kommune)


def check_dk(rec: dict[str, Any]) -> None:
    born, vaccination = cpr_birth(rec["cpr"]), rec["vaccination"]
    assert born is not None
    given = datetime.fromisoformat(vaccination["tidspunkt"])
    assert given.utcoffset() in {timedelta(hours=1), timedelta(hours=2)}
    assert (vaccination["atc"], vaccination["vaccine"]) == ("J07BX01", "Imvanex")
    assert (vaccination["administrationsvej"], vaccination["maengde_ml"]) == ("subkutan", 0.5)
    assert vaccination["indikation"] in {"PrEP", "PEP"}
    assert vaccination["dosis"] in {1, 2}
    assert re.fullmatch(r"FDP\d{5}", vaccination["batch"])
    assert re.fullmatch(r"\d{15}", vaccination["sor"])
    assert rec["status"] in {"gennemført", "annulleret"}


def check_person(country: str, pid: str, kind: str, sex: str, birth: str) -> None:
    if country == "NO":
        assert kind == ("dnr" if pid[:1] in "4567" else "fnr")
        born, male = norwegian_birth(pid), int(pid[8]) % 2 == 1
    else:
        assert kind == "cpr"
        born, male = cpr_birth(pid), int(pid[9]) % 2 == 1
    assert born is not None
    assert born == iso(birth)
    assert sex == ("M" if male else "F")


def check_case(r: dict[str, str]) -> None:
    assert re.fullmatch(r"(NO|DK)-MPX-2025-\d{4,}", r["case_id"])
    assert r["case_id"][:2] == r["country"]
    check_person(r["country"], r["person_id"], r["id_type"], r["sex"], r["birth_date"])
    assert PCR[r["status"]] == r["pcr_result"]
    assert r["clade"] in (
        {"Ia", "Ib", "IIa", "IIb", "unknown", ""} if r["status"] == "confirmed" else {""}
    )
    onset, specimen = iso(r["symptom_onset"]), iso(r["specimen_date"])
    assert onset <= specimen <= datetime.fromisoformat(r["reported_at"]).date()
    flags = ("rash", "fever", "lymphadenopathy", "proctitis", "hospitalised", "msm")
    assert {r[f] for f in (*flags, "multiple_partners_21d")} <= FLAGS
    assert set(filter(None, r["other_symptoms"].split(";"))) <= SYMPTOMS
    assert r["pcr_target"] in {"mpxv", "opxv"}
    assert re.fullmatch(r"\d{7}", r["clinician_id"])
    assert r["travel_country"] == "" or re.fullmatch(r"[A-Z]{2}", r["travel_country"])


def check_contact(r: dict[str, str]) -> None:
    assert re.fullmatch(r"C-\d{5,}", r["contact_id"])
    assert re.fullmatch(r"(NO|DK)-MPX-2025-\d{4,}", r["index_case_id"])
    check_person(r["country"], r["person_id"], r["id_type"], r["sex"], r["birth_date"])
    first, last = iso(r["first_exposure"]), iso(r["last_exposure"])
    assert first <= last
    assert iso(r["monitoring_until"]) == last + timedelta(days=21)
    assert r["contact_type"] in CONTACT_TYPES
    assert {r["pregnant"], r["immunocompromised"], r["pep_offered"]} <= FLAGS
    assert r["pep_date"] == "" or (r["pep_offered"] == "y" and iso(r["pep_date"]) >= first)


def defective(check: Callable[[Any], None], record: Any) -> bool:
    try:
        check(record)
    except (AssertionError, ValueError, KeyError, IndexError, TypeError):
        return True
    return False


def no_rows(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\n") == raw.count(b"\r\n")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))


def dict_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    text = path.read_text(encoding="utf-8")
    assert "\r" not in text
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return list(reader.fieldnames or []), list(reader)


def records(fmt: str, path: Path) -> list[Any]:
    """The generated records, after checking the file's framing against the sample's."""
    if fmt == "no-municipal-vaccinations":
        header, *rows = no_rows(path)
        assert header == no_rows(sample(fmt))[0]
        return rows
    if fmt == "dk-regional-vaccinations":
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["eksport"]["antal"] == len(data["vaccinationer"])
        return list(data["vaccinationer"])
    header, dicts = dict_rows(path)
    assert header == dict_rows(sample(fmt))[0]
    return dicts


CHECKS: dict[str, Callable[[Any], None]] = {
    "no-municipal-vaccinations": check_no,
    "dk-regional-vaccinations": check_dk,
    "case-linelist": check_case,
    "contact-linelist": check_contact,
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_checks_find_exactly_the_samples_defects(fmt: str) -> None:
    """The checks here follow the samples' rules: on a sample they reject just its bad lines."""
    rows = records(fmt, sample(fmt))
    counts = DATA / "sample-counts.json"
    header_lines = 0 if fmt == "dk-regional-vaccinations" else 1
    bad = [i + header_lines for i, r in enumerate(rows, 1) if defective(CHECKS[fmt], r)]
    assert bad == json.loads(counts.read_text(encoding="utf-8"))[fmt]["bad_lines"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_generated_record_is_valid(fmt: str, tmp_path: Path) -> None:
    generate(fmt, ROWS, tmp_path / "out", seed=1)
    rows = records(fmt, tmp_path / "out")
    assert len(rows) == ROWS
    assert [i for i, r in enumerate(rows, 1) if defective(CHECKS[fmt], r)] == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_every_k_spoils_exactly_every_kth_record(fmt: str, tmp_path: Path) -> None:
    generate(fmt, ROWS, tmp_path / "out", seed=2, bad_every=10)
    rows = records(fmt, tmp_path / "out")
    bad = [i for i, r in enumerate(rows, 1) if defective(CHECKS[fmt], r)]
    assert bad == list(range(10, ROWS + 1, 10))


def test_dk_records_have_the_samples_keys(tmp_path: Path) -> None:
    first = json.loads(sample("dk-regional-vaccinations").read_text(encoding="utf-8"))[
        "vaccinationer"
    ][0]
    generate("dk-regional-vaccinations", ROWS, tmp_path / "dk.json", seed=3)
    data = json.loads((tmp_path / "dk.json").read_text(encoding="utf-8"))
    assert len(data["vaccinationer"]) == ROWS
    assert data["eksport"]["antal"] == ROWS
    for rec in data["vaccinationer"]:
        assert list(rec) == list(first)
        assert list(rec["navn"]) == list(first["navn"])
        assert list(rec["vaccination"]) == list(first["vaccination"])
    assert len({rec["id"] for rec in data["vaccinationer"]}) == ROWS


def test_second_doses_follow_first_doses_of_the_same_person(tmp_path: Path) -> None:
    generate("no-municipal-vaccinations", ROWS, tmp_path / "no.csv", seed=4)
    first: dict[str, tuple[date, list[str]]] = {}
    seconds = 0
    for r in no_rows(tmp_path / "no.csv")[1:]:
        when = datetime.strptime(r[4], "%d.%m.%Y").date()
        if r[9] == "1":
            assert r[0] not in first
            first[r[0]] = (when, r)
            continue
        seconds += 1
        earlier, row = first.pop(r[0])  # the first dose came earlier in the file
        assert when - earlier >= timedelta(days=28)
        assert r[1:4] + r[12:] == row[1:4] + row[12:]  # same person, indication, vaccinator
    assert 0.3 <= seconds / ROWS <= 0.45


def test_contacts_point_at_cases_of_a_case_file_as_long(tmp_path: Path) -> None:
    generate("case-linelist", ROWS, tmp_path / "cases.csv", seed=5)
    generate("contact-linelist", ROWS, tmp_path / "contacts.csv", seed=6)
    cases = [r["case_id"] for r in dict_rows(tmp_path / "cases.csv")[1]]
    assert len(set(cases)) == ROWS
    for i, r in enumerate(dict_rows(tmp_path / "cases.csv")[1]):
        assert r["epi_link_case_id"] in {"", *cases[:i]}
    assert {r["index_case_id"] for r in dict_rows(tmp_path / "contacts.csv")[1]} <= set(cases)


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_depends_on_the_seed_only(fmt: str, tmp_path: Path) -> None:
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        generate(fmt, 200, tmp_path / name, seed=seed, bad_every=7)
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()
    assert (tmp_path / "a").read_bytes() != (tmp_path / "c").read_bytes()


def test_cli_writes_the_file_and_one_summary_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "no.csv"
    assert (
        main(["no-municipal-vaccinations", "1000", str(out), "--seed", "9", "--bad-every", "100"])
        == 0
    )
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1
    assert "1000 rows (10 defective)" in captured.err
    assert len(no_rows(out)) == 1001


def test_zero_rows_and_bad_arguments(tmp_path: Path) -> None:
    generate("dk-regional-vaccinations", 0, tmp_path / "dk.json")
    assert json.loads((tmp_path / "dk.json").read_text(encoding="utf-8"))["vaccinationer"] == []
    with pytest.raises(ValueError, match="unknown format"):
        generate("xlsx", 1, tmp_path / "x")
    with pytest.raises(ValueError, match="negative"):
        generate("case-linelist", 1, tmp_path / "x", bad_every=-1)
