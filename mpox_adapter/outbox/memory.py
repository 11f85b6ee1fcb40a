"""An outbox in a dict, for unit tests: the same rules as the SQL stores, nothing durable."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from mpox_adapter.outbox.model import (
    LIVE_STATES,
    Item,
    NewItem,
    ResourceKey,
    State,
    plan_enqueue,
    receipt_server_id,
    utc,
)


class MemoryStore:
    """Thread-safe; every operation scans all items, which is fine at test sizes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[int, Item] = {}
        self._digests: dict[int, bytes] = {}
        self._next_id = 1

    def migrate(self) -> None:
        """Nothing to create."""

    def enqueue(self, items: Sequence[NewItem], now: datetime) -> int:
        now = utc(now)
        with self._lock:
            newest: dict[ResourceKey, bytes] = {}
            for stored in sorted(self._items.values(), key=lambda i: i.id):
                if stored.state in LIVE_STATES:
                    newest[stored.key] = self._digests[stored.id]
            added = plan_enqueue(items, newest)
            for new, digest in added:
                item_id = self._next_id
                self._next_id += 1
                self._items[item_id] = Item(
                    id=item_id,
                    destination=new.destination,
                    resource_type=new.resource_type,
                    resource_id=new.resource_id,
                    group_key=new.group_key,
                    body=new.body,
                    state=State.PENDING,
                    attempts=0,
                    not_before=now,
                    lease_owner=None,
                    lease_expires=None,
                    last_error=None,
                    outcome=None,
                    receipt=None,
                    created=now,
                    updated=now,
                )
                self._digests[item_id] = digest
            return len(added)

    def lease(
        self, destination: str, owner: str, limit: int, lease_seconds: float, now: datetime
    ) -> list[Item]:
        now = utc(now)
        expires = now + timedelta(seconds=lease_seconds)
        with self._lock:
            mine = sorted(
                (i for i in self._items.values() if i.destination == destination),
                key=lambda i: i.id,
            )
            live = [i for i in mine if i.state in LIVE_STATES]
            heads: dict[ResourceKey, int] = {}
            for item in live:
                heads.setdefault(item.key, item.id)
            candidates = sorted(
                (i for i in live if _waiting(i, now)), key=lambda i: (i.not_before, i.id)
            )
            chosen: list[int] = []
            seen: set[str] = set()
            for candidate in candidates:
                if len(chosen) >= limit:
                    break
                if candidate.group_key in seen:
                    continue
                seen.add(candidate.group_key)
                group = [i for i in live if i.group_key == candidate.group_key]
                # Held by someone, or part of it waiting to be retried: the group goes together.
                if any(_held(i, now) or _backing_off(i, now) for i in group):
                    continue
                chosen.extend(i.id for i in group if heads[i.key] == i.id and _waiting(i, now))
            leased = []
            for item_id in chosen:
                item = replace(
                    self._items[item_id],
                    state=State.LEASED,
                    lease_owner=owner,
                    lease_expires=expires,
                    updated=now,
                )
                self._items[item_id] = item
                leased.append(item)
            return leased

    def delivered(self, item_id: int, owner: str, receipt: dict[str, Any], now: datetime) -> bool:
        return self._finish(item_id, owner, utc(now), state=State.DELIVERED, receipt=receipt)

    def retry(
        self,
        item_id: int,
        owner: str,
        not_before: datetime,
        error: str,
        outcome: dict[str, Any] | None,
        now: datetime,
    ) -> bool:
        return self._finish(
            item_id,
            owner,
            utc(now),
            state=State.RETRY_WAIT,
            failed=True,
            not_before=utc(not_before),
            last_error=error,
            outcome=outcome,
        )

    def dead(
        self, item_id: int, owner: str, error: str, outcome: dict[str, Any] | None, now: datetime
    ) -> bool:
        return self._finish(
            item_id,
            owner,
            utc(now),
            state=State.DEAD,
            failed=True,
            last_error=error,
            outcome=outcome,
        )

    def _finish(
        self, item_id: int, owner: str, now: datetime, *, failed: bool = False, **changes: Any
    ) -> bool:
        with self._lock:
            item = self._items.get(item_id)
            if item is None or item.state is not State.LEASED or item.lease_owner != owner:
                return False
            self._items[item_id] = replace(
                item,
                attempts=item.attempts + (1 if failed else 0),
                lease_owner=None,
                lease_expires=None,
                updated=now,
                **changes,
            )
            return True

    def release(self, item_ids: Sequence[int], owner: str, now: datetime) -> None:
        now = utc(now)
        with self._lock:
            for item_id in item_ids:
                item = self._items.get(item_id)
                if item is None or item.state is not State.LEASED or item.lease_owner != owner:
                    continue
                self._items[item_id] = replace(
                    item,
                    state=State.RETRY_WAIT if item.attempts else State.PENDING,
                    lease_owner=None,
                    lease_expires=None,
                    updated=now,
                )

    def replay(self, item_id: int | None, now: datetime) -> int:
        now = utc(now)
        with self._lock:
            replayed = 0
            for item in list(self._items.values()):
                if item.state is not State.DEAD or item_id not in (None, item.id):
                    continue
                if any(
                    other.key == item.key and other.id > item.id and other.state is not State.DEAD
                    for other in self._items.values()
                ):
                    continue
                self._items[item.id] = replace(
                    item, state=State.PENDING, attempts=0, not_before=now, updated=now
                )
                replayed += 1
            return replayed

    def get(self, item_id: int) -> Item | None:
        with self._lock:
            return self._items.get(item_id)

    def items(
        self,
        state: State | None = None,
        destination: str | None = None,
        limit: int = 100,
        after_id: int = 0,
    ) -> list[Item]:
        with self._lock:
            found = [
                item
                for item_id, item in sorted(self._items.items())
                if item_id > after_id
                and state in (None, item.state)
                and destination in (None, item.destination)
            ]
        return found[: max(limit, 0)]

    def counts(self) -> dict[tuple[str, State], int]:
        with self._lock:
            return dict(Counter((i.destination, i.state) for i in self._items.values()))

    def server_id(self, destination: str, resource_type: str, resource_id: str) -> str | None:
        key = (destination, resource_type, resource_id)
        with self._lock:
            delivered = sorted(
                (i for i in self._items.values() if i.key == key and i.state is State.DELIVERED),
                key=lambda i: (i.updated, i.id),
                reverse=True,
            )
        for item in delivered:
            found = receipt_server_id(item.receipt)
            if found:
                return found
        return None

    def close(self) -> None:
        """Nothing to release."""


def _waiting(item: Item, now: datetime) -> bool:
    """Up for leasing as far as its own state goes (ordering rules aside)."""
    if item.state is State.PENDING:
        return True
    if item.state is State.RETRY_WAIT:
        return item.not_before <= now
    return (
        item.state is State.LEASED and item.lease_expires is not None and item.lease_expires < now
    )


def _backing_off(item: Item, now: datetime) -> bool:
    return item.state is State.RETRY_WAIT and item.not_before > now


def _held(item: Item, now: datetime) -> bool:
    """Under an unexpired lease."""
    return (
        item.state is State.LEASED and item.lease_expires is not None and item.lease_expires >= now
    )
