"""Delivery status over HTTP: outbox items, their receipts, and replaying dead letters."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from mpox_adapter.outbox.model import Item, State
from mpox_adapter.outbox.store import Store

router = APIRouter()


def _store(request: Request) -> Store:
    store: Store | None = request.app.state.runtime.outbox
    if store is None:
        raise HTTPException(503, "the outbox store is not open; see /readyz")
    return store


@router.get("/deliveries")
async def list_deliveries(
    request: Request,
    status: Annotated[State | None, Query()] = None,
    destination: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    store = _store(request)
    items = await asyncio.to_thread(store.items, status, destination, limit, after)
    counts = await asyncio.to_thread(store.counts)
    return {
        "items": [item.summary() for item in items],
        "next": f"/deliveries?after={items[-1].id}&limit={limit}" if len(items) == limit else None,
        "counts": [
            {"destination": d, "state": str(s), "count": n} for (d, s), n in sorted(counts.items())
        ],
    }


@router.get("/deliveries/{item_id}")
async def get_delivery(request: Request, item_id: int) -> dict[str, Any]:
    item = await asyncio.to_thread(_store(request).get, item_id)
    if item is None:
        raise HTTPException(404, f"delivery {item_id} is not known")
    detail = item.summary()
    detail["outcome"] = item.outcome
    if item.state is State.DELIVERED:
        detail["auditEvent"] = audit_event(item)
    return detail


@router.post("/deliveries/dlq/{item_id}/replay")
async def replay(request: Request, item_id: int) -> dict[str, Any]:
    store = _store(request)
    item = await asyncio.to_thread(store.get, item_id)
    if item is None:
        raise HTTPException(404, f"delivery {item_id} is not known")
    if item.state is not State.DEAD:
        raise HTTPException(409, f"delivery {item_id} is {item.state}, not dead")
    await asyncio.to_thread(store.replay, item_id, datetime.now(UTC))
    return {"id": item_id, "state": str(State.PENDING)}


def audit_event(item: Item) -> dict[str, Any]:
    """The delivery as an AuditEvent (a record of what was sent where, not stored twice)."""
    receipt = item.receipt or {}
    created = receipt.get("status") == 201
    return {
        "resourceType": "AuditEvent",
        "type": {
            "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
            "code": "rest",
            "display": "RESTful Operation",
        },
        "subtype": [{
            "system": "http://hl7.org/fhir/restful-interaction",
            "code": "create" if created else "update",
        }],
        "action": "C" if created else "U",
        "recorded": item.updated.isoformat(),
        "outcome": "0",
        "agent": [{"who": {"display": "mpox-adapter delivery worker"}, "requestor": True}],
        "source": {"observer": {"display": "mpox-adapter"}},
        "entity": [{
            "what": {"reference": receipt.get("location")
                     or f"{item.resource_type}/{receipt.get('id', item.resource_id)}"},
            "detail": [{"type": "destination", "valueString": item.destination}],
        }],
    }  # fmt: skip
