"""Outbox speed: enqueue into SQLite and PostgreSQL; a million items through SQLite.

pytest-benchmark (``-s`` prints the rates, ``--benchmark-json`` keeps them in `extra_info`)::

    .venv/bin/python -m pytest bench/bench_outbox.py -o python_files='bench_*.py' \\
        --benchmark-only -q -s

enqueues 10,000 items of about 1.5 KB, in batches of 500, per round. Target: at least
5,000 items/s on each store.

Standalone, ``python bench/bench_outbox.py [ITEMS] [DIR]`` enqueues ITEMS (default 1,000,000)
into a SQLite file in DIR (default: a temporary directory), then leases them 100 at a time
and marks each delivered, printing items/s for both phases and the peak resident memory.
"""

from __future__ import annotations

import itertools
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from mpox_adapter.outbox.model import NewItem, State
from mpox_adapter.outbox.store import Store, open_store

ITEMS = 10_000
BATCH = 500
DEST = "fhir-no"
_PADDING = "x" * 1100


def body(n: int) -> bytes:
    """An Immunization of about 1.5 KB."""
    return orjson.dumps(
        {
            "resourceType": "Immunization",
            "id": f"imm-{n}",
            "meta": {"profile": ["https://example.org/fhir/StructureDefinition/mpox-immunization"]},
            "status": "completed",
            "vaccineCode": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J07BX01"}]},
            "patient": {"reference": f"Patient/pat-{n // 2}"},
            "occurrenceDateTime": f"2024-06-{n % 28 + 1:02d}T10:00:00+02:00",
            "lotNumber": f"FDP{n % 99999:05d}",
            "note": [{"text": _PADDING}],
        }
    )


def items(start: int, count: int) -> Iterator[NewItem]:
    for n in range(start, start + count):
        yield NewItem(DEST, "Immunization", f"imm-{n}", f"prov-{n // 3}", body(n))


def measure_enqueue(benchmark: Any, store: Store, name: str) -> None:
    counter = itertools.count()

    def batches() -> tuple[tuple[list[list[NewItem]]], dict[str, Any]]:
        start = next(counter) * ITEMS  # new ids every round: nothing is a duplicate
        prepared = [list(items(start + b, BATCH)) for b in range(0, ITEMS, BATCH)]
        return (prepared,), {}

    def enqueue(prepared: list[list[NewItem]]) -> int:
        now = datetime.now(UTC)
        return sum(store.enqueue(batch, now) for batch in prepared)

    assert benchmark.pedantic(enqueue, setup=batches, rounds=5, iterations=1) == ITEMS
    rate = ITEMS / benchmark.stats.stats.median
    benchmark.extra_info["items_per_second"] = round(rate)
    print(
        f"\n{name}: enqueue {rate:,.0f} items/s ({ITEMS:,} x {len(body(0))} B, batches of {BATCH})"
    )


def test_enqueue_sqlite(benchmark: Any, tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'outbox.db'}")
    try:
        measure_enqueue(benchmark, store, "SQLite")
    finally:
        store.close()


def test_enqueue_postgresql(benchmark: Any, postgres_url: str) -> None:
    store = open_store(postgres_url)
    try:
        measure_enqueue(benchmark, store, "PostgreSQL")
    finally:
        store.close()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(total: int, directory: Path) -> None:
    path = directory / "outbox-bench.db"
    store = open_store(f"sqlite:///{path}")
    started = time.perf_counter()
    for start in range(0, total, BATCH):
        store.enqueue(list(items(start, min(BATCH, total - start))), datetime.now(UTC))
    seconds = time.perf_counter() - started
    print(f"enqueue: {total:,} items in {seconds:.1f} s = {total / seconds:,.0f} items/s")
    print(f"  file {path.stat().st_size / 2**20:,.0f} MiB, peak RSS {peak_rss_mb():,.0f} MiB")

    started = time.perf_counter()
    done = 0
    while batch := store.lease(DEST, "bench", 100, 300, datetime.now(UTC)):
        for item in batch:
            store.delivered(item.id, "bench", {"id": item.resource_id}, datetime.now(UTC))
        done += len(batch)
    seconds = time.perf_counter() - started
    rate = done / seconds
    print(f"lease 100 + mark delivered: {done:,} items in {seconds:.1f} s = {rate:,.0f} items/s")
    counts = store.counts()
    store.close()
    assert done == total, f"delivered {done} of {total}"
    assert counts == {(DEST, State.DELIVERED): total}, counts
    print(f"peak RSS {peak_rss_mb():,.0f} MiB")


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    if len(sys.argv) > 2:
        main(count, Path(sys.argv[2]))
    else:
        with tempfile.TemporaryDirectory(prefix="outbox-bench-") as tmp:
            main(count, Path(tmp))
