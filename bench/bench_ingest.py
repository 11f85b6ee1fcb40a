"""Reader speed: records per second for each format, on generated files in a tmp dir.

Figure to reach: CSV at least 200,000 rows/s on one core for the shape of the Norwegian
municipal export (18 columns, `;`, CRLF, BOM). The rate of each run is in `extra_info`
(``--benchmark-json``) and printed with ``-s``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from mpox_adapter.ingest import ReaderOptions, Record, open_records

ROWS = 100_000
XLSX_ROWS = 20_000  # openpyxl writes slowly; the rate does not depend on the size

NO_HEADER = (
    "fodselsnummer;etternavn;fornavn;kjonn;vaksinasjonsdato;klokkeslett;atc;handelsnavn;"
    "batchnummer;dosenummer;administrasjonsmate;volum_ml;indikasjon;prioriteringsgruppe;"
    "vaksinator_hpr;virksomhet_orgnr;kommunenummer;merknad"
)
FAMILY = ("Nilsen", "Berg", "Hansen", "Dahl", "Strand", "Lie", "Haugen")
GIVEN = ("Ola", "Kari", "Håkon", "Ingrid", "Sindre", "Silje", "Jonas")


def no_row(i: int) -> list[str]:
    return [
        f"{(i * 7919) % 28 + 1:02d}{81 + i % 12:02d}{50 + i % 50:02d}{i % 100000:05d}",
        FAMILY[i % len(FAMILY)],
        GIVEN[i % len(GIVEN)],
        "MK"[i % 2],
        f"{i % 28 + 1:02d}.{i % 12 + 1:02d}.2024",
        f"{8 + i % 10:02d}:{i % 60:02d}",
        "J07BX01",
        "Imvanex",
        f"FDP{10000 + i % 90000}",
        str(1 + i % 2),
        "subkutant" if i % 3 else "intradermalt",
        "0,5" if i % 3 else "0,1",
        "PPV" if i % 4 else "PEPV",
        str(1 + i % 3) if i % 4 else "",
        str(1000000 + i % 9000000),
        "916274378",
        "0301",
        "lett rødhet" if i % 17 == 0 else "",
    ]


def dk_record(i: int) -> dict[str, Any]:
    return {
        "id": f"RH-2025-{i:06d}",
        "cpr": f"{i % 28 + 1:02d}{i % 12 + 1:02d}{i % 100:02d}{i % 10000:04d}",
        "navn": {"fornavn": GIVEN[i % len(GIVEN)], "efternavn": FAMILY[i % len(FAMILY)]},
        "vaccination": {
            "tidspunkt": f"2025-10-{i % 28 + 1:02d}T12:15:00+01:00",
            "vaccine": "Imvanex",
            "atc": "J07BX01",
            "batch": f"FDP{10000 + i % 90000}",
            "dosis": 1 + i % 2,
            "administrationsvej": "subkutan",
            "maengde_ml": 0.5,
            "indikation": "PrEP",
            "sted": "Infektionsmedicinsk afd., Hvidovre",
            "sor": "745962507266859",
        },
        "status": "gennemført",
    }


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ingest")
    paths = {name: folder / name for name in ("no.csv", "dk.json", "dk.ndjson", "no.xlsx")}
    with paths["no.csv"].open("w", encoding="utf-8-sig", newline="") as out:
        out.write(NO_HEADER + "\r\n")
        out.writelines(";".join(no_row(i)) + "\r\n" for i in range(ROWS))
    with paths["dk.json"].open("w", encoding="utf-8") as out:
        out.write(f'{{"eksport": {{"system": "bench", "antal": {ROWS}}}, "vaccinationer": [\n')
        out.write(",\n".join(json.dumps(dk_record(i), ensure_ascii=False) for i in range(ROWS)))
        out.write("\n]}\n")
    with paths["dk.ndjson"].open("w", encoding="utf-8") as out:
        out.writelines(json.dumps(dk_record(i), ensure_ascii=False) + "\n" for i in range(ROWS))
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Doser")
    sheet.append(NO_HEADER.split(";"))
    for i in range(XLSX_ROWS):
        sheet.append(no_row(i))
    workbook.save(paths["no.xlsx"])
    return paths


def measure(benchmark: Any, path: Path, options: ReaderOptions, rows: int) -> None:
    def read_all() -> int:
        return sum(1 for item in open_records(path, options) if isinstance(item, Record))

    count: Callable[[], int] = read_all
    assert benchmark.pedantic(count, rounds=5, iterations=1) == rows
    rate = rows / benchmark.stats.stats.median
    benchmark.extra_info["rows_per_second"] = round(rate)
    print(f"\n{path.name}: {rate:,.0f} rows/s (median of 5)")


def test_csv_no_municipal(benchmark: Any, files: dict[str, Path]) -> None:
    measure(benchmark, files["no.csv"], ReaderOptions("csv"), ROWS)


def test_json_dk_regional(benchmark: Any, files: dict[str, Path]) -> None:
    measure(benchmark, files["dk.json"], ReaderOptions("json", pointer="/vaccinationer"), ROWS)


def test_ndjson_dk_regional(benchmark: Any, files: dict[str, Path]) -> None:
    measure(benchmark, files["dk.ndjson"], ReaderOptions("ndjson"), ROWS)


def test_xlsx_no_municipal(benchmark: Any, files: dict[str, Path]) -> None:
    measure(benchmark, files["no.xlsx"], ReaderOptions("xlsx"), XLSX_ROWS)
