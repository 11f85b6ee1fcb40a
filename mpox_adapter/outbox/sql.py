"""What the SQLite and PostgreSQL stores share: the store methods and the lease algorithm.

SQL (in `mpox_adapter.outbox.queries`) uses ``?`` placeholders; the PostgreSQL store turns them
into ``%s``. A dialect supplies the connection, transactions, value conversions and the bulk
enqueue statements.

Nothing reads the backlog into Python: a lease walks the due index a chunk at a time and
stops when it has enough, `items` pages by id, `counts` and replay-all are one statement each.
So a million queued items cost no more memory than the page of them a call returns.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any, ClassVar

from mpox_adapter.outbox import queries as q
from mpox_adapter.outbox.model import (
    Item,
    NewItem,
    ResourceKey,
    State,
    plan_enqueue,
    receipt_server_id,
    utc,
)

ENQUEUE_LOCK = 1
MIGRATE_LOCK = 2

Row = tuple[Any, ...]
InsertRow = tuple[str, str, str, str, bytes, bytes]
"""destination, resource_type, resource_id, group_key, body, body digest."""


class SqlStore(ABC):
    """The store methods, over a dialect's hooks; one connection, used under a lock."""

    MIGRATIONS: ClassVar[Sequence[Sequence[str]]]
    """Migration n (from 1) is ``MIGRATIONS[n - 1]``: statements run in one transaction."""
    LOCK_ROWS: ClassVar[str] = ""
    """Appended to the query that reads a group's rows in a lease."""
    DESTINATION_COLUMN: ClassVar[str] = "destination"
    """How `items` names the destination column in its filter."""

    def __init__(self) -> None:
        self._lock = threading.RLock()

    # -- dialect hooks ----------------------------------------------------------------------

    @abstractmethod
    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    @abstractmethod
    def _write(self, sql: str, params: Sequence[Any] = (), *, durable: bool = False) -> int:
        """Run one statement on its own (or inside the open transaction); rows changed."""

    @abstractmethod
    def _transaction(self, *, durable: bool) -> AbstractContextManager[None]:
        """A write transaction; `durable` ones are on disk when it ends."""

    @abstractmethod
    def _serialise(self, scope: int) -> None:
        """Inside a transaction: wait until no other transaction of `scope` runs."""

    @abstractmethod
    def _claim_group(self, destination: str, group_key: str) -> bool:
        """Inside a lease: False when another lease is taking this group right now."""

    @abstractmethod
    def _newest_live(self, keys: Sequence[ResourceKey]) -> dict[ResourceKey, bytes]:
        """Body digest of the newest live item of each key that has one."""

    @abstractmethod
    def _insert(self, rows: Sequence[InsertRow], now: datetime) -> None:
        """Add PENDING items, ids in the order of `rows`."""

    @abstractmethod
    def _guard(self) -> AbstractContextManager[None]:
        """Turn the driver's connection failures into `TransientError`."""

    @abstractmethod
    def _ts(self, moment: datetime) -> Any: ...

    @abstractmethod
    def _dt(self, value: Any) -> datetime: ...

    @abstractmethod
    def _json(self, value: dict[str, Any] | None) -> Any: ...

    @abstractmethod
    def _unjson(self, value: Any) -> dict[str, Any] | None: ...

    # -- the Store interface ----------------------------------------------------------------

    def migrate(self) -> None:
        with self._lock, self._guard(), self._transaction(durable=True):
            self._serialise(MIGRATE_LOCK)
            self._write(q.CREATE_SCHEMA_TABLE)
            done = {int(row[0]) for row in self._fetch(q.SCHEMA_VERSIONS)}
            for number, statements in enumerate(self.MIGRATIONS, start=1):
                if number in done:
                    continue
                for statement in statements:
                    self._write(statement)
                self._write(q.ADD_SCHEMA_VERSION, (number,))

    def enqueue(self, items: Sequence[NewItem], now: datetime) -> int:
        now = utc(now)
        if not items:
            return 0
        keys = list(dict.fromkeys(item.key for item in items))
        with self._lock, self._guard(), self._transaction(durable=True):
            self._serialise(ENQUEUE_LOCK)
            newest: dict[ResourceKey, bytes] = {}
            for start in range(0, len(keys), 500):
                newest.update(self._newest_live(keys[start : start + 500]))
            added = plan_enqueue(items, newest)
            rows = [
                (i.destination, i.resource_type, i.resource_id, i.group_key, i.body, digest)
                for i, digest in added
            ]
            for start in range(0, len(rows), 500):
                self._insert(rows[start : start + 500], now)
        return len(rows)

    def lease(
        self, destination: str, owner: str, limit: int, lease_seconds: float, now: datetime
    ) -> list[Item]:
        now = utc(now)
        if limit <= 0:
            return []
        expires = self._ts(now + timedelta(seconds=lease_seconds))
        with self._lock, self._guard(), self._transaction(durable=False):
            chosen = self._choose(destination, limit, now)
            for ids in q.chunks(chosen):
                self._write(q.take(len(ids)), (owner, expires, self._ts(now), *ids))
            found: dict[int, Item] = {}
            for ids in q.chunks(chosen):
                rows = self._fetch(q.items_by_id(len(ids)), ids)
                found.update((row[0], self._item(row)) for row in rows)
        return [found[item_id] for item_id in chosen]

    def _choose(self, destination: str, limit: int, now: datetime) -> list[int]:
        """Ids of the due items of whole groups, oldest group first, until `limit` is reached."""
        chunk = max(64, 2 * limit)
        chosen: list[int] = []
        seen: set[str] = set()
        cursor: tuple[Any, int] | None = None
        while len(chosen) < limit:
            candidates = self._candidates(destination, now, cursor, chunk)
            for item_id, group_key, not_before in candidates:
                cursor = (not_before, item_id)
                if group_key in seen:
                    continue
                seen.add(group_key)
                chosen.extend(self._due_in_group(destination, group_key, now))
                if len(chosen) >= limit:
                    break
            if len(candidates) < chunk:
                break
        return chosen

    def _candidates(
        self, destination: str, now: datetime, cursor: tuple[Any, int] | None, chunk: int
    ) -> list[Row]:
        """Next waiting items by (not_before, id): pending, retry-wait due, expired leases."""
        after: tuple[Any, ...] = cursor or ()
        stamp = self._ts(now)
        params = (
            *(destination, *after, chunk),
            *(destination, stamp, *after, chunk),
            *(destination, stamp, *after, chunk),
            chunk,
        )
        return self._fetch(q.candidates(after=cursor is not None), params)

    def _due_in_group(self, destination: str, group_key: str, now: datetime) -> list[int]:
        if not self._claim_group(destination, group_key):
            return []
        due: list[int] = []
        for item_id, state, not_before, lease_expires, blocked in self._fetch(
            q.GROUP_ROWS + self.LOCK_ROWS, (destination, group_key)
        ):
            if state == State.LEASED and self._dt(lease_expires) >= now:
                return []  # someone is sending part of this group: leave all of it to them
            if blocked:
                continue  # an older version of this resource goes first
            if state == State.RETRY_WAIT and self._dt(not_before) > now:
                # Part of the group waits to be retried (perhaps the Patient the others
                # refer to): the group goes together, when all of it is due.
                return []
            due.append(item_id)
        return due

    def delivered(self, item_id: int, owner: str, receipt: dict[str, Any], now: datetime) -> bool:
        return self._mark(q.DELIVERED, (self._json(receipt),), item_id, owner, now)

    def retry(
        self,
        item_id: int,
        owner: str,
        not_before: datetime,
        error: str,
        outcome: dict[str, Any] | None,
        now: datetime,
    ) -> bool:
        params = (self._ts(utc(not_before)), error, self._json(outcome))
        return self._mark(q.RETRY, params, item_id, owner, now)

    def dead(
        self, item_id: int, owner: str, error: str, outcome: dict[str, Any] | None, now: datetime
    ) -> bool:
        return self._mark(q.DEAD, (error, self._json(outcome)), item_id, owner, now)

    def _mark(
        self, sql: str, params: tuple[Any, ...], item_id: int, owner: str, now: datetime
    ) -> bool:
        with self._lock, self._guard():
            return self._write(sql, (*params, self._ts(utc(now)), item_id, owner)) == 1

    def release(self, item_ids: Sequence[int], owner: str, now: datetime) -> None:
        stamp = self._ts(utc(now))
        with self._lock, self._guard(), self._transaction(durable=False):
            for ids in q.chunks(item_ids):
                self._write(q.release(len(ids)), (stamp, *ids, owner))

    def replay(self, item_id: int | None, now: datetime) -> int:
        stamp = self._ts(utc(now))
        params = (stamp, stamp) if item_id is None else (stamp, stamp, item_id)
        with self._lock, self._guard():
            return self._write(q.replay(item_id is not None), params, durable=True)

    def get(self, item_id: int) -> Item | None:
        with self._lock, self._guard():
            rows = self._fetch(q.items_by_id(1), (item_id,))
        return self._item(rows[0]) if rows else None

    def items(
        self,
        state: State | None = None,
        destination: str | None = None,
        limit: int = 100,
        after_id: int = 0,
    ) -> list[Item]:
        params = (
            after_id,
            *(() if state is None else (state.value,)),
            *(() if destination is None else (destination,)),
            max(limit, 0),
        )
        with self._lock, self._guard():
            sql = q.items(state is not None, destination is not None, self.DESTINATION_COLUMN)
            rows = self._fetch(sql, params)
        return [self._item(row) for row in rows]

    def counts(self) -> dict[tuple[str, State], int]:
        with self._lock, self._guard():
            rows = self._fetch(q.COUNTS)
        return {(destination, State(state)): int(n) for destination, state, n in rows}

    def server_id(self, destination: str, resource_type: str, resource_id: str) -> str | None:
        with self._lock, self._guard():
            rows = self._fetch(q.RECEIPTS, (destination, resource_type, resource_id))
        for (receipt,) in rows:
            found = receipt_server_id(self._unjson(receipt))
            if found:
                return found
        return None

    def _item(self, row: Row) -> Item:
        lease_expires = row[10]
        return Item(
            id=int(row[0]),
            destination=row[1],
            resource_type=row[2],
            resource_id=row[3],
            group_key=row[4],
            body=bytes(row[5]),
            state=State(row[6]),
            attempts=int(row[7]),
            not_before=self._dt(row[8]),
            lease_owner=row[9],
            lease_expires=None if lease_expires is None else self._dt(lease_expires),
            last_error=row[11],
            outcome=self._unjson(row[12]),
            receipt=self._unjson(row[13]),
            created=self._dt(row[14]),
            updated=self._dt(row[15]),
        )
