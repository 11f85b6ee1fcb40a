"""The outbox store interface, and `open_store` to get one from a store URL.

Three implementations: `MemoryStore` (tests), `SqliteStore` (one host, any number of
processes on one file) and `PostgresStore` (any number of hosts sharing one database).

Every method takes the current time as `now` instead of reading a clock, so that callers,
and tests, decide what time it is. Times must carry a time zone (UTC is stored).

Delivery is at least once: a worker that dies after sending but before `delivered` leaves
its items to come back when the lease expires, and another worker sends them again. Sending
must therefore be idempotent (PUT with the resource's deterministic id).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from mpox_adapter.outbox.location import StoreLocation
from mpox_adapter.outbox.model import Item, NewItem, State

__all__ = ["Store", "open_store"]


class Store(Protocol):
    """The durable outbox: items go pending -> leased -> delivered | retry-wait | dead.

    One interface, three stores (memory for tests, SQLite, PostgreSQL); `open_store` picks
    one by URL. Every time is passed in, so tests and replays control the clock."""

    def migrate(self) -> None:
        """Create or upgrade the schema; safe to run again and from several processes."""

    def enqueue(self, items: Sequence[NewItem], now: datetime) -> int:
        """Add `items` in one transaction, durable when this returns; the number added.

        An item whose body equals that of the newest PENDING/RETRY_WAIT/LEASED item of the
        same (destination, resource_type, resource_id) is not added again; a changed body is
        added and delivered after the older version.
        """

    def lease(
        self, destination: str, owner: str, limit: int, lease_seconds: float, now: datetime
    ) -> list[Item]:
        """Take due items of `destination` for `owner` until ``now + lease_seconds``.

        Due: PENDING, RETRY_WAIT with ``not_before <= now``, or LEASED with an expired lease;
        and the oldest live version of its resource. Whole groups are taken, oldest first
        (by ``not_before``, then id), until at least `limit` items or nothing is left; so the
        result may hold more than `limit` items. Items of one group are adjacent, in id
        order. Concurrent callers never get the same item.
        """

    def delivered(self, item_id: int, owner: str, receipt: dict[str, Any], now: datetime) -> bool:
        """Mark delivered; False (and nothing changed) when `owner` no longer holds the lease."""

    def retry(
        self,
        item_id: int,
        owner: str,
        not_before: datetime,
        error: str,
        outcome: dict[str, Any] | None,
        now: datetime,
    ) -> bool:
        """Count a failed attempt and wait until `not_before`; False when the lease was lost."""

    def dead(
        self, item_id: int, owner: str, error: str, outcome: dict[str, Any] | None, now: datetime
    ) -> bool:
        """Count a failed attempt and park the item; False when the lease was lost."""

    def release(self, item_ids: Sequence[int], owner: str, now: datetime) -> None:
        """Give back items `owner` leased, unsent (shutdown): they are due again at once."""

    def replay(self, item_id: int | None, now: datetime) -> int:
        """DEAD -> PENDING with attempts reset, for one item or all; how many changed.

        A dead item is not replayed when a newer version of its resource is delivered or
        still live: sending it would put the older content back.
        """

    def get(self, item_id: int) -> Item | None: ...

    def items(
        self,
        state: State | None = None,
        destination: str | None = None,
        limit: int = 100,
        after_id: int = 0,
    ) -> list[Item]:
        """Items by ascending id after `after_id` (keyset paging: pass the last id seen)."""

    def counts(self) -> dict[tuple[str, State], int]:
        """Number of items per (destination, state); pairs with no items are absent."""

    def server_id(self, destination: str, resource_type: str, resource_id: str) -> str | None:
        """The id the destination gave this resource, from its latest delivered receipt."""

    def close(self) -> None: ...


def open_store(url: str) -> Store:
    """The store at `url` (``sqlite:///FILE``, ``postgresql://...``), migrated and ready."""
    location = StoreLocation.parse(url)
    store: Store
    if location.kind == "sqlite":
        from mpox_adapter.outbox.sqlite import SqliteStore

        store = SqliteStore(location.target)
    else:
        from mpox_adapter.outbox.postgres import PostgresStore

        store = PostgresStore(location.target)
    try:
        store.migrate()
    except BaseException:
        store.close()
        raise
    return store
