"""Delivery speed to a real FHIR server: outbox (SQLite) -> transactions of 100 -> SEKMET.

    python bench/bench_delivery.py [RECORDS]        (default 2,000)

Starts SEKMET as the integration tests do (its own virtual environment, a fresh database on a
free loopback port), generates RECORDS valid `no-municipal-vaccinations` rows, converts them,
queues them in a SQLite outbox, and delivers them with one in-process worker. Prints:

* conversion records/s, and enqueue items/s into SQLite (the `Store.enqueue` calls alone);
* delivery: resources/s, wall time, this process's CPU time and its share of the wall time,
  and SEKMET's CPU time over the same interval (from ``/proc/<pid>/stat``), which shows
  whose CPU the delivery waits on (the machine has 2 cores).

At the end it checks on the server that every record's Immunization is there exactly once.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `adapter`, `bench` and `tests` importable
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.generate import generate  # noqa: E402
from mpox_adapter.delivery.runtime import build_destinations  # noqa: E402
from mpox_adapter.delivery.worker import DeliveryWorker  # noqa: E402
from mpox_adapter.outbox.model import State  # noqa: E402
from mpox_adapter.outbox.store import open_store  # noqa: E402
from mpox_adapter.pipeline.convert import Counts, build_converter, run_file  # noqa: E402
from mpox_adapter.pipeline.enqueue import enqueue  # noqa: E402
from mpox_adapter.settings import Settings, load_settings  # noqa: E402
from tests.integration.conftest import start_sekmet, stop_process  # noqa: E402

MAPPING = "no-municipal-vaccinations"
BATCH = 100


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "; fields[0] is the state
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


async def deliver(worker: DeliveryWorker) -> bool:
    try:
        return await worker.drain(deadline=time.monotonic() + 3600)
    finally:
        for destination in worker.destinations.values():
            await destination.aclose()


def run(records: int, workdir: Path) -> None:
    proc, base_url = start_sekmet(workdir)
    try:
        settings = Settings.from_mapping(
            {
                "data_dir": str(workdir / "var"),
                "store": {"url": f"sqlite:///{workdir / 'outbox.db'}"},
                "definitions": {"cache_dir": str(load_settings().definitions.cache_dir)},
                "delivery": {"poll_seconds": 0.05},
                "destinations": {
                    "registry": {"base_url": base_url, "mode": "transaction", "batch_size": BATCH}
                },
            }
        )
        source = workdir / "vaccinations.csv"
        generate(MAPPING, records, source, seed=1)
        converter = build_converter(settings, MAPPING)

        began = time.perf_counter()
        with source.open("rb") as stream:
            results = list(run_file(converter, stream, source.name))
        converting = time.perf_counter() - began

        store = open_store(settings.store.url)
        try:
            counts = Counts()
            began = time.perf_counter()
            for result in enqueue(store, results, settings.destinations, datetime.now(UTC)):
                counts.add(result)
            enqueuing = time.perf_counter() - began
            queued = sum(store.counts().values())
            assert counts.accepted == records, counts.as_dict()

            worker = DeliveryWorker(store, build_destinations(settings), settings.delivery)
            server_before, cpu_before = cpu_seconds(proc.pid), time.process_time()
            began = time.perf_counter()
            finished = asyncio.run(deliver(worker))
            wall = time.perf_counter() - began
            cpu, server = time.process_time() - cpu_before, cpu_seconds(proc.pid) - server_before
            delivered = store.counts().get(("registry", State.DELIVERED), 0)
        finally:
            store.close()
        on_server = httpx.get(
            f"{base_url}/Immunization", params={"_summary": "count"}, timeout=60
        ).json()["total"]
    finally:
        stop_process(proc)

    print(f"records            {records:>10,}  ({counts.as_dict()['resources']})")
    print(f"convert            {records / converting:>10,.0f} records/s  ({converting:.2f} s)")
    print(f"enqueue (SQLite)   {queued / enqueuing:>10,.0f} items/s    ({queued:,} items, "
          f"{enqueuing:.2f} s)")  # fmt: skip
    print(f"deliver            {delivered / wall:>10,.0f} resources/s ({delivered:,} resources "
          f"in transactions of {BATCH}, {wall:.2f} s wall)")  # fmt: skip
    print(f"  adapter CPU      {cpu:>10.2f} s  ({cpu / wall:.0%} of wall)")
    print(f"  SEKMET CPU       {server:>10.2f} s  ({server / wall:.0%} of wall)")
    print(f"  on the server    {on_server:>10,} Immunization(s)")
    if not finished or delivered != queued or on_server != records:
        raise SystemExit("delivery incomplete")


def main(argv: list[str]) -> int:
    records = int(argv[0]) if argv else 2_000
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as tmp:
        run(records, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
