"""How many patient fetches per second SEKMET answers with 50 concurrent clients: the six
queries of a CDS Hooks fallback as separate requests, as one batch Bundle, or as
`Patient/$everything`. This bounds the FHIR-fallback figures of `bench_cds.py`.

    PYTHONPATH=. .venv/bin/python bench/sekmet_capacity.py [--seconds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from bench.bench_cds import load_into, patient_resources, start_sekmet, stop

TYPES = ("Condition", "Observation", "Immunization", "AllergyIntolerance", "MedicationStatement")
PATIENTS = 20
CLIENTS = 50

Fetch = Callable[[httpx.AsyncClient, str], Awaitable[object]]


async def separate(client: httpx.AsyncClient, pid: str) -> object:
    queries = [client.get(t, params={"patient": pid, "_count": 100}) for t in TYPES]
    return await asyncio.gather(client.get(f"Patient/{pid}"), *queries)


async def batch(client: httpx.AsyncClient, pid: str) -> object:
    urls = [f"Patient/{pid}"] + [f"{t}?patient={pid}&_count=100" for t in TYPES]
    bundle = {"resourceType": "Bundle", "type": "batch",
              "entry": [{"request": {"method": "GET", "url": u}} for u in urls]}  # fmt: skip
    return await client.post("", json=bundle, headers={"Content-Type": "application/fhir+json"})


async def everything(client: httpx.AsyncClient, pid: str) -> object:
    return await client.get(f"Patient/{pid}/$everything")


async def measure(base_url: str, seconds: float) -> None:
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(base_url=base_url + "/", limits=limits, timeout=30) as client:
        fetches: dict[str, Fetch] = {"separate searches": separate, "batch Bundle": batch,
                                     "Patient/$everything": everything}  # fmt: skip
        for name, fetch in fetches.items():
            latencies: list[float] = []
            end = time.perf_counter() + seconds

            async def one_client(
                k: int, fetch: Fetch = fetch, lat: list[float] = latencies, end: float = end
            ) -> None:
                while time.perf_counter() < end:
                    started = time.perf_counter()
                    await fetch(client, f"p{k % PATIENTS}")
                    lat.append(time.perf_counter() - started)

            await asyncio.gather(*(one_client(k) for k in range(CLIENTS)))
            latencies.sort()
            p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
            print(f"{name}: {len(latencies) / seconds:.0f} fetches/s, "
                  f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sekmet-capacity-") as tmp:
        proc, base_url = start_sekmet(Path(tmp))
        try:
            for n in range(PATIENTS):
                load_into(base_url, *patient_resources(f"p{n}"))
            asyncio.run(measure(base_url, args.seconds))
        finally:
            stop(proc)


if __name__ == "__main__":
    main()
