"""CDS Hooks load test: `mpox-adapter serve` in its own process, 50 concurrent clients.

    .venv/bin/python bench/bench_cds.py [--seconds 10] [--rate 300] [--sekmet-rate 20]
                                        [--clients 50] [--httpx] [--no-sekmet]
                                        [--separate-queries]

1. `mpox-vaccination` with full prefetch (a patient with 30 resources), for `--seconds`:
   a. closed loop: every client sends its next request as soon as the last one is answered.
      This gives the most the server does (requests/s); its latency is that of a saturated
      server (by Little's law, 50 clients always waiting means mean latency = 50 / rate);
   b. open loop at `--rate` requests/s spread over the clients, latency counted from when each
      request was due (so a slow server cannot hide its queue): p50 / p95 / p99.
   Target: at least 300 requests/s with p99 under 50 ms.
2. The same patient without prefetch: the service fetches the six queries from a SEKMET FHIR
   server on loopback (started as tests/integration/conftest.py does) in one batch Bundle
   (`cds.fhir_batch`; `--separate-queries`: six GETs), closed loop and open loop at
   `--sekmet-rate`. Target: p99 under 300 ms. SEKMET answers about 200 batches/s on this
   machine, or 46 sets of six separate searches: it, not the adapter, bounds this case.

Every call carries a real JWT (RS384, a key made here and trusted through a JWKS file) and,
since the service refuses a replayed `jti`, a fresh one: the tokens are signed before the
clock starts. Each client is one kept-alive HTTP/1.1 connection written by hand (`--httpx`:
an httpx.AsyncClient each, which costs the shared 2 cores about as much as the server does).
Not a pytest benchmark: `make bench` does not run it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

REPO = Path(__file__).resolve().parents[1]
ISSUER = "https://bench.ehr.example"
KID = "bench-1"
PATH = "/cds-services/mpox-vaccination"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
RISK = "http://mpox-adapter.org/fhir/CodeSystem/risk-factor"


# -- the patient -----------------------------------------------------------------------------


def patient_resources(patient_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A man in Norway's priority group 2 with a history: 30 resources in all."""
    subject = {"reference": f"Patient/{patient_id}"}
    patient = {"resourceType": "Patient", "id": patient_id, "birthDate": "1988-04-12",
               "gender": "male"}  # fmt: skip
    out: list[dict[str, Any]] = []

    def add(resource: dict[str, Any]) -> None:
        resource["id"] = f"{resource['resourceType'].lower()}-{len(out)}-{patient_id}"
        out.append(resource)

    for code in ("msm", "risk-behaviour"):
        add({"resourceType": "Observation", "status": "final", "subject": subject,
             "code": {"coding": [{"system": RISK, "code": code}]}, "valueBoolean": True,
             "effectiveDateTime": "2024-03-01"})  # fmt: skip
    add({"resourceType": "Condition", "subject": subject, "onsetDateTime": "2023-11-02",
         "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                        "condition-clinical", "code": "resolved"}]},
         "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                            "condition-ver-status", "code": "confirmed"}]},
         "code": {"coding": [{"system": SNOMED, "code": "76272004"}]}})  # fmt: skip
    for month in range(1, 13):
        add({"resourceType": "Observation", "status": "final", "subject": subject,
             "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                       "observation-category", "code": "vital-signs"}]}],
             "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
             "effectiveDateTime": f"2023-{month:02d}-15",
             "valueQuantity": {"value": 36.7, "unit": "Cel", "system": UCUM,
                               "code": "Cel"}})  # fmt: skip
    for year in range(2015, 2024):
        add({"resourceType": "Immunization", "status": "completed", "patient": subject,
             "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "88"}]},
             "occurrenceDateTime": f"{year}-10-20"})  # fmt: skip
    for code in ("195967001", "38341003", "35489007"):
        add({"resourceType": "Condition", "subject": subject, "code": {"coding": [
             {"system": SNOMED, "code": code}]}, "recordedDate": "2019-06-01"})  # fmt: skip
    add({"resourceType": "AllergyIntolerance", "patient": subject,
         "code": {"coding": [{"system": SNOMED, "code": "91936005"}]}})  # fmt: skip
    add({"resourceType": "MedicationStatement", "status": "active", "subject": subject,
         "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc",
                                                   "code": "C09AA05"}]}})  # fmt: skip
    return patient, out


def prefetch(patient: dict[str, Any], resources: list[dict[str, Any]]) -> dict[str, Any]:
    keys = {"Condition": "conditions", "Observation": "observations",
            "Immunization": "immunizations", "AllergyIntolerance": "allergies",
            "MedicationStatement": "medications"}  # fmt: skip
    found: dict[str, Any] = {
        key: {"resourceType": "Bundle", "type": "searchset", "entry": []} for key in keys.values()
    }
    for resource in resources:
        found[keys[resource["resourceType"]]]["entry"].append({"resource": resource})
    return {"patient": patient, **found}


def body(patient_id: str, pre: dict[str, Any] | None, fhir_server: str | None) -> bytes:
    request: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/bench", "patientId": patient_id},
    }
    if pre is not None:
        request["prefetch"] = pre
    if fhir_server is not None:
        request["fhirServer"] = fhir_server
    return json.dumps(request).encode()


# -- tokens ----------------------------------------------------------------------------------


class Tokens:
    """Signed ahead of time: one per request, each with its own jti."""

    def __init__(self, key: rsa.RSAPrivateKey, audience: str, count: int) -> None:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": audience, "iat": now, "exp": now + 3600}
        header = {"kid": KID}
        self._tokens = [
            jwt.encode({**claims, "jti": uuid.uuid4().hex}, key, "RS384", headers=header)
            for _ in range(count)
        ]

    def next(self) -> str | None:
        """A fresh token, or None once all are used."""
        return self._tokens.pop() if self._tokens else None


def jwks(key: rsa.RSAPrivateKey) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {"keys": [{**public, "kid": KID, "alg": "RS384", "use": "sig"}]}


# -- the servers -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_adapter(
    workdir: Path, jwks_file: Path, fhir_servers: list[str], batch: bool
) -> tuple[Any, str]:
    port = free_port()
    env = {
        **os.environ,
        "MPOX_DATA_DIR": str(workdir / "var"),
        "MPOX_STORE__URL": f"sqlite:///{workdir / 'adapter.db'}",
        "MPOX_LOG__LEVEL": "WARNING",
        "MPOX_CDS__TRUSTED_ISSUERS": json.dumps({ISSUER: str(jwks_file)}),
        "MPOX_CDS__ALLOWED_FHIR_SERVERS": json.dumps(fhir_servers),
        "MPOX_CDS__ALLOW_LOOPBACK_FHIR": "true",
        "MPOX_CDS__FHIR_BATCH": "true" if batch else "false",
    }
    env.pop("MPOX_CONFIG", None)
    log = (workdir / "adapter.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mpox_adapter", "serve", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=REPO,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the adapter exited; see {workdir / 'adapter.log'}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the adapter did not start")


def start_sekmet(workdir: Path) -> tuple[Any, str]:
    sys.path.insert(0, str(REPO))  # run as a script: the tests' SEKMET helpers are beside us
    from tests.integration.conftest import start_sekmet as start

    return start(workdir)


def load_into(base_url: str, patient: dict[str, Any], resources: list[dict[str, Any]]) -> None:
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
        for r in [patient, *resources]]}  # fmt: skip
    answer = httpx.post(base_url, json=bundle, timeout=60,
                        headers={"Content-Type": "application/fhir+json"})  # fmt: skip
    answer.raise_for_status()


def stop(proc: Any) -> None:
    from tests.integration.conftest import stop_process

    stop_process(proc)


# -- load ------------------------------------------------------------------------------------


class Connection:
    """One client: a kept-alive HTTP/1.1 connection that posts the same body with a fresh
    token each time. Writing the request by hand keeps the load generator's own CPU small (an
    httpx client costs about as much per request as the server on this 2-core machine, and the
    two share it); `--httpx` uses httpx instead."""

    def __init__(self, base: str, payload: bytes) -> None:
        self.host, port = base.removeprefix("http://").split(":")
        self.port = int(port)
        self.payload = payload
        self.head = (
            f"POST {PATH} HTTP/1.1\r\nHost: {self.host}:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        )
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, token: str) -> int:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        request = f"{self.head}Authorization: Bearer {token}\r\n\r\n".encode() + self.payload
        self.writer.write(request)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next(int(v) for k, _, v in (h.partition(":") for h in lines[1:])
                      if k.lower() == "content-length")  # fmt: skip
        await self.reader.readexactly(length)
        return int(lines[0].split()[1])

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


class HttpxConnection:
    def __init__(self, base: str, payload: bytes) -> None:
        self.http = httpx.AsyncClient(base_url=base, timeout=30)
        self.payload = payload

    async def post(self, token: str) -> int:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        return (await self.http.post(PATH, content=self.payload, headers=headers)).status_code

    async def close(self) -> None:
        await self.http.aclose()


Connect = Callable[[str, bytes], "Connection | HttpxConnection"]


async def closed_loop(
    connect: Connect, base: str, payload: bytes, tokens: Tokens, clients: int, seconds: float
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    failures = 0
    # Clients are set up before the clock starts (an httpx client costs milliseconds to make).
    connections = [connect(base, payload) for _ in range(clients)]
    stop_at = time.perf_counter() + seconds

    async def client(connection: Connection | HttpxConnection) -> None:
        nonlocal failures
        while time.perf_counter() < stop_at and (token := tokens.next()) is not None:
            started = time.perf_counter()
            status = await connection.post(token)
            latencies.append(time.perf_counter() - started)
            failures += status != 200
        await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in connections))
    return latencies, failures, len(latencies) / (time.perf_counter() - started)


async def open_loop(
    connect: Connect,
    base: str,
    payload: bytes,
    tokens: Tokens,
    clients: int,
    seconds: float,
    rate: float,
) -> tuple[list[float], int, float]:
    """Each client sends every clients/rate seconds, offset from the others; latency is from
    when the request was due, so a queue in the server shows (no coordinated omission)."""
    latencies: list[float] = []
    failures = 0
    interval = clients / rate
    connections = [connect(base, payload) for _ in range(clients)]
    begin = time.perf_counter() + 0.5

    async def client(index: int) -> None:
        nonlocal failures
        connection = connections[index]
        due = begin + index * interval / clients
        while due < begin + seconds and (token := tokens.next()) is not None:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            status = await connection.post(token)
            latencies.append(time.perf_counter() - due)
            failures += status != 200
            due += interval
        await connection.close()

    await asyncio.gather(*(client(i) for i in range(clients)))
    return latencies, failures, len(latencies) / (time.perf_counter() - begin)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def report(title: str, latencies: list[float], failures: int, rate: float) -> None:
    print(
        f"{title}: {len(latencies)} requests, {failures} failed, {rate:,.0f} requests/s, "
        f"p50 {percentile(latencies, 50):.1f} ms, p95 {percentile(latencies, 95):.1f} ms, "
        f"p99 {percentile(latencies, 99):.1f} ms, max {max(latencies) * 1000:.1f} ms, "
        f"mean {statistics.fmean(latencies) * 1000:.1f} ms"
    )


def run(
    base: str, payload: bytes, key: Any, args: argparse.Namespace, label: str, rate: float
) -> None:
    audience = base + PATH
    connect: Connect = HttpxConnection if args.httpx else Connection
    warm = Tokens(key, audience, 200)
    asyncio.run(closed_loop(connect, base, payload, warm, 10, 1.0))
    budget = int(args.seconds * 1000) + 500  # more than the server can take
    latencies, failures, achieved = asyncio.run(
        closed_loop(
            connect, base, payload, Tokens(key, audience, budget), args.clients, args.seconds
        )
    )
    report(f"{label}, closed loop, {args.clients} clients", latencies, failures, achieved)
    # Let queries the server still works on (for calls already timed out) drain first.
    time.sleep(3)
    tokens = Tokens(key, audience, int(rate * args.seconds) + 100)
    latencies, failures, achieved = asyncio.run(
        open_loop(connect, base, payload, tokens, args.clients, args.seconds, rate)
    )
    report(
        f"{label}, open loop at {rate:g}/s, {args.clients} clients", latencies, failures, achieved
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--sekmet-rate", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--no-sekmet", action="store_true")
    parser.add_argument(
        "--separate-queries", action="store_true", help="cds.fhir_batch off: six GETs a call"
    )
    parser.add_argument("--httpx", action="store_true", help="clients are httpx.AsyncClients")
    args = parser.parse_args(argv)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with tempfile.TemporaryDirectory(prefix="bench-cds-") as tmp:
        workdir = Path(tmp)
        jwks_file = workdir / "jwks.json"
        jwks_file.write_text(json.dumps(jwks(key)))
        patient, resources = patient_resources(f"bench-{uuid.uuid4().hex[:8]}")
        print(f"patient with {1 + len(resources)} resources; {os.cpu_count()} cores")
        sekmet_proc, sekmet_url = (None, None)
        if not args.no_sekmet:
            (workdir / "sekmet").mkdir()
            sekmet_proc, sekmet_url = start_sekmet(workdir / "sekmet")
            load_into(sekmet_url, patient, resources)
        servers = [sekmet_url] if sekmet_url else []
        adapter_proc, base = start_adapter(workdir, jwks_file, servers, not args.separate_queries)
        try:
            run(base, body(patient["id"], prefetch(patient, resources), None), key, args,
                "full prefetch", args.rate)  # fmt: skip
            if sekmet_url:
                run(base, body(patient["id"], None, sekmet_url), key, args,
                    "no prefetch, FHIR fetch from SEKMET", args.sekmet_rate)  # fmt: skip
        finally:
            stop(adapter_proc)
            if sekmet_proc is not None:
                stop(sekmet_proc)


if __name__ == "__main__":
    main()
