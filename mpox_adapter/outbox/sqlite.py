"""The outbox in one SQLite file, shared by any number of processes on one host.

WAL mode, so that readers never wait for writers; write transactions start with
``BEGIN IMMEDIATE`` and so run one at a time across processes, waiting up to
`busy_timeout` seconds for each other. Do not put the file on a network file system.

Durability: `enqueue`, `migrate` and `replay` commit with ``synchronous=FULL`` (the WAL is
fsynced before they return). Leases and delivery marks commit with ``synchronous=NORMAL``:
they survive a crash of the process, and a power cut can only undo the last few of them,
which sends those items again (delivery is at least once anyway); the next FULL commit makes
them durable too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from mpox_adapter.errors import TransientError
from mpox_adapter.outbox.model import ResourceKey, utc
from mpox_adapter.outbox.sql import InsertRow, Row, SqlStore

_STATES = "'pending', 'leased', 'delivered', 'retry-wait', 'dead'"
# SQLITE_BUSY, _LOCKED, _IOERR, _FULL, _CANTOPEN, _PROTOCOL: the file, not the query, failed.
_TRANSIENT_CODES = frozenset({5, 6, 10, 13, 14, 15})


class SqliteStore(SqlStore):
    MIGRATIONS = (
        (
            "CREATE TABLE outbox_items ("
            " id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " destination TEXT NOT NULL,"
            " resource_type TEXT NOT NULL,"
            " resource_id TEXT NOT NULL,"
            " group_key TEXT NOT NULL,"
            " body BLOB NOT NULL,"
            " body_hash BLOB NOT NULL,"
            f" state TEXT NOT NULL CHECK (state IN ({_STATES})),"
            " attempts INTEGER NOT NULL DEFAULT 0,"
            " not_before TEXT NOT NULL,"
            " lease_owner TEXT,"
            " lease_expires TEXT,"
            " last_error TEXT,"
            " outcome TEXT,"
            " receipt TEXT,"
            " created TEXT NOT NULL,"
            " updated TEXT NOT NULL)",
            # The rowid (= id) ends every index, so this one also serves ORDER BY not_before, id.
            "CREATE INDEX outbox_items_due ON outbox_items (destination, state, not_before)",
            "CREATE INDEX outbox_items_resource"
            " ON outbox_items (destination, resource_type, resource_id)",
            "CREATE INDEX outbox_items_group ON outbox_items (destination, group_key)",
            "CREATE INDEX outbox_items_state ON outbox_items (state, id)",
        ),
    )
    DESTINATION_COLUMN = "+destination"

    def __init__(self, path: str | Path, busy_timeout: float = 30.0) -> None:
        super().__init__()
        self._path = str(path)
        try:
            if self._path != ":memory:":
                Path(self._path).parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                self._path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except (sqlite3.Error, OSError) as exc:
            raise TransientError(f"SQLite store {self._path} cannot be opened: {exc}") from exc
        try:
            with self._guard():
                self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.execute("PRAGMA synchronous = FULL")
        except BaseException:
            self._conn.close()
            raise
        self._durable = True

    @property
    def path(self) -> str:
        return self._path

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _sync(self, durable: bool) -> None:
        if durable != self._durable and not self._conn.in_transaction:
            self._conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
            self._durable = durable

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._conn.execute(sql, params).fetchall()

    def _write(self, sql: str, params: Sequence[Any] = (), *, durable: bool = False) -> int:
        self._sync(durable)
        return self._conn.execute(sql, params).rowcount

    @contextmanager
    def _transaction(self, *, durable: bool) -> Iterator[None]:
        self._sync(durable)
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    def _serialise(self, scope: int) -> None:
        """BEGIN IMMEDIATE already runs write transactions one at a time."""

    def _claim_group(self, destination: str, group_key: str) -> bool:
        return True

    def _newest_live(self, keys: Sequence[ResourceKey]) -> dict[ResourceKey, bytes]:
        sql = (
            "SELECT body_hash FROM outbox_items WHERE destination = ? AND resource_type = ?"
            " AND resource_id = ? AND state IN ('pending', 'retry-wait', 'leased')"
            " ORDER BY id DESC LIMIT 1"
        )
        found: dict[ResourceKey, bytes] = {}
        for key in keys:
            row = self._conn.execute(sql, key).fetchone()
            if row is not None:
                found[key] = bytes(row[0])
        return found

    def _insert(self, rows: Sequence[InsertRow], now: datetime) -> None:
        stamp = self._ts(now)
        self._conn.executemany(
            "INSERT INTO outbox_items (destination, resource_type, resource_id, group_key, body,"
            " body_hash, state, attempts, not_before, created, updated)"
            " VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)",
            [(*row, stamp, stamp, stamp) for row in rows],
        )

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF not in _TRANSIENT_CODES:
                raise
            raise TransientError(f"SQLite store {self._path}: {exc}") from exc

    def _ts(self, moment: datetime) -> str:
        # Fixed width (microseconds, +00:00), so that text order is time order.
        return utc(moment).isoformat(timespec="microseconds")

    def _dt(self, value: Any) -> datetime:
        return datetime.fromisoformat(value)

    def _json(self, value: dict[str, Any] | None) -> str | None:
        return None if value is None else orjson.dumps(value).decode()

    def _unjson(self, value: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        loaded: dict[str, Any] = orjson.loads(value)
        return loaded
