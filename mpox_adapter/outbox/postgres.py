"""The outbox in PostgreSQL, shared by delivery workers on any number of hosts.

Tables live in the connection's ``search_path`` schema (``?options=-csearch_path%3Dname`` in
the URL picks another one). One connection per store object, used under a lock; it is
opened again on the next call after it breaks.

Concurrency: a lease takes, per group, a transaction-scoped advisory lock
(``pg_try_advisory_xact_lock``; a group another worker is taking is skipped) and locks the
group's rows with ``FOR UPDATE SKIP LOCKED``, so two workers never lease the same item.
Enqueues and migrations run one at a time per schema (``pg_advisory_xact_lock``), so that ids
follow commit order and duplicate detection sees every earlier enqueue.

Durability: the session runs with ``synchronous_commit = off``; `enqueue`, `migrate` and
`replay` switch it on for their own transaction, so they are on disk when they return.
Leases and delivery marks may be lost in a server crash (the last few hundred milliseconds),
which only sends those items again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg
from psycopg.pq import TransactionStatus
from psycopg.types.json import Jsonb, set_json_loads

from mpox_adapter.errors import TransientError
from mpox_adapter.outbox.location import StoreLocation
from mpox_adapter.outbox.model import ResourceKey, utc
from mpox_adapter.outbox.sql import InsertRow, Row, SqlStore

_STATES = "'pending', 'leased', 'delivered', 'retry-wait', 'dead'"
_LOCK_SPACE = 0x4F420000  # "OB": first key of the outbox's two-key advisory locks
_SCHEMA = "coalesce(current_schema(), '')"


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class PostgresStore(SqlStore):
    MIGRATIONS = (
        (
            "CREATE TABLE outbox_items ("
            " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
            " destination text NOT NULL,"
            " resource_type text NOT NULL,"
            " resource_id text NOT NULL,"
            " group_key text NOT NULL,"
            " body bytea NOT NULL,"
            " body_hash bytea NOT NULL,"
            f" state text NOT NULL CHECK (state IN ({_STATES})),"
            " attempts integer NOT NULL DEFAULT 0,"
            " not_before timestamptz NOT NULL,"
            " lease_owner text,"
            " lease_expires timestamptz,"
            " last_error text,"
            " outcome jsonb,"
            " receipt jsonb,"
            " created timestamptz NOT NULL,"
            " updated timestamptz NOT NULL)",
            "CREATE INDEX outbox_items_due ON outbox_items (destination, state, not_before, id)",
            "CREATE INDEX outbox_items_resource"
            " ON outbox_items (destination, resource_type, resource_id, id)",
            "CREATE INDEX outbox_items_group ON outbox_items (destination, group_key)",
            "CREATE INDEX outbox_items_state ON outbox_items (state, id)",
        ),
    )
    LOCK_ROWS = " FOR UPDATE OF i SKIP LOCKED"

    def __init__(self, dsn: str, connect_timeout: float = 10.0) -> None:
        super().__init__()
        self._dsn = dsn
        self._connect_timeout = max(1, round(connect_timeout))
        self._name = StoreLocation("postgresql", dsn).redacted()
        self._conn = self._connect()

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        try:
            conn = psycopg.connect(
                self._dsn, autocommit=True, connect_timeout=self._connect_timeout
            )
        except psycopg.Error as exc:
            raise TransientError(
                f"PostgreSQL store {self._name} unavailable: {type(exc).__name__}"
            ) from exc
        try:
            set_json_loads(orjson.loads, conn)
            conn.execute("SET TIME ZONE 'UTC'")
            conn.execute("SET synchronous_commit TO off")
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._conn.execute(sql.replace("?", "%s"), params).fetchall()

    def _write(self, sql: str, params: Sequence[Any] = (), *, durable: bool = False) -> int:
        if durable and self._conn.info.transaction_status == TransactionStatus.IDLE:
            with self._transaction(durable=True):
                return self._write(sql, params)
        return self._conn.execute(sql.replace("?", "%s"), params).rowcount

    @contextmanager
    def _transaction(self, *, durable: bool) -> Iterator[None]:
        with self._conn.transaction():
            if durable:
                self._conn.execute("SET LOCAL synchronous_commit TO on")
            yield

    def _serialise(self, scope: int) -> None:
        self._fetch(f"SELECT pg_advisory_xact_lock(?, hashtext({_SCHEMA}))", (_LOCK_SPACE + scope,))

    def _claim_group(self, destination: str, group_key: str) -> bool:
        sql = (
            f"SELECT pg_try_advisory_xact_lock(hashtextextended({_SCHEMA} || chr(31) || ?"
            " || chr(31) || ?, 0))"
        )
        return bool(self._fetch(sql, (destination, group_key))[0][0])

    def _newest_live(self, keys: Sequence[ResourceKey]) -> dict[ResourceKey, bytes]:
        sql = (
            "SELECT DISTINCT ON (o.destination, o.resource_type, o.resource_id)"
            " o.destination, o.resource_type, o.resource_id, o.body_hash"
            " FROM unnest(%b::text[], %b::text[], %b::text[]) AS k(d, t, r)"
            " JOIN outbox_items o"
            " ON o.destination = k.d AND o.resource_type = k.t AND o.resource_id = k.r"
            " WHERE o.state IN ('pending', 'retry-wait', 'leased')"
            " ORDER BY o.destination, o.resource_type, o.resource_id, o.id DESC"
        )
        columns = [list(column) for column in zip(*keys, strict=True)]
        rows = self._fetch(sql, columns)
        return {(d, t, r): bytes(digest) for d, t, r, digest in rows}

    def _insert(self, rows: Sequence[InsertRow], now: datetime) -> None:
        stamp = self._ts(now)
        columns = [list(column) for column in zip(*rows, strict=True)]
        self._write(
            "INSERT INTO outbox_items (destination, resource_type, resource_id, group_key, body,"
            " body_hash, state, attempts, not_before, created, updated)"
            " SELECT d, t, r, g, b, h, 'pending', 0, ?, ?, ?"
            # %b: arrays go in binary, which spares escaping every byte of the bodies.
            " FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::bytea[], %b::bytea[])"
            " WITH ORDINALITY AS u(d, t, r, g, b, h, n) ORDER BY n",
            (stamp, stamp, stamp, *columns),
        )

    @contextmanager
    def _guard(self) -> Iterator[None]:
        if self._conn.closed:
            self._conn = self._connect()
        try:
            yield
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise TransientError(
                f"PostgreSQL store {self._name}: {type(exc).__name__}: {reason}"
            ) from exc

    def _ts(self, moment: datetime) -> datetime:
        return utc(moment)

    def _dt(self, value: Any) -> datetime:
        if not isinstance(value, datetime):
            raise TypeError(f"expected a timestamptz, got {type(value).__name__}")
        return value.astimezone(UTC)

    def _json(self, value: dict[str, Any] | None) -> Jsonb | None:
        return None if value is None else Jsonb(value, dumps=_dumps)

    def _unjson(self, value: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise TypeError(f"expected a JSON object, got {type(value).__name__}")
        return value
