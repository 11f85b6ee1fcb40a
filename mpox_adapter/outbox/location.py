"""Where the outbox lives: parse a store URL and check that the store answers."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mpox_adapter.errors import ConfigurationError, TransientError


@dataclass(frozen=True, slots=True)
class StoreLocation:
    kind: Literal["sqlite", "postgresql"]
    target: str
    """A file path (or ``:memory:``) for SQLite, a libpq connection string for PostgreSQL."""

    @classmethod
    def parse(cls, url: str) -> StoreLocation:
        """``sqlite:///relative.db``, ``sqlite:////absolute.db``, ``sqlite://:memory:``,
        ``postgresql://user@host/db`` (also ``postgres://``)."""
        if url == "sqlite://:memory:":
            return cls("sqlite", ":memory:")
        if url.startswith("sqlite:///"):
            path = url.removeprefix("sqlite:///")
            if not path:
                raise ConfigurationError(f"store url {url!r} names no file")
            return cls("sqlite", path)
        if url.startswith(("postgresql://", "postgres://")):
            return cls("postgresql", url)
        raise ConfigurationError(
            f"store url {url!r} is not supported: use sqlite:///FILE or postgresql://..."
        )

    def redacted(self) -> str:
        """The location without a password, safe to log."""
        if self.kind == "sqlite":
            return f"sqlite:{self.target}"
        scheme, _, rest = self.target.partition("://")
        credentials, at, host = rest.rpartition("@")
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}{at}{host}" if at else self.target

    def ping(self, timeout: float = 2.0) -> None:
        """Open the store and run a trivial query; `TransientError` when it does not answer."""
        if self.kind == "sqlite":
            self._ping_sqlite(timeout)
        else:
            self._ping_postgresql(timeout)

    def _ping_sqlite(self, timeout: float) -> None:
        try:
            if self.target != ":memory:":
                Path(self.target).parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(self.target, timeout=timeout) as conn:
                conn.execute("SELECT 1").fetchone()
            conn.close()
        except (sqlite3.Error, OSError) as exc:
            raise TransientError(f"SQLite store {self.redacted()} unavailable: {exc}") from exc

    def _ping_postgresql(self, timeout: float) -> None:
        import psycopg

        try:
            with psycopg.connect(self.target, connect_timeout=max(1, round(timeout))) as conn:
                conn.execute("SELECT 1").fetchone()
        except psycopg.Error as exc:
            raise TransientError(
                f"PostgreSQL store {self.redacted()} unavailable: {type(exc).__name__}"
            ) from exc
