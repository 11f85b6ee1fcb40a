"""End-to-end conversion speed and memory: read, map, validate, write NDJSON.

Figures to reach (issue 4), for `no-municipal-vaccinations` on the 2-core machine: at least
2,000 records/s on one core, 3,500/s with both, and 1,000,000 rows with peak memory under
400 MB. Run: `make bench` (the 1,000,000-row run: `python bench/bench_convert.py 1000000`).
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from bench.generate import generate
from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.pipeline.convert import Counts, build_converter, run_file
from mpox_adapter.pipeline.output import ErrorWriter, NdjsonWriter
from mpox_adapter.settings import Settings

MAPPING = "no-municipal-vaccinations"


def convert_file(path: Path, workers: int, definitions: Definitions | None = None) -> Counts:
    settings = Settings.from_mapping({})
    converter = build_converter(settings, MAPPING, definitions)
    counts = Counts()
    with (
        path.open("rb") as stream,
        open(path.with_suffix(".out"), "wb") as out,
        open(path.with_suffix(".err"), "wb") as err,
    ):
        writer, errors = NdjsonWriter(out), ErrorWriter(err)
        for result in run_file(converter, stream, path.name, workers):
            counts.add(result)
            (errors if result.rejected else writer).write(result)
    return counts


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("convert") / "vaccinations.csv"
    generate(MAPPING, 20_000, path, seed=1)
    return path


@pytest.mark.parametrize("workers", [1, 2])
def test_convert_no_municipal(
    benchmark: Any, sample_file: Path, workers: int, mpox_definitions: Definitions
) -> None:
    counts = benchmark.pedantic(
        convert_file, (sample_file, workers, mpox_definitions), rounds=3, iterations=1
    )
    assert counts.records == 20_000
    assert counts.rejected == 0
    benchmark.extra_info["records_per_second"] = round(20_000 / benchmark.stats.stats.median)


def main(rows: int, worker_counts: list[int]) -> None:
    """A standalone run for big files: records/s and the peak memory of this process (the
    workers' peak is printed by `bench/peak_rss.sh`, which watches all of them)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vaccinations.csv"
        generate(MAPPING, rows, path, seed=2)
        for workers in worker_counts:
            started = time.perf_counter()
            counts = convert_file(path, workers)
            elapsed = time.perf_counter() - started
            print(f"{rows:,} rows, {workers} worker(s): {counts.records / elapsed:,.0f} records/s, "
                  f"{counts.accepted:,} accepted, {elapsed:.1f} s")  # fmt: skip
        peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory of the main process: {peak_self:.0f} MB")


if __name__ == "__main__":
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    main(rows, [int(w) for w in sys.argv[2:]] or [1, 2])
