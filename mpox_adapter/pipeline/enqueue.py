"""Accepted records into the outbox: one item per resource and destination that takes it.

The resources of one source record share a group key, so that they are leased and sent
together (a transaction can then keep their references to each other valid). Records about the
same person share it too: their Patient is queued only once, with the first of them, and the
later ones refer to it; were they apart, a later record could go out (on another worker, or
while the first waits to be retried) before the Patient has an id on the server, and point at
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime

import orjson

from mpox_adapter.delivery.routing import accepts
from mpox_adapter.mapping.engine import Mapped
from mpox_adapter.outbox.model import NewItem
from mpox_adapter.outbox.store import Store
from mpox_adapter.settings import DestinationSettings

BATCH = 500


def outbox_items(result: Mapped, destinations: Mapping[str, DestinationSettings]) -> list[NewItem]:
    by_type = {r["resourceType"]: r["id"] for r, _ in reversed(result.resources)}
    group = by_type.get("Patient") or by_type.get("Provenance") or result.key
    # Results from worker processes arrive already serialised, one line per resource.
    bodies = result.encoded.splitlines() if result.encoded is not None else None
    items = []
    for index, (stub, _) in enumerate(result.resources):
        body = bodies[index] if bodies is not None else orjson.dumps(stub)
        resource = orjson.loads(body) if bodies is not None else stub
        for name, settings in destinations.items():
            if accepts(settings, resource):
                items.append(NewItem(name, resource["resourceType"], resource["id"], group, body))
    return items


def enqueue(
    store: Store,
    results: Iterable[Mapped],
    destinations: Mapping[str, DestinationSettings],
    now: datetime,
) -> Iterator[Mapped]:
    """Store the accepted results' items in batches, passing every result on; an item is
    durable once the batch holding it has been committed."""
    pending: list[NewItem] = []
    for result in results:
        if not result.rejected:
            pending.extend(outbox_items(result, destinations))
            if len(pending) >= BATCH:
                store.enqueue(pending, now)
                pending = []
        yield result
    if pending:
        store.enqueue(pending, now)
