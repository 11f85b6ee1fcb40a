"""`POST /cds-services/{id}/feedback`: read the feedback entries and keep them.

The spec sends `overrideReason` (one object); Epic sends `overrideReasons`, also one object,
sometimes with only its own `extension`. Both are stored as the entry's override reason. The
entries go to a small SQLite file, `<data_dir>/cds-feedback.db`, one row per entry.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from mpox_adapter.errors import InputError

OUTCOMES = ("accepted", "overridden")
MAX_ENTRIES = 100

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    service TEXT NOT NULL,
    card TEXT NOT NULL,
    outcome TEXT NOT NULL,
    outcome_timestamp TEXT NOT NULL,
    accepted_suggestions TEXT NOT NULL,
    override_reason TEXT
)
"""


@dataclass(frozen=True, slots=True)
class Feedback:
    card: str
    outcome: str
    outcome_timestamp: str
    accepted_suggestions: tuple[str, ...]
    override_reason: Mapping[str, Any] | None


def parse_feedback(body: Any) -> list[Feedback]:
    if not isinstance(body, Mapping) or not isinstance(body.get("feedback"), list):
        raise InputError("feedback must be a JSON object with a feedback array", "feedback")
    entries = body["feedback"]
    if not entries or len(entries) > MAX_ENTRIES:
        raise InputError(f"send 1 to {MAX_ENTRIES} feedback entries", "feedback")
    return [_entry(entry, f"feedback[{index}]") for index, entry in enumerate(entries)]


def _entry(entry: Any, where: str) -> Feedback:
    if not isinstance(entry, Mapping):
        raise InputError("a feedback entry must be a JSON object", where)
    card = entry.get("card")
    if not isinstance(card, str) or not card:
        raise InputError("card (the card's uuid) is required", f"{where}.card")
    outcome = entry.get("outcome")
    if outcome not in OUTCOMES:  # cds-fb-1
        raise InputError("outcome must be accepted or overridden", f"{where}.outcome")
    timestamp = entry.get("outcomeTimestamp")
    if not isinstance(timestamp, str) or _instant(timestamp) is None:
        raise InputError("outcomeTimestamp must be a date and time", f"{where}.outcomeTimestamp")
    accepted = entry.get("acceptedSuggestions", [])
    ids = (
        [item.get("id") for item in accepted]
        if isinstance(accepted, list) and all(isinstance(item, Mapping) for item in accepted)
        else [None]
    )
    if not all(isinstance(i, str) and i for i in ids):
        where_accepted = f"{where}.acceptedSuggestions"
        raise InputError("acceptedSuggestions must be objects with an id", where_accepted)
    if outcome == "accepted" and not ids:  # cds-fb-2
        raise InputError("an accepted outcome needs acceptedSuggestions", f"{where}.outcome")
    reason = entry.get("overrideReason", entry.get("overrideReasons"))
    if reason is not None and not (
        # cds-fb-3, where Epic's own extension stands in for a coded reason
        isinstance(reason, Mapping)
        and any(k in reason for k in ("reason", "userComment", "extension"))
    ):
        raise InputError(
            "overrideReason needs a reason or a userComment", f"{where}.overrideReason"
        )
    return Feedback(card, str(outcome), timestamp, tuple(str(i) for i in ids), reason)


def _instant(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    async def add(self, service: str, entries: list[Feedback]) -> None:
        await asyncio.to_thread(self._write, service, entries)

    def _write(self, service: str, entries: list[Feedback]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        received = datetime.now(UTC).isoformat()
        rows = [
            (
                received,
                service,
                entry.card,
                entry.outcome,
                entry.outcome_timestamp,
                orjson.dumps(entry.accepted_suggestions).decode(),
                None
                if entry.override_reason is None
                else orjson.dumps(entry.override_reason).decode(),
            )
            for entry in entries
        ]
        # sqlite3's own context manager commits but does not close; closing() does.
        with closing(sqlite3.connect(self.path)) as db, db:
            db.execute(_SCHEMA)
            db.executemany(
                "INSERT INTO feedback (received_at, service, card, outcome, outcome_timestamp,"
                " accepted_suggestions, override_reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def all(self) -> list[dict[str, Any]]:
        """Every stored entry, oldest first (for operators and tests)."""
        if not self.path.exists():
            return []
        with closing(sqlite3.connect(self.path)) as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute("SELECT * FROM feedback ORDER BY id")]
