"""Delivery against mocked FHIR servers: every outcome class, batches, transactions, auth.

The worker runs over an in-memory outbox with an injected clock and random source, so
retries are decided without waiting.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from mpox_adapter.delivery.destination import Destination
from mpox_adapter.delivery.worker import DeliveryWorker
from mpox_adapter.outbox.memory import MemoryStore
from mpox_adapter.outbox.model import NewItem, State
from mpox_adapter.settings import DeliverySettings, DestinationSettings

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BASE = "http://127.0.0.1:9/fhir"


def patient(pid: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [
            {"system": "urn:oid:2.16.578.1.12.4.1.4.1", "value": f"1583901000{pid[-1]}"}
        ],
        "birthDate": "1990-03-15",
    }


def immunization(iid: str, pid: str) -> dict[str, Any]:
    return {
        "resourceType": "Immunization",
        "id": iid,
        "status": "completed",
        "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "206"}]},
        "patient": {"reference": f"Patient/{pid}"},
        "occurrenceDateTime": "2025-01-01",
    }


def provenance(vid: str, *targets: str) -> dict[str, Any]:
    return {
        "resourceType": "Provenance",
        "id": vid,
        "target": [{"reference": t} for t in targets],
        "recorded": "2026-01-01T00:00:00Z",
        "agent": [{"who": {"display": "x"}}],
    }


def record(n: int) -> list[dict[str, Any]]:
    pid, iid, vid = f"p{n}", f"i{n}", f"v{n}"
    return [
        patient(pid),
        immunization(iid, pid),
        provenance(vid, f"Patient/{pid}", f"Immunization/{iid}"),
    ]


def fill(store: MemoryStore, records: int, destination: str = "ehr") -> None:
    items = [
        NewItem(destination, r["resourceType"], r["id"], f"g{n}", orjson.dumps(r))
        for n in range(records)
        for r in record(n)
    ]
    store.enqueue(items, T0)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def worker(
    store: MemoryStore,
    handler: Callable[[httpx.Request], httpx.Response],
    clock: Clock | None = None,
    **settings: Any,
) -> DeliveryWorker:
    destination = Destination(
        "ehr", DestinationSettings(base_url=BASE, **settings), httpx.MockTransport(handler)
    )
    return DeliveryWorker(
        store,
        {"ehr": destination},
        DeliverySettings(poll_seconds=0.01),
        clock=clock or Clock(),
        rand=lambda: 0.5,
    )


def transaction_ok(request: httpx.Request) -> httpx.Response:
    bundle = json.loads(request.content)
    entries = [
        {
            "response": {
                "status": "201 Created",
                "location": f"{e['resource']['resourceType']}/srv-{e['resource']['id']}/_history/1",
            }
        }
        for e in bundle["entry"]
    ]
    return httpx.Response(
        200, json={"resourceType": "Bundle", "type": "transaction-response", "entry": entries}
    )


def states(store: MemoryStore) -> dict[State, int]:
    result: dict[State, int] = {}
    for (_, state), n in store.counts().items():
        result[state] = result.get(state, 0) + n
    return {s: n for s, n in result.items() if n}


async def test_transaction_delivers_and_keeps_receipts() -> None:
    store = MemoryStore()
    fill(store, 2)
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return transaction_ok(request)

    await worker(store, handler).run_once()
    assert states(store) == {State.DELIVERED: 6}
    bundle = seen[0]
    assert bundle["type"] == "transaction"
    entries = {e["resource"]["id"]: e for e in bundle["entry"]}
    assert entries["p0"]["request"] == {
        "method": "POST",
        "url": "Patient",
        "ifNoneExist": "identifier=urn:oid:2.16.578.1.12.4.1.4.1|15839010000",
    }
    assert entries["i0"]["request"] == {"method": "PUT", "url": "Immunization/i0"}
    assert entries["i0"]["resource"]["patient"]["reference"] == "urn:uuid:p0"
    item = store.items(State.DELIVERED)[0]
    assert item.receipt == {
        "status": 201,
        "location": "Patient/srv-p0/_history/1",
        "id": "srv-p0",
        "version": "1",
    }
    assert store.server_id("ehr", "Patient", "p0") == "srv-p0"


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503])
async def test_transient_statuses_retry_later(status: int) -> None:
    store = MemoryStore()
    fill(store, 1)
    w = worker(store, lambda _: httpx.Response(status))
    await w.run_once()
    assert states(store) == {State.RETRY_WAIT: 3}
    item = store.items(State.RETRY_WAIT)[0]
    assert item.attempts == 1
    # Full jitter with random() = 0.5 and base 2 s: 0.5 * 2 * 2**0 = 1 s.
    assert item.not_before == T0 + timedelta(seconds=1)


async def test_a_group_waits_as_one() -> None:
    # Items of one group due at different times would be leased apart: an Immunization
    # could go out before its Patient has an id on the server.
    store = MemoryStore()
    fill(store, 2)
    w = worker(store, lambda _: httpx.Response(503))
    draws = iter([0.1, 0.9, 0.3, 0.7, 0.5, 0.2])
    w.rand = lambda: next(draws)
    await w.run_once()
    waits: dict[str, set[datetime]] = {}
    for item in store.items(State.RETRY_WAIT):
        waits.setdefault(item.group_key, set()).add(item.not_before)
    assert sorted(waits) == ["g0", "g1"]
    assert all(len(times) == 1 for times in waits.values())


async def test_retry_after_is_honoured() -> None:
    store = MemoryStore()
    fill(store, 1)
    await worker(store, lambda _: httpx.Response(503, headers={"Retry-After": "120"})).run_once()
    assert store.items(State.RETRY_WAIT)[0].not_before == T0 + timedelta(seconds=120)


async def test_connection_errors_and_timeouts_are_transient() -> None:
    for error in (httpx.ConnectError("refused"), httpx.ReadTimeout("slow")):
        store = MemoryStore()
        fill(store, 1)

        def handler(_: httpx.Request, error: Exception = error) -> httpx.Response:
            raise error

        await worker(store, handler).run_once()
        assert states(store) == {State.RETRY_WAIT: 3}


async def test_a_rejected_transaction_is_split_to_isolate_the_bad_resource() -> None:
    store = MemoryStore()
    fill(store, 4)
    bad = "i2"
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bundle = json.loads(request.content)
        sizes.append(len(bundle["entry"]))
        if any(e["resource"]["id"] == bad for e in bundle["entry"]):
            return httpx.Response(
                422,
                json={
                    "resourceType": "OperationOutcome",
                    "issue": [{"severity": "error", "code": "invalid", "diagnostics": "bad dose"}],
                },
            )
        return transaction_ok(request)

    await worker(store, handler).run_once()
    dead = store.items(State.DEAD)
    assert [i.resource_id for i in dead] == [bad]
    assert dead[0].outcome is not None
    assert dead[0].outcome["issue"][0]["diagnostics"] == "bad dose"
    assert states(store) == {State.DELIVERED: 11, State.DEAD: 1}
    assert sizes[0] == 12


async def test_batch_entries_are_judged_one_by_one() -> None:
    store = MemoryStore()
    # Three resources that do not refer to each other: one batch holds them all.
    unrelated = [patient("p0"), immunization("i1", "p9"), provenance("v2", "Patient/p8")]
    store.enqueue(
        [NewItem("ehr", r["resourceType"], r["id"], "g", orjson.dumps(r)) for r in unrelated], T0
    )

    def handler(request: httpx.Request) -> httpx.Response:
        bundle = json.loads(request.content)
        assert bundle["type"] == "batch"
        statuses = ["201 Created", "400 Bad Request", "503 Service Unavailable"]
        entries = [
            {
                "response": {
                    "status": s,
                    "location": "Patient/x/_history/1" if s.startswith("2") else None,
                }
            }
            for s in statuses[: len(bundle["entry"])]
        ]
        return httpx.Response(
            200, json={"resourceType": "Bundle", "type": "batch-response", "entry": entries}
        )

    await worker(store, handler, mode="batch").run_once()
    by_resource = {i.resource_id: i.state for i in store.items()}
    assert by_resource == {"p0": State.DELIVERED, "i1": State.DEAD, "v2": State.RETRY_WAIT}


@pytest.mark.parametrize("mode", ["batch", "single"])
async def test_batch_and_single_send_referenced_resources_first(mode: str) -> None:
    # Batch entries cannot refer to each other's urn:uuid: the Patient goes first, and the
    # Immunization and the Provenance refer to it by the id the server gave it.
    store = MemoryStore()
    fill(store, 1)
    sent: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        resources = [e["resource"] for e in body["entry"]] if mode == "batch" else [body]
        sent.extend(resources)
        entries = [
            {"response": {"status": "201 Created",
                          "location": f"{r['resourceType']}/srv-{r['id']}/_history/1"}}
            for r in resources
        ]  # fmt: skip
        if mode == "single":
            return httpx.Response(201, headers={"Location": entries[0]["response"]["location"]})
        return httpx.Response(
            200, json={"resourceType": "Bundle", "type": "batch-response", "entry": entries}
        )

    await worker(store, handler, mode=mode).run_once()
    assert [r["id"] for r in sent] == ["p0", "i0", "v0"]
    assert sent[1]["patient"]["reference"] == "Patient/srv-p0"
    assert [t["reference"] for t in sent[2]["target"]] == ["Patient/srv-p0", "Immunization/srv-i0"]
    assert states(store) == {State.DELIVERED: 3}


async def test_batch_holds_back_what_refers_to_an_undelivered_resource() -> None:
    store = MemoryStore()
    fill(store, 1)
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.extend(e["resource"]["id"] for e in json.loads(request.content)["entry"])
        entry = {"response": {"status": "503 Service Unavailable"}}
        return httpx.Response(
            200, json={"resourceType": "Bundle", "type": "batch-response", "entry": [entry]}
        )

    await worker(store, handler, mode="batch").run_once()
    assert sent == ["p0"]  # not the Immunization and Provenance that point at it
    assert states(store) == {State.RETRY_WAIT: 3}


async def test_single_mode_uses_conditional_create_headers() -> None:
    store = MemoryStore()
    fill(store, 1)
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        rid = json.loads(request.content)["id"]
        return httpx.Response(201, headers={"Location": f"{BASE}/X/{rid}/_history/1"}, json={})

    await worker(store, handler, mode="single").run_once()
    assert requests[0].method == "POST"
    assert (
        requests[0].headers["If-None-Exist"].startswith("identifier=urn:oid:2.16.578.1.12.4.1.4.1|")
    )
    assert requests[1].method == "PUT"
    assert requests[1].url.path.endswith("/Immunization/i0")
    assert states(store) == {State.DELIVERED: 3}


async def test_permanent_4xx_goes_to_the_dead_letter_queue_and_replays() -> None:
    store = MemoryStore()
    fill(store, 1)
    await worker(
        store,
        lambda _: httpx.Response(
            400,
            json={
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "invalid"}],
            },
        ),
        mode="single",
    ).run_once()
    assert states(store) == {State.DEAD: 3}
    assert store.replay(None, T0) == 3
    await worker(store, lambda r: httpx.Response(201, json={"id": "x"}), mode="single").run_once()
    assert states(store) == {State.DELIVERED: 3}


async def test_gives_up_after_max_attempts() -> None:
    store = MemoryStore()
    fill(store, 1)
    clock = Clock()
    w = worker(store, lambda _: httpx.Response(503), clock, max_attempts=2, breaker_threshold=100)
    await w.run_once()
    clock.now += timedelta(hours=1)
    await w.run_once()
    assert states(store) == {State.DEAD: 3}
    assert "gave up after 2 attempts" in (store.items(State.DEAD)[0].last_error or "")


async def test_circuit_breaker_stops_hammering_a_dead_server() -> None:
    store = MemoryStore()
    fill(store, 10)
    calls: list[int] = []
    clock = Clock()

    def down(_: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(503)

    w = worker(store, down, clock, batch_size=3, breaker_threshold=2)
    for _ in range(6):
        clock.now += timedelta(hours=1)
        await w.run_once()
    assert len(calls) == 2, "the breaker opened after two failed rounds"


async def test_a_401_refreshes_the_token_once(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MPOX_TEST_TOKEN", "first")
    store = MemoryStore()
    fill(store, 1)
    tokens: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        tokens.append(request.headers.get("Authorization", ""))
        if len(tokens) == 1:
            monkeypatch.setenv("MPOX_TEST_TOKEN", "second")
            return httpx.Response(401)
        return transaction_ok(request)

    await worker(store, handler, auth={"type": "bearer", "token_env": "MPOX_TEST_TOKEN"}).run_once()
    assert tokens == ["Bearer first", "Bearer second"]
    assert states(store) == {State.DELIVERED: 3}


async def test_destination_routing_by_resource_type() -> None:
    from mpox_adapter.mapping.engine import Mapped
    from mpox_adapter.pipeline.enqueue import outbox_items

    result = Mapped("f.csv", 2, "k", resources=[(r, None) for r in record(0)])
    destinations = {
        "registry": DestinationSettings(
            base_url="https://registry.example/fhir", resource_types=("Patient", "Immunization")
        ),
        "ehr": DestinationSettings(base_url="https://ehr.example/fhir"),
    }
    items = outbox_items(result, destinations)
    assert sorted((i.destination, i.resource_type) for i in items) == [
        ("ehr", "Immunization"),
        ("ehr", "Patient"),
        ("ehr", "Provenance"),
        ("registry", "Immunization"),
        ("registry", "Patient"),
    ]
    # Every record about a person travels with that person's Patient.
    assert {i.group_key for i in items} == {"p0"}


async def test_metadata_check_reports_mismatches() -> None:
    statement = {
        "resourceType": "CapabilityStatement",
        "fhirVersion": "4.3.0",
        "rest": [{"mode": "server", "interaction": [{"code": "batch"}], "resource": []}],
    }
    destination = Destination(
        "ehr",
        DestinationSettings(base_url=BASE, resource_types=("Patient",)),
        httpx.MockTransport(lambda _: httpx.Response(200, json=statement)),
    )
    problems = await destination.check_metadata()
    assert any("4.3.0" in p for p in problems)
    assert any("transaction" in p for p in problems)
    assert any("create for Patient" in p for p in problems)
