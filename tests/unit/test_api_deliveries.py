"""`/deliveries`: listing, detail with receipt and AuditEvent, replay of dead letters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from mpox_adapter.api.app import create_app
from mpox_adapter.fhir.definitions import Definitions
from mpox_adapter.outbox.model import NewItem, State

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 3, 1, tzinfo=UTC)


async def test_list_detail_and_replay(make_settings: Any, mpox_definitions: Definitions) -> None:
    app = create_app(make_settings(), definitions=mpox_definitions)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        store = app.state.runtime.outbox
        store.enqueue(
            [
                NewItem("ehr", "Patient", f"p{n}", f"g{n}", b'{"resourceType":"Patient"}')
                for n in range(3)
            ],
            NOW,
        )
        leased = store.lease("ehr", "w1", 10, 60, NOW)
        store.delivered(
            leased[0].id,
            "w1",
            {"status": 201, "id": "srv-1", "location": "Patient/srv-1/_history/1"},
            NOW,
        )
        store.dead(
            leased[1].id,
            "w1",
            "entry rejected with HTTP 422",
            {"resourceType": "OperationOutcome", "issue": []},
            NOW,
        )

        listing = (await client.get("/deliveries")).json()
        assert [i["state"] for i in listing["items"]] == ["delivered", "dead", "leased"]
        assert {c["state"] for c in listing["counts"]} >= {"delivered", "dead", "leased"}
        dead_only = (await client.get("/deliveries", params={"status": "dead"})).json()
        assert [i["id"] for i in dead_only["items"]] == [leased[1].id]

        detail = (await client.get(f"/deliveries/{leased[0].id}")).json()
        assert detail["receipt"]["id"] == "srv-1"
        assert detail["auditEvent"]["resourceType"] == "AuditEvent"
        assert detail["auditEvent"]["entity"][0]["what"]["reference"] == "Patient/srv-1/_history/1"

        assert (await client.post(f"/deliveries/dlq/{leased[0].id}/replay")).status_code == 409
        replayed = await client.post(f"/deliveries/dlq/{leased[1].id}/replay")
        assert replayed.status_code == 200
        assert store.get(leased[1].id).state is State.PENDING

        missing = await client.get("/deliveries/999999")
        assert missing.status_code == 404
        assert missing.json()["resourceType"] == "OperationOutcome"
        bad = await client.get("/deliveries", params={"status": "lost"})
        assert bad.status_code == 400


async def test_metrics_show_queue_depth(make_settings: Any, mpox_definitions: Definitions) -> None:
    settings = make_settings(
        destinations={"ehr": {"base_url": "http://127.0.0.1:9/fhir"}},
        delivery={"run_in_server": False},
    )
    app = create_app(settings, definitions=mpox_definitions)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        app.state.runtime.outbox.enqueue([NewItem("ehr", "Patient", "p", "g", b"{}")], NOW)
        text = (await client.get("/metrics")).text
    assert 'mpox_outbox_items{destination="ehr",state="pending"} 1.0' in text
