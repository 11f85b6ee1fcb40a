"""What the outbox holds: items, their states, and the rules every store applies alike.

An item is one FHIR resource for one destination. Its life::

    PENDING ──lease──> LEASED ──delivered──> DELIVERED
       ^                 │ ├──retry──> RETRY_WAIT ──(not_before passed)──> lease again
       │                 │ └──dead───> DEAD ──replay──> PENDING
       └────release──────┘   (an expired lease is leased again by anyone)

Two ordering rules hold in every store:

* **One version of a resource at a time.** Only the oldest *live* item (PENDING, RETRY_WAIT or
  LEASED) of a (destination, resource_type, resource_id) can be leased; a newer version waits
  until the older one is delivered or dead, so a destination never sees an update overtaken
  by the version before it.
* **Whole groups.** A lease takes every leasable item of a ``group_key`` at once, and skips a
  group while any of its items is under someone else's unexpired lease.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

ResourceKey = tuple[str, str, str]
"""(destination, resource_type, resource_id)."""


class State(StrEnum):
    PENDING = "pending"
    LEASED = "leased"
    DELIVERED = "delivered"
    RETRY_WAIT = "retry-wait"
    DEAD = "dead"


LIVE_STATES = (State.PENDING, State.RETRY_WAIT, State.LEASED)
"""States of an item that still has to be delivered (or is being delivered)."""


@dataclass(frozen=True, slots=True)
class NewItem:
    destination: str
    resource_type: str
    resource_id: str
    """The resource's deterministic id."""
    group_key: str
    """Keeps the resources of one source record together (e.g. the Provenance id)."""
    body: bytes
    """The resource JSON."""

    @property
    def key(self) -> ResourceKey:
        return (self.destination, self.resource_type, self.resource_id)


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    destination: str
    resource_type: str
    resource_id: str
    group_key: str
    body: bytes
    state: State
    attempts: int
    not_before: datetime
    lease_owner: str | None
    lease_expires: datetime | None
    last_error: str | None
    outcome: dict[str, Any] | None
    """The server's OperationOutcome for the last failure, if it sent one."""
    receipt: dict[str, Any] | None
    """``{"id", "version", "location", "status"}`` from the server, once delivered."""
    created: datetime
    updated: datetime

    @property
    def key(self) -> ResourceKey:
        return (self.destination, self.resource_type, self.resource_id)

    def summary(self) -> dict[str, Any]:
        """The item as the API and `deliveries --json` show it: never the resource itself."""
        return {
            "id": self.id,
            "destination": self.destination,
            "resource": f"{self.resource_type}/{self.resource_id}",
            "state": str(self.state),
            "attempts": self.attempts,
            "notBefore": self.not_before.isoformat(),
            "lastError": self.last_error,
            "receipt": self.receipt,
            "created": self.created.isoformat(),
            "updated": self.updated.isoformat(),
        }


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is refused, since it names no instant."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"outbox times must carry a time zone, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def body_digest(body: bytes) -> bytes:
    """What enqueue compares to decide that a body is the same as one already queued."""
    return hashlib.sha256(body).digest()


def plan_enqueue(
    items: Iterable[NewItem], newest_live: Mapping[ResourceKey, bytes]
) -> list[tuple[NewItem, bytes]]:
    """The items to add, in order, each with its digest.

    An item is skipped when the newest live item of its key (already stored, or added earlier
    in this batch) has the same body; any other body is added, to be delivered after the
    older versions. `newest_live` maps a key to the digest of its newest live stored item.
    """
    newest = dict(newest_live)
    added: list[tuple[NewItem, bytes]] = []
    for item in items:
        digest = body_digest(item.body)
        if newest.get(item.key) == digest:
            continue
        newest[item.key] = digest
        added.append((item, digest))
    return added


def receipt_server_id(receipt: Mapping[str, Any] | None) -> str | None:
    """The id the server gave the resource, from a delivery receipt."""
    value = receipt.get("id") if receipt else None
    return value if isinstance(value, str) and value else None
